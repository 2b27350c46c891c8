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

/// The main region (focusable by script, not by Tab: `tabindex="-1"`).
pub fn focus_main() {
    focus("main");
}
