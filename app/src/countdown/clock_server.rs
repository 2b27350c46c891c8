use leptos::prelude::*;

/// The server renders one frame; nothing ticks there.
pub fn tick_every_second(_set_now_ms: WriteSignal<i64>) {}
