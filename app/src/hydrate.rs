//! The WebAssembly entry point: takes over the server-rendered page.

use leptos::prelude::document;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Some pages are lazy routes (see `shell.rs`), so hydration may first fetch the page's
    // chunk: it is async.
    // Already set up is fine: it only has to be the browser's executor.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = document().body().expect("a page has a body");
        let owner = leptos::mount::hydrate_from_async(body.clone(), crate::App).await;
        // The page lives as long as the tab does.
        owner.forget();
        // Lets browser tests (and anyone debugging) tell an interactive page from a static one.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
