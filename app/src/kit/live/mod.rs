//! Live stock: remaining quantities pushed to open pages as they change.
//!
//! The server relays PostgreSQL notifications (sent by a trigger when stock changes, from any
//! server instance) as server-sent events on `/api/live/stock`, one `"<item> <remaining>"` line
//! per change, and the current count of every item on offer whenever the stream opens or the
//! server may have missed changes. In the browser an `EventSource` folds them into a map the
//! cards read. If the stream is down, the page falls back to re-reading the bazaar every few
//! seconds.
//!
//! A pushed count is newer than the page's data only until the page reads again: counts pushed
//! before a read began give way to that read. Otherwise a count pushed before the stream went
//! down would hide every change made while it was down, for as long as the page stays open.
//! Each read carries a mark (how many counts had been pushed when it began) rather than clearing
//! the map: clearing it would wake the old page's cards just as they are being thrown away.

use leptos::prelude::*;
use std::collections::HashMap;

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod stream;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod stream;

/// Remaining quantities pushed to the page, by drop item.
#[derive(Clone, Copy)]
pub struct LiveStock {
    pushed: RwSignal<HashMap<i64, Pushed>>,
    /// How many counts have been pushed so far: a read that began after the n-th push is at
    /// least as new as it.
    pushes: StoredValue<u64>,
}

#[derive(Clone, Copy)]
struct Pushed {
    remaining: i32,
    number: u64,
}

impl LiveStock {
    /// Makes the map available to the cards. Nothing is pushed until [`LiveStock::connect`].
    pub fn provide() -> LiveStock {
        let stock = LiveStock {
            pushed: RwSignal::new(HashMap::new()),
            pushes: StoredValue::new(0),
        };
        provide_context(stock);
        stock
    }

    /// Starts listening (in the browser). `refresh` re-reads the page's data while the stream
    /// is down.
    pub fn connect(self, refresh: Callback<()>) {
        stream::connect(self, refresh);
    }

    /// Taken as a read of the page's data begins, and kept with the data it brings.
    pub fn mark(self) -> u64 {
        self.pushes.get_value()
    }

    /// The count for `item` pushed after the read begun at `mark`, if any: it is newer than
    /// what that read brought. (Counts pushed while the read was on its way are taken as newer;
    /// they are at least as new as its start, and the next push for the item settles any doubt.)
    pub fn remaining(self, item: i64, mark: u64) -> Option<i32> {
        self.pushed.with(|m| {
            m.get(&item)
                .filter(|p| p.number > mark)
                .map(|p| p.remaining)
        })
    }

    /// Counts arrived from the stream, in one event: applied at once, so the cards wake once.
    pub fn push(self, counts: impl IntoIterator<Item = (i64, i32)>) {
        self.pushes.update_value(|n| *n += 1);
        let number = self.pushes.get_value();
        self.pushed.update(|m| {
            m.extend(
                counts
                    .into_iter()
                    .map(|(item, remaining)| (item, Pushed { remaining, number })),
            );
        });
    }
}

/// Parses one event: lines of `"<item> <remaining>"` (one line for a change, one per item for
/// the current counts). Lines that do not parse are skipped.
pub fn parse_event(data: &str) -> Vec<(i64, i32)> {
    data.lines()
        .filter_map(|line| {
            let (item, remaining) = line.trim().split_once(' ')?;
            Some((item.parse().ok()?, remaining.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_event;

    #[test]
    fn events_are_lines_of_item_and_remaining() {
        assert_eq!(parse_event("12 4"), [(12, 4)]);
        assert_eq!(parse_event("12 4\n13 0"), [(12, 4), (13, 0)]);
        assert_eq!(parse_event("12\nx 4\n14 2"), [(14, 2)]);
    }

    #[test]
    fn a_read_begun_after_a_push_replaces_it_and_one_begun_before_does_not() {
        let owner = leptos::prelude::Owner::new();
        owner.with(|| {
            let live = super::LiveStock::provide();
            let before_any = live.mark();
            live.push([(1, 4)]);
            let after_first = live.mark();
            live.push([(2, 9)]);
            // A read begun before anything was pushed is older than both counts.
            assert_eq!(
                (live.remaining(1, before_any), live.remaining(2, before_any)),
                (Some(4), Some(9))
            );
            // A read begun between the pushes is newer than the first only.
            assert_eq!(
                (
                    live.remaining(1, after_first),
                    live.remaining(2, after_first)
                ),
                (None, Some(9))
            );
        });
    }
}
