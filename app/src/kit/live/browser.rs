use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use super::LiveStock;

const URL: &str = "/api/live/stock";

/// How often the page re-reads the bazaar while the live stream is down.
const FALLBACK_MS: u32 = 5_000;

/// One `EventSource` and its handler; dropping it closes the stream.
struct Stream {
    source: EventSource,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// What keeps the page listening; dropped (closing the stream) when the page goes away.
struct Connection {
    _stream: Rc<RefCell<Option<Stream>>>,
    _fallback: Interval,
}

pub fn connect(stock: LiveStock, refresh: Callback<()>) {
    Effect::new(move |previous: Option<Connection>| {
        previous.unwrap_or_else(|| {
            let stream = Rc::new(RefCell::new(open(stock)));
            let watched = Rc::clone(&stream);
            let fallback = Interval::new(FALLBACK_MS, move || {
                let state = watched.borrow().as_ref().map(|s| s.source.ready_state());
                if state == Some(EventSource::OPEN) {
                    return;
                }
                refresh.run(());
                // `CONNECTING`: the browser is reconnecting by itself. Anything else: it was
                // refused for good (an error status, say from a proxy while the server
                // restarts) and the browser will not try again, so the page does. (A stream
                // starts with the current counts, so nothing missed meanwhile stays missed.)
                if state != Some(EventSource::CONNECTING) {
                    let reopened = open(stock);
                    *watched.borrow_mut() = reopened;
                }
            });
            Connection {
                _stream: stream,
                _fallback: fallback,
            }
        })
    });
}

fn open(stock: LiveStock) -> Option<Stream> {
    let source = EventSource::new(URL).ok()?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(data) = event.data().as_string() {
            stock.push(super::parse_event(&data));
        }
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Some(Stream {
        source,
        _on_message: on_message,
    })
}
