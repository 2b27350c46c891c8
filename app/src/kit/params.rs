//! Typed route parameters, read through Leptos' `Params` instead of parsing the map by hand on
//! each page.

use leptos::prelude::*;
use leptos_router::hooks::use_params;
use leptos_router::params::Params;

/// The `:id` of a staff page (`/staff/rewards/:id`, `/staff/drops/:id`, …).
#[derive(Params, Debug, Clone, PartialEq)]
pub struct IdParams {
    pub id: Option<i64>,
}

/// The page's `:id`; one that is not a number reads as 0, which no record has, so the page says
/// it was not found.
pub fn use_id() -> Memo<i64> {
    let params = use_params::<IdParams>();
    Memo::new(move |_| {
        params
            .read()
            .as_ref()
            .ok()
            .and_then(|p| p.id)
            .unwrap_or_default()
    })
}
