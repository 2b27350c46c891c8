//! The WebAssembly entry point: takes over the server-rendered page.

use leptos::prelude::{document, provide_context, window};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::shell::NavigationTarget;

#[wasm_bindgen]
pub fn hydrate() {
    // The page's words, before anything renders (see `domain::i18n`).
    crate::domain::i18n::install_page_catalog();
    let target = NavigationTarget::default();
    let heading = target.clone();
    std::panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        load_from_server(&heading);
    }));
    // Some pages are lazy routes (see `shell.rs`), so hydration may first fetch the page's
    // chunk: it is async.
    // Already set up is fine: it only has to be the browser's executor.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async move {
        let body = document().body().expect("a page has a body");
        let app = move || {
            provide_context(target);
            crate::App()
        };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app).await;
        // The page lives as long as the tab does.
        owner.forget();
        // Lets browser tests (and anyone debugging) tell an interactive page from a static one.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

/// After a panic the app is gone (a panic aborts the module). If it happened during a
/// client-side navigation, the address bar still shows the old page (the router updates it only
/// once the new page is ready): load the page the member asked for from the server, where it
/// works as plain HTML. A panic on the page being shown changes nothing, so a page that cannot
/// hydrate is not reloaded over and over. The page is loaded without any #fragment (no lazy
/// page uses one). Not covered: back/forward, where the browser has already changed the
/// address bar (those pages' chunks were usually loaded on the way there).
fn load_from_server(target: &NavigationTarget) {
    // `try_lock`: the hook must not wait on a lock the panicking code might hold.
    let Some(to) = target.0.try_lock().ok().and_then(|to| to.clone()) else {
        return;
    };
    let location = window().location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if to != here {
        let _ = location.assign(&to);
    }
}
