use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{SendTestEmail, mailbox};
use crate::domain::i18n::tr;
use crate::kit::page::{refused, staff_title};
use crate::kit::{FormError, Loaded, TextField, action_error};

/// `/staff/mailbox`. Admins only.
#[component]
pub fn MailboxPage() -> impl IntoView {
    let query = use_query_map();
    let search = leptos_router::hooks::use_location().search;
    let data = crate::domain::wire::resource(move || search.get(), |_| mailbox(None));
    let send = ServerAction::<SendTestEmail>::new();
    let error = action_error(send);
    let tr = tr();
    view! {
        <Title text=staff_title(tr, Some(tr.t("mailbox.heading"))) />
        <Loaded data on_error=refused let:view>
            <section class="account-section" aria-labelledby="mailbox-heading">
                <p><a href="/staff">{tr.t("team.back_to_console")}</a></p>
                <h1 id="mailbox-heading">{tr.t("mailbox.heading")}</h1>
                <p class="hint">
                    {if view.keeps_mail { tr.t("mailbox.keeps_mail") } else { tr.t("mailbox.sends_mail") }}
                </p>
                {move || query.read().get("sent").map(|_| view! { <p class="form-success" role="status">{tr.t("mailbox.test_sent")}</p> })}
                {view.messages.is_empty().then(|| view! { <p class="empty">{tr.t("mailbox.empty")}</p> })}
                <ul class="history" role="list">
                    {view.messages.into_iter().map(|m| {
                        let status = match m.status.as_str() {
                            "sent" => tr.t("mailbox.status_sent"),
                            "failed" => tr.t("mailbox.status_failed"),
                            _ => tr.t("mailbox.status_waiting"),
                        };
                        view! {
                            <li class="history-line mail-item">
                                <article aria-label=m.subject.clone()>
                                    <p class="history-reason">{m.subject.clone()}</p>
                                    <p class="history-meta">{format!("{} · {} · {}", m.to, m.at_label, status)}</p>
                                    {m.error.map(|e| view! { <p class="hint">{e}</p> })}
                                    {m.text.map(|text| view! {
                                        <details>
                                            <summary>{tr.t("mailbox.read")}</summary>
                                            <div class="mail-body">
                                                {text.lines().map(|line| {
                                                    if line.starts_with("http://") || line.starts_with("https://") {
                                                        view! { <p><a href=line.to_owned()>{line.to_owned()}</a></p> }.into_any()
                                                    } else {
                                                        view! { <p>{line.to_owned()}</p> }.into_any()
                                                    }
                                                }).collect_view()}
                                            </div>
                                        </details>
                                    })}
                                </article>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="account-section" aria-labelledby="test-heading">
                <h2 id="test-heading">{tr.t("mailbox.test_heading")}</h2>
                <ActionForm action=send>
                    <FormError error />
                    <TextField error field="to" label=tr.t("mailbox.test_to") kind="email" required=true />
                    <button type="submit" class="button">{tr.t("mailbox.test_submit")}</button>
                </ActionForm>
            </section>
        </Loaded>
    }
}
