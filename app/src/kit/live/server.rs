use leptos::prelude::*;

/// The server renders the data it read; nothing streams there.
pub fn connect(_stock: super::LiveStock, _refresh: Callback<()>) {}
