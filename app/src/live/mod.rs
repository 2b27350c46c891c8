//! Live stock: remaining quantities pushed to open pages as they change.
//!
//! The server relays PostgreSQL notifications (sent by a trigger when stock changes, from any
//! server instance) as server-sent events on `/api/live/stock`, one `"<item> <remaining>"` line
//! per change. In the browser an `EventSource` folds them into a map the cards read. If the
//! stream is down, the page falls back to re-reading the bazaar every few seconds.

use leptos::prelude::*;
use std::collections::HashMap;

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod stream;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod stream;

/// Remaining quantities that changed since the page's data was read, by drop item.
#[derive(Clone, Copy)]
pub struct LiveStock(RwSignal<HashMap<i64, i32>>);

impl LiveStock {
    /// Starts listening (in the browser) and makes the map available to the cards.
    /// `refresh` re-reads the page's data; it runs while the stream is down.
    pub fn provide(refresh: Callback<()>) -> LiveStock {
        let stock = LiveStock(RwSignal::new(HashMap::new()));
        stream::connect(stock.0, refresh);
        provide_context(stock);
        stock
    }

    pub fn remaining(self, item: i64) -> Option<i32> {
        self.0.with(|m| m.get(&item).copied())
    }

    /// Fresh data arrived: older pushed values must not override it.
    pub fn reset(self) {
        self.0.update(HashMap::clear);
    }
}

/// Parses one event: `"<item> <remaining>"`.
pub fn parse_event(data: &str) -> Option<(i64, i32)> {
    let (item, remaining) = data.trim().split_once(' ')?;
    Some((item.parse().ok()?, remaining.parse().ok()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_are_item_and_remaining() {
        assert_eq!(super::parse_event("12 4"), Some((12, 4)));
        assert_eq!(super::parse_event("12"), None);
        assert_eq!(super::parse_event("x 4"), None);
    }
}
