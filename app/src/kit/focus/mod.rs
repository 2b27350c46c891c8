//! Keeping keyboard and screen-reader users where they were when a page re-renders in place.
//!
//! Reading a page's data again (after a form posted without a page load) renders its content
//! anew, and the button that was pressed is replaced by its successor: focus would fall back to
//! the top of the document. A page remembers which element should have focus next, by id, and
//! the content hands it over once it is on screen.
//!
//! Following a link in the browser swaps the page without loading one: nothing tells a screen
//! reader that a new page arrived, and the focus stays on the link (or falls to the top of the
//! document if the link went with the old page). So the main region takes the focus, as a page
//! load would start at the top of the new page.

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

/// Moves focus to the page's main region on each navigation to another path (not when only
/// the query changes: a filter link keeps its place). The region stays while pages come and go
/// inside it, so it can take the focus as the navigation starts; the next Tab reaches the new
/// page's first control.
pub fn follow_navigation(pathname: Memo<String>) {
    Effect::new(move |previous: Option<String>| {
        let path = pathname.get();
        // `None`: the page the browser loaded, which placed the focus itself.
        if previous.is_some_and(|previous| previous != path) {
            imp::focus_main();
        }
        path
    });
}

impl Default for Refocus {
    fn default() -> Self {
        Self::new()
    }
}
