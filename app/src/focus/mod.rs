//! Keeping keyboard and screen-reader users where they were when a page re-renders in place.
//!
//! Reading a page's data again (after a form posted without a page load) renders its content
//! anew, and the button that was pressed is replaced by its successor: focus would fall back to
//! the top of the document. A page remembers which element should have focus next, by id, and
//! the content hands it over once it is on screen.
//!
//! Following a link in the browser swaps the page without loading one: nothing tells a screen
//! reader that a new page arrived, and the focus stays on the link (or falls to the top of the
//! document if the link went with the old page). Once a navigation to another page is done,
//! the new page's heading takes the focus, as a page load would start there.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod imp;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod imp;

/// The id of the element to focus once the page's content has rendered again.
#[derive(Clone, Copy)]
pub struct Refocus(StoredValue<Option<String>>);

impl Refocus {
    pub fn new() -> Self {
        Refocus(StoredValue::new(None))
    }

    /// After the next render, focus the element with this id.
    pub fn after_render(self, id: String) {
        self.0.set_value(Some(id));
    }

    /// Call from the content that was rendered: moves focus if a render was waited for.
    pub fn on_render(self) {
        Effect::new(move |_| {
            if let Some(id) = self.0.try_update_value(Option::take).flatten() {
                imp::focus(&id);
            }
        });
    }
}

/// Moves focus to the new page's main heading after each navigation to another path (not when
/// only the query changes: a filter link keeps its place). `is_routing` is the router's.
pub fn follow_navigation(is_routing: ReadSignal<bool>, pathname: Memo<String>) {
    Effect::new(move |settled: Option<String>| {
        let routing = is_routing.get();
        let path = pathname.get();
        match settled {
            // The page the browser loaded: it placed the focus itself.
            None => path,
            Some(previous) if !routing && previous != path => {
                imp::focus_page();
                path
            }
            Some(previous) => previous,
        }
    });
}

impl Default for Refocus {
    fn default() -> Self {
        Self::new()
    }
}
