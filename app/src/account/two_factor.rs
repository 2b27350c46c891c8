//! Two-factor sign-in: required for admins, offered to everyone. The account page sets it up
//! (a QR code for the authenticator app, the secret written out, a first code to confirm) and
//! shows the recovery codes once; the sign-in page asks for a code after the password.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::{FieldError, FormError, action_error, field_invalid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// The secret in base32, in groups of four, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://` address as a QR code (SVG, drawn on the server).
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    /// An admin: admin pages need it.
    pub required: bool,
    pub setup: Option<TwoFactorSetup>,
    pub recovery_left: i64,
    /// The recovery codes just made: shown once.
    pub fresh_codes: Vec<String>,
}

/// The signed-in account's two-factor state, and a secret to set it up with. `just_on`: the
/// page right after turning it on, which shows the new recovery codes (any later read forgets
/// them).
#[server(prefix = "/api/fn", endpoint = "two_factor", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn two_factor_status(
    fresh: Option<i64>,
    just_on: Option<bool>,
) -> Result<TwoFactorView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    let _ = fresh;
    super::ssr::two_factor::status(&caller, just_on.unwrap_or(false))
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Turns two-factor sign-in on with the first code the app shows.
#[server(prefix = "/api/fn", endpoint = "enable_two_factor", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn enable_two_factor(code: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::two_factor::enable(&caller, &code)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?two_factor=on&fresh={}#two-factor-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// The second step of signing in: the code from the app, or a recovery code.
#[server(prefix = "/api/fn", endpoint = "sign_in_code", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    super::ssr::two_factor::sign_in_code(&caller, &code)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&super::safe_next(next.as_deref()));
    Ok(())
}

/// An admin turns off a colleague's second factor (lost phone, lost codes). Audited.
#[server(prefix = "/api/fn", endpoint = "staff/reset_two_factor", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn reset_two_factor(email: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    super::ssr::two_factor::reset(&caller, &email)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/staff/team?two_factor=reset");
    Ok(())
}

/// The account page's section: on (with codes left), or how to turn it on.
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let query = use_query_map();
    let fresh = Memo::new(move |_| {
        let q = query.read();
        (q.get("fresh"), q.get("two_factor").as_deref() == Some("on"))
    });
    let status = crate::domain::wire::resource(
        move || fresh.get(),
        |(_, just_on)| two_factor_status(None, Some(just_on)),
    );
    let enable = ServerAction::<EnableTwoFactor>::new();
    let error = action_error(enable);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">{tr.t("account.two_factor.heading")}</h2>
            <crate::kit::Loaded data=status let:view>
                {view.required.then(|| view! { <p class="hint">{tr.t("account.two_factor.required")}</p> })}
                {(!view.fresh_codes.is_empty()).then(|| view! {
                    <div class="notice" role="status">
                        <p><strong>{tr.t("account.two_factor.codes_once")}</strong></p>
                        <ul class="recovery-codes" aria-label=tr.t("account.two_factor.codes_label")>
                            {view.fresh_codes.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view()}
                        </ul>
                    </div>
                })}
                {match view.setup {
                    None => view! {
                        <p>{tr.count("account.two_factor.on", view.recovery_left, &[])}</p>
                    }.into_any(),
                    Some(setup) => view! {
                        <p>{tr.t("account.two_factor.why")}</p>
                        <ol class="steps">
                            <li>{tr.t("account.two_factor.step_scan")}</li>
                        </ol>
                        <div class="qr" role="img" aria-label=tr.t("account.two_factor.qr_label") inner_html=setup.qr_svg></div>
                        <p>{tr.t("account.two_factor.or_type")} " " <code data-testid="totp-secret">{setup.secret}</code></p>
                        <ActionForm action=enable attr:class="account-form">
                            <FormError error />
                            <div class="field">
                                <label for="enable-code">{tr.t("account.two_factor.first_code")}</label>
                                <input
                                    id="enable-code"
                                    name="code"
                                    inputmode="numeric"
                                    autocomplete="one-time-code"
                                    required
                                    aria-invalid=field_invalid(error, "code")
                                    aria-describedby="enable-code-error"
                                />
                                <FieldError error field="code" id="enable-code-error" />
                            </div>
                            <button type="submit" class="button">{tr.t("account.two_factor.turn_on")}</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </crate::kit::Loaded>
        </section>
    }
}

/// The sign-in page's second step.
#[component]
pub fn SignInCodeForm(next: String) -> impl IntoView {
    let send = ServerAction::<SignInCode>::new();
    let error = action_error(send);
    let tr = tr();
    view! {
        <h1 id="sign-in-heading">{tr.t("account.two_factor.code_heading")}</h1>
        <p>{tr.t("account.two_factor.code_body")}</p>
        <ActionForm action=send>
            <FormError error />
            <div class="field">
                <label for="code">{tr.t("account.two_factor.code_label")}</label>
                <input
                    id="code"
                    name="code"
                    autocomplete="one-time-code"
                    required
                    autofocus
                    aria-invalid=field_invalid(error, "code")
                    aria-describedby="code-hint code-error"
                />
                <p class="hint" id="code-hint">{tr.t("account.two_factor.code_hint")}</p>
                <FieldError error field="code" id="code-error" />
            </div>
            <input type="hidden" name="next" value=next />
            <button type="submit" class="button" disabled=move || send.pending().get()>
                {tr.t("account.two_factor.continue")}
            </button>
        </ActionForm>
    }
}
