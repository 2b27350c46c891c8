use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{CreateApiKey, RevokeApiKey, SetRole, list_api_keys, list_team};
use crate::domain::account::role_label;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FieldError, FormError, Loaded, TextField, action_error, field_invalid};

/// `/staff/team`: staff and admins, and a form to change anyone's role. Admins only.
#[component]
pub fn TeamPage() -> impl IntoView {
    let query = use_query_map();
    let search = leptos_router::hooks::use_location().search;
    let team = crate::domain::wire::resource(move || search.get(), |_| list_team());
    let set = ServerAction::<SetRole>::new();
    let error = action_error(set);
    let tr = tr();
    view! {
        <Title text=tr.f("team.team_page.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=team on_error=refused let:list>
            <section class="account-section" aria-labelledby="team-heading">
                <p><a href="/staff">{tr.t("team.back_to_console")}</a></p>
                <h1 id="team-heading">{tr.t("team.team_page.heading")}</h1>
                {move || query.read().get("saved").map(|_| view! { <p class="form-success" role="status">{tr.t("team.team_page.saved")}</p> })}
                <ul class="history" role="list">
                    {list.into_iter().map(|m| view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{m.display_name}</p>
                                <p class="history-meta">{format!("{} · {}", m.email, role_label(tr, &m.role))}</p>
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="account-section" aria-labelledby="role-heading">
                <h2 id="role-heading">{tr.t("team.team_page.change_heading")}</h2>
                <p class="hint">{tr.t("team.team_page.change_hint")}</p>
                <ActionForm action=set>
                    <FormError error />
                    <TextField error field="email" label=tr.t("team.team_page.email") kind="email" required=true />
                    <div class="field">
                        <label for="role">{tr.t("team.team_page.role")}</label>
                        <select id="role" name="role" aria-invalid=field_invalid(error, "role") aria-describedby="role-error">
                            <option value="staff">{tr.t("team.team_page.option_staff")}</option>
                            <option value="admin">{tr.t("team.team_page.option_admin")}</option>
                            <option value="member">{tr.t("team.team_page.option_member")}</option>
                        </select>
                        <FieldError error field="role" id="role-error" />
                    </div>
                    <button type="submit" class="button">{tr.t("team.team_page.submit")}</button>
                </ActionForm>
            </section>
            <ResetTwoFactor />
        </Loaded>
    }
}

/// An admin turns off a colleague's second factor when they lost their phone and their codes.
#[component]
fn ResetTwoFactor() -> impl IntoView {
    let reset = ServerAction::<crate::account::two_factor::ResetTwoFactor>::new();
    let error = action_error(reset);
    let query = use_query_map();
    let done = move || query.read().get("two_factor").is_some();
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="reset-2fa-heading">
            <h2 id="reset-2fa-heading">{tr.t("team.two_factor.heading")}</h2>
            <p class="hint">{tr.t("team.two_factor.hint")}</p>
            {move || done().then(|| view! { <p class="form-success" role="status">{tr.t("team.two_factor.done")}</p> })}
            <ActionForm action=reset>
                <FormError error />
                <TextField error field="email" label=tr.t("team.two_factor.email") kind="email" required=true />
                <button type="submit" class="button button-secondary">{tr.t("team.two_factor.submit")}</button>
            </ActionForm>
        </section>
    }
}

/// `/staff/api-keys`: keys for the earning API. Admins only.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let query = use_query_map();
    let search = leptos_router::hooks::use_location().search;
    let keys = crate::domain::wire::resource(move || search.get(), |_| list_api_keys());
    let create = ServerAction::<CreateApiKey>::new();
    let error = action_error(create);
    let revoke = ServerAction::<RevokeApiKey>::new();
    let tr = tr();
    view! {
        <Title text=tr.f("team.keys.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=keys on_error=refused let:k>
            <section class="account-section" aria-labelledby="keys-heading">
                <p><a href="/staff">{tr.t("team.back_to_console")}</a></p>
                <h1 id="keys-heading">{tr.t("team.keys.heading")}</h1>
                <p class="hint">{tr.f("team.keys.hint", &[("path", "/api/v1/purchases")])}</p>
                {move || query.read().get("revoked").map(|_| view! { <p class="form-success" role="status">{tr.t("team.keys.revoked_notice")}</p> })}
                {k.fresh_key.map(|key| view! {
                    <div class="notice" role="status">
                        <p><strong>{tr.t("team.keys.fresh")}</strong></p>
                        <p><code class="api-key">{key}</code></p>
                    </div>
                })}
                {k.keys.is_empty().then(|| view! { <p class="empty-state">{tr.t("team.keys.empty")}</p> })}
                <ul class="history" role="list">
                    {k.keys.into_iter().map(|key| {
                        let label = tr.f("team.keys.revoke_named", &[("name", &key.name)]);
                        let mut meta = vec![
                            format!("{}…", key.prefix),
                            tr.f("team.keys.created", &[("at", &key.created)]),
                            match &key.last_used {
                                Some(at) => tr.f("team.keys.last_used", &[("at", at)]),
                                None => tr.t("team.keys.never_used").to_owned(),
                            },
                        ];
                        if key.revoked {
                            meta.push(tr.t("team.keys.revoked").to_owned());
                        }
                        view! {
                            <li class="history-line">
                                <div>
                                    <p class="history-reason">{format!("{} ({})", key.name, key.source)}</p>
                                    <p class="history-meta">{meta.join(" · ")}</p>
                                </div>
                                {(!key.revoked).then(|| view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=key.id.to_string() />
                                        <button type="submit" class="button button-small" aria-label=label>{tr.t("team.keys.revoke")}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="account-section" aria-labelledby="new-key-heading">
                <h2 id="new-key-heading">{tr.t("team.keys.new_heading")}</h2>
                <ActionForm action=create>
                    <FormError error />
                    <TextField error field="name" label=tr.t("team.keys.name") required=true hint=tr.t("team.keys.name_hint") />
                    <TextField error field="source" label=tr.t("team.keys.source") required=true
                        hint=tr.t("team.keys.source_hint") />
                    <button type="submit" class="button">{tr.t("team.keys.submit")}</button>
                </ActionForm>
            </section>
        </Loaded>
    }
}
