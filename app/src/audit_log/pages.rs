use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::audit_entries;
use crate::domain::i18n::tr;
use crate::kit::Loaded;
use crate::kit::page::refused;

/// `/staff/audit`: who did what, filterable. Admins only.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| (query.read().get("action"), query.read().get("actor")));
    let entries = crate::domain::wire::resource(
        move || filters.get(),
        |(action, actor)| audit_entries(action, actor),
    );
    let tr = tr();
    view! {
        <Title text=tr.f("audit_log.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=entries on_error=refused let:list>
            <section class="account-section" aria-labelledby="audit-heading">
                <h1 id="audit-heading">{tr.t("audit_log.heading")}</h1>
                <form method="get" action="/staff/audit" class="inline-form" role="search">
                    <label for="action">{tr.t("audit_log.action")}</label>
                    <input id="action" name="action" placeholder="reward." value=filters.get_untracked().0.unwrap_or_default() />
                    <label for="actor">{tr.t("audit_log.actor")}</label>
                    <input id="actor" name="actor" type="email" value=filters.get_untracked().1.unwrap_or_default() />
                    <button type="submit" class="button button-small-solid">{tr.t("audit_log.filter")}</button>
                </form>
                {list.is_empty().then(|| view! { <p class="empty-state">{tr.t("audit_log.empty")}</p> })}
                <ul class="history" role="list">
                    {list.into_iter().map(|e| view! {
                        <li class="audit-line">
                            <p class="history-reason">{format!("{} · {}", e.action, e.subject)}</p>
                            <p class="history-meta">{format!("{} · {}", e.actor, e.at_label)}</p>
                            {e.before.map(|b| view! { <p class="audit-json">{tr.t("audit_log.before")} " " <code>{b}</code></p> })}
                            {e.after.map(|a| view! { <p class="audit-json">{tr.t("audit_log.after")} " " <code>{a}</code></p> })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </Loaded>
    }
}
