use wasm_bindgen::JsCast;

/// On the next frame: the effect that asks runs as the new content is built, while the old
/// content (with an element of the same id) may still be the one in the document.
pub fn focus(id: &str) {
    let id = id.to_owned();
    leptos::prelude::request_animation_frame(move || {
        if let Some(element) = leptos::prelude::document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}

/// The page's main heading (made focusable for the purpose, not for tabbing to), or the main
/// region if the page has none. On the next frame, so the new page is the one in the document.
pub fn focus_page() {
    leptos::prelude::request_animation_frame(|| {
        let document = leptos::prelude::document();
        let target = document
            .query_selector("main h1")
            .ok()
            .flatten()
            .or_else(|| document.get_element_by_id("main"));
        if let Some(element) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            if !element.has_attribute("tabindex") {
                let _ = element.set_attribute("tabindex", "-1");
            }
            let _ = element.focus();
        }
    });
}
