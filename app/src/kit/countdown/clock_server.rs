use leptos::prelude::*;

/// The server renders one frame; nothing ticks there.
pub fn tick_every_second(_server_now_ms: i64, _trust_device: bool, _set_now_ms: WriteSignal<i64>) {}

/// The server does not know the reader's zone; it writes the store's (see `LocalTime`).
pub fn local_label(_millis: i64) -> Option<String> {
    None
}
