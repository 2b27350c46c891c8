//! "Your data" on the account page: download everything the portal holds about you, or delete
//! your account.

use leptos::prelude::*;

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::{FieldError, FormError, action_error, field_invalid};

/// The download of a member's data (an axum route: a file, not a page).
pub const MY_DATA_PATH: &str = "/account/my-data.json";

/// Deletes the signed-in member's account, confirmed by their password; `open_redemptions`
/// is `honour` or `cancel`. Signs this browser out and leads to a goodbye.
#[server(prefix = "/api/fn", endpoint = "delete_account", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn delete_account(password: String, open_redemptions: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::delete_my_account(&caller, &password, &open_redemptions)
        .await
        .map_err(crate::domain::error::server::reply)?;
    caller.session().flush().await.map_err(|e| {
        crate::domain::error::server::reply(AppError::internal("ending a session", e))
    })?;
    super::ssr::forget_kept_card();
    leptos_axum::redirect("/account?step=deleted");
    Ok(())
}

#[component]
pub(super) fn YourData() -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    let error = action_error(delete);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="data-heading">
            <h2 id="data-heading">{tr.t("account.data.heading")}</h2>
            <p>
                <a class="button button-secondary" href=MY_DATA_PATH download="my-rewards-bazaar-data.json">
                    {tr.t("account.data.download")}
                </a>
            </p>
            <p class="hint">{tr.t("account.data.download_hint")}</p>
            <h3>{tr.t("account.data.delete_heading")}</h3>
            <p class="hint">{tr.t("account.data.delete_hint")}</p>
            <ActionForm action=delete attr:class="account-form">
                <FormError error />
                <fieldset class="choices" aria-describedby="open_redemptions-error">
                    <legend>{tr.t("account.data.open_redemptions")}</legend>
                    <div class="field field-check">
                        <input id="open-honour" name="open_redemptions" type="radio" value="honour" checked=true />
                        <label for="open-honour">{tr.t("account.data.honour")}</label>
                    </div>
                    <div class="field field-check">
                        <input id="open-cancel" name="open_redemptions" type="radio" value="cancel" />
                        <label for="open-cancel">{tr.t("account.data.cancel")}</label>
                    </div>
                    <FieldError error field="open_redemptions" id="open_redemptions-error" />
                </fieldset>
                <div class="field">
                    <label for="delete_password">{tr.t("account.data.password")}</label>
                    <input
                        id="delete_password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=field_invalid(error, "password")
                        aria-describedby="delete_password-error"
                    />
                    <FieldError error field="password" id="delete_password-error" />
                </div>
                <button type="submit" class="button button-danger" disabled=move || delete.pending().get()>
                    {tr.t("account.data.delete")}
                </button>
            </ActionForm>
        </section>
    }
}
