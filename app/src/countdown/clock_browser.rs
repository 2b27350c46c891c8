use gloo_timers::callback::Interval;
use leptos::prelude::*;

/// Starts a one-second tick after hydration. The interval is the effect's value, so it is
/// dropped (and cancelled) when the component that owns it goes away.
pub fn tick_every_second(set_now_ms: WriteSignal<i64>) {
    Effect::new(move |interval: Option<Interval>| {
        interval.unwrap_or_else(|| {
            set_now_ms.set(js_sys::Date::now() as i64);
            Interval::new(1_000, move || set_now_ms.set(js_sys::Date::now() as i64))
        })
    });
}
