use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{SignIn, SignOut, SignUp};
use crate::domain::account::{DISPLAY_NAME_MAX, NewPassword, Role, Viewer};
use crate::domain::i18n::tr;
use crate::kit::{FieldError, FormError, PostForm, action_error, field_invalid};

/// The sign-out action, shared by the header on every page.
#[derive(Clone, Copy)]
pub struct SignOutAction(pub ServerAction<SignOut>);

/// `/sign-in`; with `?step=code`, the second step for an account with two-factor sign-in.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let code_step = Memo::new(move |_| query.read().get("step").as_deref() == Some("code"));
    let next = move || query.read().get("next").unwrap_or_default();
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("account.sign_in_page.heading"), tr.t("shell.brand")) />
        <section class="auth-card" aria-labelledby="sign-in-heading">
            {move || if code_step.get() {
                view! { <super::two_factor::SignInCodeForm next=next() /> }.into_any()
            } else {
                view! { <PasswordStep /> }.into_any()
            }}
        </section>
    }
}

#[component]
fn PasswordStep() -> impl IntoView {
    // Created inside the page (inside <Routes>): that is where the router hands a failed
    // no-JavaScript form post's error back to its action.
    let sign_in = ServerAction::<SignIn>::new();
    let error = action_error(sign_in);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let tr = tr();
    view! {
        <h1 id="sign-in-heading">{tr.t("account.sign_in_page.heading")}</h1>
        <PostForm action=sign_in>
            <FormError error />
            <div class="field">
                <label for="email">{tr.t("account.email_label")}</label>
                <input id="email" name="email" type="email" autocomplete="email" inputmode="email" required />
            </div>
            <div class="field">
                <label for="password">{tr.t("account.password_label")}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
            </div>
            <input type="hidden" name="next" value=next />
            <button type="submit" class="button" disabled=move || sign_in.pending().get()>
                {tr.t("account.sign_in")}
            </button>
        </PostForm>
        <p class="auth-switch"><a href="/account?step=forgot-password">{tr.t("account.forgot_password")}</a></p>
        <p class="auth-switch">{tr.t("account.new_here")} " " <a href="/sign-up">{tr.t("account.create_account_link")}</a></p>
    }
}

/// `/sign-up`
#[component]
pub fn SignUpPage() -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    let error = action_error(sign_up);
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("account.create_account_link"), tr.t("shell.brand")) />
        <section class="auth-card" aria-labelledby="sign-up-heading">
            <h1 id="sign-up-heading">{tr.t("account.create_account_link")}</h1>
            <ActionForm action=sign_up>
                <FormError error />
                <div class="field">
                    <label for="display_name">{tr.t("account.sign_up.name")}</label>
                    <input
                        id="display_name"
                        name="display_name"
                        autocomplete="name"
                        required
                        maxlength=DISPLAY_NAME_MAX.to_string()
                        aria-invalid=field_invalid(error, "display_name")
                        aria-describedby="display_name-error"
                    />
                    <FieldError error field="display_name" id="display_name-error" />
                </div>
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
                <div class="field">
                    <label for="password">{tr.t("account.password_label")}</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength=NewPassword::MIN.to_string()
                        aria-invalid=field_invalid(error, "password")
                        aria-describedby="password-hint password-error"
                    />
                    <p class="hint" id="password-hint">{tr.count("account.sign_up.password_hint", NewPassword::MIN as i64, &[])}</p>
                    <FieldError error field="password" id="password-error" />
                </div>
                <button type="submit" class="button" disabled=move || sign_up.pending().get()>
                    {tr.t("account.sign_up.submit")}
                </button>
            </ActionForm>
            <p class="auth-switch">{tr.t("account.sign_up.already_member")} " " <a href="/sign-in">{tr.t("account.sign_in")}</a></p>
        </section>
    }
}

/// The header's account area: who is signed in and their points, or a way to sign in.
#[component]
pub fn ViewerMenu(viewer: Option<Viewer>) -> impl IntoView {
    let SignOutAction(sign_out) = expect_context();
    let tr = tr();
    match viewer {
        Some(viewer) => view! {
            <div class="viewer">
                {(viewer.role >= Role::Staff).then(|| view! { <a class="viewer-staff" href="/staff">{tr.t("account.viewer.staff")}</a> })}
                <a class="viewer-account" href="/account">
                    <span class="viewer-name">{viewer.display_name}</span>
                    <span class="viewer-balance">{super::page::points_short(tr, viewer.balance.get())}</span>
                </a>
                <PostForm action=sign_out class="sign-out">
                    <button type="submit" class="link-button">{tr.t("account.sign_out")}</button>
                </PostForm>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="viewer">
                <a class="button button-small" href="/sign-in">{tr.t("account.sign_in")}</a>
            </div>
        }
        .into_any(),
    }
}
