//! The skeleton every page with data shares: a loading line while the data arrives, then the
//! data's view, or a notice saying why there is none.

use std::sync::Arc;

use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

use super::notice::{ErrorNotice, Refused};

use crate::AppError;
use crate::domain::wire::Wire;

/// Shows `data` once it has arrived, through `children` (`<Loaded data let:value>…`). The
/// server renders pages complete (async mode), so the loading line only shows while an in-place
/// navigation fetches. An error shows through `on_error`: an [`ErrorNotice`] unless the page
/// says otherwise (staff pages pass [`refused`], which offers staff sign-in); `signed_out`
/// replaces it for a visitor who is not signed in. The error views are function pointers, not
/// generic parameters, so a page links only the one it names: the staff notice stays out of
/// the bundle members download.
#[component]
pub fn Loaded<T, F, V>(
    data: Resource<Result<T, AppError>, Wire>,
    children: F,
    #[prop(default = crate::domain::i18n::tr().t("kit.loading"))] loading: &'static str,
    #[prop(default = error_notice)] on_error: fn(AppError) -> AnyView,
    #[prop(optional, into)] signed_out: Option<ViewFn>,
) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let children = Arc::new(children);
    view! {
        <Transition fallback=move || view! { <p class="loading" role="status" aria-busy="true">{loading}</p> }>
            {
                let children = children.clone();
                let signed_out = signed_out.clone();
                move || {
                    let children = children.clone();
                    let signed_out = signed_out.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(value) => children(value).into_any(),
                            Err(AppError::Unauthenticated) if signed_out.is_some() => {
                                signed_out.map(|v| v.run()).into_any()
                            }
                            Err(error) => on_error(error),
                        }
                    })
                }
            }
        </Transition>
    }
}

/// The notice for a member's page: what went wrong, with a way back.
pub fn error_notice(error: AppError) -> AnyView {
    view! { <ErrorNotice error /> }.into_any()
}

/// The notice for a staff page: staff sign-in for a visitor, else what went wrong.
pub fn refused(error: AppError) -> AnyView {
    view! { <Refused error /> }.into_any()
}

/// A staff page's title: "Rewards · Staff · Rewards Bazaar" (`None`: "Staff · Rewards Bazaar").
pub fn staff_title(tr: crate::domain::i18n::Tr, page: Option<&'static str>) -> String {
    let staff = format!("{} · {}", tr.t("catalog.staff"), tr.t("shell.brand"));
    match page {
        Some(page) => format!("{page} · {staff}"),
        None => staff,
    }
}

/// Points as the staff lists show them: "1,250 pts".
pub fn points_short(tr: crate::domain::i18n::Tr, points: crate::domain::points::Points) -> String {
    tr.f(
        "catalog.points_short",
        &[("points", &tr.number(points.get()))],
    )
}
