//! Notices a page shows instead of its content: an error with a way back, a page that does not
//! exist, and a staff page refused to someone who may not see it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::page_status::{set_error_status, set_page_status};
use crate::AppError;
use crate::domain::i18n::tr;

/// A message for something that went wrong, with a way back.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    set_error_status(&error);
    let tr = tr();
    view! {
        <div class="notice notice-error" role="alert">
            <p>{error.to_string()}</p>
            <p><a href="/">{tr.t("kit.back_to_bazaar")}</a></p>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_page_status(404);
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("kit.not_found.title"), tr.t("shell.brand")) />
        <div class="notice">
            <h1>{tr.t("kit.not_found.heading")}</h1>
            <p><a href="/">{tr.t("kit.not_found.go_to_bazaar")}</a></p>
        </div>
    }
}

/// Shown instead of a staff page to someone who may not see it.
#[component]
pub fn Refused(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => {
            set_page_status(401);
            let tr = tr();
            view! {
                <div class="notice">
                    <h1>{tr.t("kit.refused.staff_sign_in")}</h1>
                    <p><a class="button" href="/sign-in?next=/staff">{tr.t("kit.sign_in")}</a></p>
                </div>
            }
            .into_any()
        }
        error => view! { <ErrorNotice error /> }.into_any(),
    }
}
