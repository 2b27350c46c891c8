//! `/account?step=…`: the pages a mailed link or an account mail leads to. Checking your email
//! after signing up, confirming the address, asking for and choosing a new password, and
//! unsubscribing. They live on the account page's route: a route of their own would weigh on
//! the bundle every member downloads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{RequestPasswordReset, ResetPassword, Unsubscribe, VerifyEmail};
use crate::domain::account::NewPassword;
use crate::domain::i18n::{Tr, tr};
use crate::kit::{FieldError, FormError, NotFound, action_error, field_invalid};

#[component]
pub fn AccountStepPage(step: String) -> impl IntoView {
    let tr = tr();
    match step.as_str() {
        "check-email" => card(
            tr,
            "account.by_mail.check_heading",
            view! {
                <p>{tr.t("account.by_mail.check_body")}</p>
                <p class="hint">{tr.t("account.by_mail.check_taken")}</p>
                <p><a href="/sign-in">{tr.t("account.sign_in")}</a></p>
            }
            .into_any(),
        ),
        "verify" => view! { <Verify /> }.into_any(),
        "verified" => card(
            tr,
            "account.by_mail.verified_heading",
            view! {
                <p role="status">{tr.t("account.by_mail.verified_body")}</p>
                <p><a class="button" href="/">{tr.t("account.by_mail.to_bazaar")}</a></p>
            }
            .into_any(),
        ),
        "deleted" => card(
            tr,
            "account.data.deleted_heading",
            view! {
                <p role="status">{tr.t("account.data.deleted_body")}</p>
                <p><a class="button" href="/">{tr.t("account.by_mail.to_bazaar")}</a></p>
            }
            .into_any(),
        ),
        "forgot-password" => view! { <Forgot /> }.into_any(),
        "reset-password" => view! { <Reset /> }.into_any(),
        "unsubscribe" => view! { <StopMail /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

/// A small card with a title and a heading, as the sign-in page is.
fn card(tr: Tr, heading: &'static str, body: AnyView) -> AnyView {
    view! {
        <Title text=format!("{} · {}", tr.t(heading), tr.t("shell.brand")) />
        <section class="auth-card" aria-labelledby="step-heading">
            <h1 id="step-heading">{tr.t(heading)}</h1>
            {body}
        </section>
    }
    .into_any()
}

fn token() -> String {
    use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default()
}

/// A mail scanner may open the link; only the member's press confirms (a POST).
#[component]
fn Verify() -> impl IntoView {
    let verify = ServerAction::<VerifyEmail>::new();
    let error = action_error(verify);
    let tr = tr();
    card(
        tr,
        "account.by_mail.verify_heading",
        view! {
            <p>{tr.t("account.by_mail.verify_body")}</p>
            <ActionForm action=verify>
                <FormError error />
                <input type="hidden" name="token" value=token() />
                <button type="submit" class="button" disabled=move || verify.pending().get()>
                    {tr.t("account.by_mail.verify_submit")}
                </button>
            </ActionForm>
        }
        .into_any(),
    )
}

#[component]
fn Forgot() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(request);
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    let tr = tr();
    card(
        tr,
        "account.by_mail.forgot_heading",
        view! {
            {move || sent().then(|| view! { <p class="form-success" role="status">{tr.t("account.by_mail.forgot_sent")}</p> })}
            <p>{tr.t("account.by_mail.forgot_body")}</p>
            <ActionForm action=request>
                <FormError error />
                <div class="field">
                    <label for="email">{tr.t("account.email_label")}</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="email"
                        inputmode="email"
                        required
                        aria-invalid=field_invalid(error, "email")
                        aria-describedby="email-error"
                    />
                    <FieldError error field="email" id="email-error" />
                </div>
                <button type="submit" class="button" disabled=move || request.pending().get()>
                    {tr.t("account.by_mail.forgot_submit")}
                </button>
            </ActionForm>
            <p class="auth-switch"><a href="/sign-in">{tr.t("account.by_mail.back_to_sign_in")}</a></p>
        }
        .into_any(),
    )
}

#[component]
fn Reset() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = action_error(reset);
    let tr = tr();
    card(
        tr,
        "account.by_mail.reset_heading",
        view! {
            <ActionForm action=reset>
                <FormError error />
                <input type="hidden" name="token" value=token() />
                <div class="field">
                    <label for="new_password">{tr.t("account.by_mail.reset_label")}</label>
                    <input
                        id="new_password"
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength=NewPassword::MIN.to_string()
                        aria-invalid=field_invalid(error, "new_password")
                        aria-describedby="new_password-hint new_password-error"
                    />
                    <p class="hint" id="new_password-hint">{tr.count("account.sign_up.password_hint", NewPassword::MIN as i64, &[])}</p>
                    <FieldError error field="new_password" id="new_password-error" />
                </div>
                <p class="hint">{tr.t("account.by_mail.reset_ends_sessions")}</p>
                <button type="submit" class="button" disabled=move || reset.pending().get()>
                    {tr.t("account.by_mail.reset_submit")}
                </button>
            </ActionForm>
        }
        .into_any(),
    )
}

#[component]
fn StopMail() -> impl IntoView {
    let stop = ServerAction::<Unsubscribe>::new();
    let error = action_error(stop);
    let query = use_query_map();
    let done = move || query.read().get("done").is_some();
    let tr = tr();
    let body = view! {
        {move || if done() {
            view! {
                <p class="form-success" role="status">{tr.t("account.by_mail.unsubscribed")}</p>
                <p><a href="/account#messages-heading">{tr.t("account.by_mail.choose_messages")}</a></p>
            }
            .into_any()
        } else {
            view! {
                <p>{tr.t("account.by_mail.unsubscribe_body")}</p>
                <ActionForm action=stop>
                    <FormError error />
                    <input type="hidden" name="token" value=token() />
                    <button type="submit" class="button" disabled=move || stop.pending().get()>
                        {tr.t("account.by_mail.unsubscribe_submit")}
                    </button>
                </ActionForm>
            }
            .into_any()
        }}
    }
    .into_any();
    card(tr, "account.by_mail.unsubscribe_heading", body)
}
