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
/// navigation fetches. An error shows as an [`ErrorNotice`], or for a staff page (`staff`) as
/// [`Refused`], which offers staff sign-in; `signed_out` replaces either for a visitor who is
/// not signed in.
#[component]
pub fn Loaded<T, F, V>(
    data: Resource<Result<T, AppError>, Wire>,
    children: F,
    #[prop(default = "Loading…")] loading: &'static str,
    #[prop(optional)] staff: bool,
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
                            Err(error) if staff => view! { <Refused error /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })
                }
            }
        </Transition>
    }
}
