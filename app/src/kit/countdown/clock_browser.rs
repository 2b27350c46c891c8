use gloo_timers::callback::Interval;
use leptos::prelude::*;

/// Starts a one-second tick after hydration, reading the server's clock as `server_clock`
/// estimates it. The interval is the effect's value, so it is dropped (and cancelled) when the
/// component that owns it goes away.
pub fn tick_every_second(server_now_ms: i64, trust_device: bool, set_now_ms: WriteSignal<i64>) {
    let created = since_navigation();
    let tick = move || {
        let elapsed = since_navigation();
        set_now_ms.set(super::server_clock(
            server_now_ms,
            js_sys::Date::now() as i64,
            (elapsed - created) as i64,
            elapsed as i64,
            trust_device,
        ))
    };
    Effect::new(move |interval: Option<Interval>| {
        interval.unwrap_or_else(|| {
            tick();
            Interval::new(1_000, tick)
        })
    });
}

/// Milliseconds since this page was requested (`performance.now()`), on a clock that nobody
/// sets.
fn since_navigation() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A moment written in the zone the reader chose on their account page, else the browser's
/// own, in the page's language, e.g. `Tue, 24 Nov, 15:00 CET`, `mar, 24 nov, 15:00 CET`.
pub fn local_label(millis: i64) -> Option<String> {
    let tr = crate::domain::i18n::tr();
    let zone = crate::domain::i18n::page_zone();
    crate::domain::i18n::local_label(tr.locale(), millis as f64, zone.as_deref())
}
