use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{CreateApiKey, RevokeApiKey, SetRole, list_api_keys, list_team};
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
    view! {
        <Title text="Team · Staff · Rewards Bazaar" />
        <Loaded data=team on_error=refused let:list>
            <section class="account-section" aria-labelledby="team-heading">
                <p><a href="/staff">"← Staff console"</a></p>
                <h1 id="team-heading">"Staff and admins"</h1>
                {move || query.read().get("saved").map(|_| view! { <p class="form-success" role="status">"Role saved. They have been signed out everywhere."</p> })}
                <ul class="history" role="list">
                    {list.into_iter().map(|m| view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{m.display_name}</p>
                                <p class="history-meta">{format!("{} · {}", m.email, m.role)}</p>
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="account-section" aria-labelledby="role-heading">
                <h2 id="role-heading">"Change a role"</h2>
                <p class="hint">"The person needs an account first: they sign up, then you give them a role."</p>
                <ActionForm action=set>
                    <FormError error />
                    <TextField error field="email" label="Email" kind="email" required=true />
                    <div class="field">
                        <label for="role">"Role"</label>
                        <select id="role" name="role" aria-invalid=field_invalid(error, "role") aria-describedby="role-error">
                            <option value="staff">"Staff"</option>
                            <option value="admin">"Admin"</option>
                            <option value="member">"Member (no staff access)"</option>
                        </select>
                        <FieldError error field="role" id="role-error" />
                    </div>
                    <button type="submit" class="button">"Save role"</button>
                </ActionForm>
            </section>
        </Loaded>
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
    view! {
        <Title text="API keys · Staff · Rewards Bazaar" />
        <Loaded data=keys on_error=refused let:k>
            <section class="account-section" aria-labelledby="keys-heading">
                <p><a href="/staff">"← Staff console"</a></p>
                <h1 id="keys-heading">"API keys"</h1>
                <p class="hint">"Shops and tills send purchases to /api/v1/purchases with one of these keys."</p>
                {move || query.read().get("revoked").map(|_| view! { <p class="form-success" role="status">"Key revoked."</p> })}
                {k.fresh_key.map(|key| view! {
                    <div class="notice" role="status">
                        <p><strong>"New key: copy it now, it is shown only once."</strong></p>
                        <p><code class="api-key">{key}</code></p>
                    </div>
                })}
                {k.keys.is_empty().then(|| view! { <p class="empty-state">"No keys yet."</p> })}
                <ul class="history" role="list">
                    {k.keys.into_iter().map(|key| {
                        let label = format!("Revoke {}", key.name);
                        view! {
                            <li class="history-line">
                                <div>
                                    <p class="history-reason">{format!("{} ({})", key.name, key.source)}</p>
                                    <p class="history-meta">{format!(
                                        "{}… · created {} · {}{}",
                                        key.prefix, key.created,
                                        key.last_used.map(|t| format!("last used {t}")).unwrap_or_else(|| "never used".into()),
                                        if key.revoked { " · revoked" } else { "" }
                                    )}</p>
                                </div>
                                {(!key.revoked).then(|| view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=key.id.to_string() />
                                        <button type="submit" class="button button-small" aria-label=label>"Revoke"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="account-section" aria-labelledby="new-key-heading">
                <h2 id="new-key-heading">"New key"</h2>
                <ActionForm action=create>
                    <FormError error />
                    <TextField error field="name" label="Name" required=true hint="What uses it, e.g. Web shop." />
                    <TextField error field="source" label="Source" required=true
                        hint="Purchases are unique per source: keep it when replacing a till's key, e.g. till-3." />
                    <button type="submit" class="button">"Create key"</button>
                </ActionForm>
            </section>
        </Loaded>
    }
}
