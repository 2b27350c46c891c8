use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

/// What keeps the stream alive; dropping it (when the page goes away) closes the stream.
struct Connection {
    source: Option<EventSource>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _fallback: Interval,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(source) = &self.source {
            source.close();
        }
    }
}

/// How often the page re-reads the bazaar while the live stream is down.
const FALLBACK_MS: u32 = 5_000;

pub fn connect(stock: RwSignal<HashMap<i64, i32>>, refresh: Callback<()>) {
    Effect::new(move |previous: Option<Connection>| {
        previous.unwrap_or_else(|| {
            let source = EventSource::new("/api/live/stock").ok();
            let on_message = source.as_ref().map(|source| {
                let on_message =
                    Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                        if let Some((item, remaining)) = event
                            .data()
                            .as_string()
                            .as_deref()
                            .and_then(super::parse_event)
                        {
                            stock.update(|m| {
                                m.insert(item, remaining);
                            });
                        }
                    });
                source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message
            });
            // EventSource reconnects by itself; until it has, poll.
            let watched = source.clone();
            let fallback = Interval::new(FALLBACK_MS, move || {
                let open = watched
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == EventSource::OPEN);
                if !open {
                    refresh.run(());
                }
            });
            Connection {
                source,
                _on_message: on_message,
                _fallback: fallback,
            }
        })
    });
}
