use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MessageEvent};

use super::{LiveStock, StockEvent};

const URL: &str = "/api/live/stock";

/// How often the page re-reads the bazaar while the live stream is down.
const FALLBACK_MS: u32 = 5_000;

/// One `EventSource` and its handlers; dropping it closes the stream.
struct Stream {
    source: EventSource,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_error: Closure<dyn FnMut(Event)>,
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
            let stream = Rc::new(RefCell::new(open(stock, refresh, false)));
            let watched = Rc::clone(&stream);
            let fallback = Interval::new(FALLBACK_MS, move || {
                let state = watched.borrow().as_ref().map(|s| s.source.ready_state());
                match state {
                    Some(EventSource::OPEN) => {}
                    // The browser is reconnecting by itself; until it has, poll.
                    Some(EventSource::CONNECTING) => refresh.run(()),
                    // Refused for good (an error status, say from a proxy while the server
                    // restarts): the browser will not try again, so the page does.
                    _ => {
                        refresh.run(());
                        let reopened = open(stock, refresh, true);
                        *watched.borrow_mut() = reopened;
                    }
                }
            });
            Connection {
                _stream: stream,
                _fallback: fallback,
            }
        })
    });
}

/// `behind`: changes may already have been missed (the stream is a replacement), so the page
/// reads again once it opens.
fn open(stock: LiveStock, refresh: Callback<()>, behind: bool) -> Option<Stream> {
    let source = EventSource::new(URL).ok()?;
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match event
                .data()
                .as_string()
                .as_deref()
                .and_then(super::parse_event)
            {
                Some(StockEvent::Count { item, remaining }) => stock.push(item, remaining),
                Some(StockEvent::Resync) => refresh.run(()),
                None => {}
            }
        });
    // Changes made while the stream was down were never pushed: once it is back, read again.
    let interrupted = Rc::new(Cell::new(behind));
    let on_open = {
        let interrupted = Rc::clone(&interrupted);
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if interrupted.replace(false) {
                refresh.run(());
            }
        })
    };
    let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| interrupted.set(true));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Stream {
        source,
        _on_message: on_message,
        _on_open: on_open,
        _on_error: on_error,
    })
}
