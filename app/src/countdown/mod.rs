//! A live countdown to a moment: a drop opening or closing.
//!
//! The server renders the remaining time as of when it built the page; in the browser a
//! gloo-timers interval takes over after hydration and ticks every second. Both render from the
//! server's clock first, so the hydrated text matches the server-rendered text exactly.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
#[path = "clock_browser.rs"]
mod clock;
#[cfg(not(feature = "hydrate"))]
#[path = "clock_server.rs"]
mod clock;

/// `2d 03:04:05`, `03:04:05`, or `00:00:00` once the moment has passed.
pub fn format_remaining(millis: i64) -> String {
    let total = (millis.max(0) + 999) / 1000;
    let (days, rest) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if days > 0 {
        format!("{days}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
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
    clock::tick_every_second(set_now_ms);

    let already_passed = server_now >= target;
    let fired = StoredValue::new(already_passed);
    Effect::new(move |_| {
        if now_ms.get() >= target_ms && !fired.get_value() {
            fired.set_value(true);
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

/// A moment shown in the reader's own time zone. The server writes it in the store's zone
/// (`store_label`); after hydration the browser rewrites it in its own.
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
}
