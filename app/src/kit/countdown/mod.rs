//! A live countdown to a moment: a drop opening or closing.
//!
//! The server renders the remaining time as of when it built the page; in the browser a
//! gloo-timers interval takes over after hydration and ticks every second. Both render from the
//! server's clock first, so the hydrated text matches the server-rendered text exactly.
//!
//! The browser counts on its own clock only within what it knows of the server's (see
//! [`server_clock`]): a phone set a minute fast would otherwise open the drop a minute early,
//! find it still closed, and ask again and again until the server caught up; one set slow would
//! sit at "Opens in 00:01:00" after the drop opened.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
#[path = "clock_browser.rs"]
mod clock;
#[cfg(not(feature = "hydrate"))]
#[path = "clock_server.rs"]
mod clock;

/// `2d 03:04:05` (`2 d 03:04:05` in Spanish), `03:04:05`, or `00:00:00` once the moment has
/// passed.
pub fn format_remaining(millis: i64) -> String {
    let total = (millis.max(0) + 999) / 1000;
    let (days, rest) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let clock = format!("{h:02}:{m:02}:{s:02}");
    if days > 0 {
        crate::domain::i18n::tr().f(
            "kit.countdown.with_days",
            &[("days", &days.to_string()), ("clock", &clock)],
        )
    } else {
        clock
    }
}

/// A ticking countdown. `on_zero` runs once, in the browser, when the target is reached.
#[component]
pub fn Countdown(
    target: DateTime<Utc>,
    /// The server's clock when the data was read; the first render counts from it.
    server_now: DateTime<Utc>,
    #[prop(optional)] on_zero: Option<Callback<()>>,
) -> impl IntoView {
    let target_ms = target.timestamp_millis();
    let (now_ms, set_now_ms) = signal(server_now.timestamp_millis());
    let reached = use_context::<Reached>();
    // Once a countdown to this moment has run out and the page was read again, the device's
    // clock is not trusted for it: that read said the moment had not come yet.
    let trust_device = !reached.is_some_and(|r| r.contains(target_ms));
    clock::tick_every_second(server_now.timestamp_millis(), trust_device, set_now_ms);

    let already_passed = server_now >= target;
    let fired = StoredValue::new(already_passed);
    Effect::new(move |_| {
        if now_ms.get() >= target_ms && !fired.get_value() {
            fired.set_value(true);
            if let Some(reached) = reached {
                reached.insert(target_ms);
            }
            if let Some(on_zero) = on_zero {
                on_zero.run(());
            }
        }
    });

    view! {
        <time class="countdown" role="timer" datetime=target.to_rfc3339()>
            {move || format_remaining(target_ms - now_ms.get())}
        </time>
    }
}

/// The moments (in milliseconds) whose countdowns on this page have run out. A page whose
/// countdowns read it again when they end provides one.
#[derive(Clone, Copy)]
pub struct Reached(StoredValue<Vec<i64>>);

impl Reached {
    pub fn provide() {
        provide_context(Reached(StoredValue::new(Vec::new())));
    }

    fn contains(self, target_ms: i64) -> bool {
        self.0.with_value(|reached| reached.contains(&target_ms))
    }

    fn insert(self, target_ms: i64) {
        self.0.update_value(|reached| reached.push(target_ms));
    }
}

/// The server's clock now, as well as the browser can tell, in milliseconds. The data was read
/// on the server at `server_now`, at some moment after this page was requested
/// (`since_navigation` ago) and before the countdown was made (`since_created` ago); so the
/// server's clock now lies between those two readings. The device's clock is used within them
/// (to the millisecond, when it is right) and the nearer bound outside them.
pub fn server_clock(
    server_now: i64,
    device_now: i64,
    since_created: i64,
    since_navigation: i64,
    trust_device: bool,
) -> i64 {
    let earliest = server_now + since_created;
    let latest = server_now + since_navigation.max(since_created);
    if trust_device {
        device_now.clamp(earliest, latest)
    } else {
        earliest
    }
}

/// A moment shown in the reader's own time zone. The server writes it in the zone the member
/// chose, else the store's (`store_label`); after hydration the browser rewrites it in the
/// chosen zone, else its own.
#[component]
pub fn LocalTime(at: DateTime<Utc>, store_label: String) -> impl IntoView {
    let (label, set_label) = signal(store_label);
    let millis = at.timestamp_millis();
    Effect::new(move |_| {
        if let Some(local) = clock::local_label(millis) {
            set_label.set(local);
        }
    });
    view! { <time datetime=at.to_rfc3339()>{label}</time> }
}

#[cfg(test)]
mod tests {
    use super::format_remaining;

    #[test]
    fn remaining_time_reads_as_days_and_clock_time() {
        assert_eq!(format_remaining(0), "00:00:00");
        assert_eq!(format_remaining(-5_000), "00:00:00");
        assert_eq!(format_remaining(1), "00:00:01");
        assert_eq!(format_remaining(61_000), "00:01:01");
        assert_eq!(format_remaining(86_400_000 + 3_723_000), "1d 01:02:03");
    }

    #[test]
    fn the_device_clock_is_followed_only_within_what_the_server_clock_can_be() {
        use super::server_clock;
        // Read at 100_000 by the server; shown 2 s ago; the page was requested 5 s ago.
        let at = |device: i64, trust: bool| server_clock(100_000, device, 2_000, 5_000, trust);
        assert_eq!(
            at(103_000, true),
            103_000,
            "a right clock is followed exactly"
        );
        assert_eq!(
            at(160_000, true),
            105_000,
            "a minute fast: no later than possible"
        );
        assert_eq!(
            at(40_000, true),
            102_000,
            "a minute slow: no earlier than possible"
        );
        assert_eq!(
            at(103_000, false),
            102_000,
            "untrusted: as much time as surely passed"
        );
    }
}
