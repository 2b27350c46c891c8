use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::rc::Rc;

/// Calls `work` every `millis` milliseconds from hydration on. The interval is the effect's
/// value, so it is cancelled when the component that asked goes away.
pub fn every(millis: u32, work: impl Fn() + 'static) {
    let work = Rc::new(work);
    Effect::new(move |interval: Option<Interval>| {
        interval.unwrap_or_else(|| {
            let work = Rc::clone(&work);
            Interval::new(millis, move || work())
        })
    });
}
