use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{AdjustPoints, CancelForMember, MemberCare, get_member_care, search_members};
use crate::domain::account::Tier;
use crate::domain::account::role_label;
use crate::domain::i18n::{Tr, tr};
use crate::kit::page::refused;
use crate::kit::params::use_id;
use crate::kit::{FieldError, FormError, Loaded, TextField, action_error, field_invalid};

/// A tier's name from the database ("Gold") in the reader's language.
fn tier_label(tr: Tr, name: &str) -> String {
    Tier::parse_name(name).map_or_else(|| name.to_owned(), |t| t.label(tr).to_owned())
}

/// A ledger entry's kind (`earn`, `redeem`, …) as staff read it.
fn kind_label(tr: Tr, kind: &str) -> String {
    match kind {
        "earn" => tr.t("member_care.kinds.earn").to_owned(),
        "redeem" => tr.t("member_care.kinds.redeem").to_owned(),
        "refund" => tr.t("member_care.kinds.refund").to_owned(),
        "adjust" => tr.t("member_care.kinds.adjust").to_owned(),
        "expire" => tr.t("member_care.kinds.expire").to_owned(),
        other => other.to_owned(),
    }
}

/// `/staff/members?q=…`
#[component]
pub fn MemberSearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q"));
    let found = crate::domain::wire::resource(move || q.get(), search_members);
    let tr = tr();
    view! {
        <Title text=tr.f("member_care.search.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="members-heading">
            <p><a href="/staff">{tr.t("member_care.back_to_console")}</a></p>
            <h1 id="members-heading">{tr.t("member_care.search.heading")}</h1>
            <form method="get" action="/staff/members" role="search" class="inline-form">
                <label for="q">{tr.t("member_care.search.label")}</label>
                <input id="q" name="q" type="search" value=q.get_untracked().unwrap_or_default() />
                <button type="submit" class="button button-small-solid">{tr.t("member_care.search.submit")}</button>
            </form>
            <Loaded data=found on_error=refused let:list>
                {if list.is_empty() {
                    let asked = q.get_untracked().is_some_and(|q| !q.trim().is_empty());
                    view! {
                        <p class="empty-state">{if asked { tr.t("member_care.search.no_match") } else { tr.t("member_care.search.prompt") }}</p>
                    }
                    .into_any()
                } else {
                    view! {
                        <ul class="history" role="list">
                            {list.into_iter().map(|m| view! {
                                <li class="history-line">
                                    <div>
                                        <p class="history-reason"><a href=format!("/staff/members/{}", m.id)>{m.email}</a></p>
                                        <p class="history-meta">{format!("{} · {} · {}", m.display_name, tier_label(tr, &m.tier), tr.points(m.balance))}</p>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }}
            </Loaded>
        </section>
    }
}

/// `/staff/members/{id}`
#[component]
pub fn MemberCarePage() -> impl IntoView {
    let query = use_query_map();
    let id = use_id();
    let search = leptos_router::hooks::use_location().search;
    let member = crate::domain::wire::resource(
        move || (id.get(), search.get()),
        |(id, _)| get_member_care(id),
    );
    let tr = tr();
    let notice = move || {
        let q = query.read();
        if q.get("adjusted").is_some() {
            Some(tr.t("member_care.member.adjusted"))
        } else if q.get("cancelled").is_some() {
            Some(tr.t("member_care.member.cancelled"))
        } else {
            None
        }
    };
    view! {
        <Title text=tr.f("member_care.member.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=member on_error=refused let:m>
            {move || notice().map(|n| view! { <p class="form-success" role="status">{n}</p> })}
            <Member member=m />
        </Loaded>
    }
}

#[component]
fn Member(member: MemberCare) -> impl IntoView {
    let adjust = ServerAction::<AdjustPoints>::new();
    let adjust_error = action_error(adjust);
    let cancel = ServerAction::<CancelForMember>::new();
    let cancel_error = action_error(cancel);
    let id = member.id.to_string();
    let cancel_id = id.clone();
    let open: Vec<_> = member
        .redemptions
        .iter()
        .filter(|r| !r.cancelled)
        .cloned()
        .collect();
    let tr = tr();
    let summary = tr.f(
        "member_care.member.summary",
        &[
            ("email", &member.email),
            ("tier", &tier_label(tr, &member.tier)),
            ("role", &role_label(tr, &member.role)),
            ("joined", &member.joined),
        ],
    );
    let balance = tr.f(
        "member_care.member.balance",
        &[("points", &tr.points(member.balance))],
    );
    view! {
        <section class="account-section" aria-labelledby="member-heading">
            <p><a href="/staff/members">{tr.t("member_care.member.back")}</a></p>
            <h1 id="member-heading">{member.display_name.clone()}</h1>
            <p>{summary}</p>
            <p class="balance-figure">{balance}</p>
            <p data-testid="member-value">{member.value.clone()}</p>
            {(!member.best_next.is_empty()).then(|| view! {
                <p data-testid="member-best-next">{member.best_next.clone()} " " <a href="/staff/next-actions">{tr.t("member_care.member.all_next_actions")}</a></p>
            })}
        </section>
        <section class="account-section" aria-labelledby="adjust-heading">
            <h2 id="adjust-heading">{tr.t("member_care.adjust.heading")}</h2>
            <ActionForm action=adjust>
                <FormError error=adjust_error />
                <input type="hidden" name="member_id" value=id.clone() />
                <TextField error=adjust_error field="points" label=tr.t("member_care.adjust.points") required=true
                    hint=tr.t("member_care.adjust.points_hint") />
                <TextField error=adjust_error field="reason" label=tr.t("member_care.adjust.reason") required=true
                    hint=tr.t("member_care.adjust.reason_hint") />
                <button type="submit" class="button" disabled=move || adjust.pending().get()>{tr.t("member_care.adjust.submit")}</button>
            </ActionForm>
        </section>
        <section class="account-section" aria-labelledby="member-redemptions-heading">
            <h2 id="member-redemptions-heading">{tr.t("member_care.redemptions.heading")}</h2>
            {member.redemptions.is_empty().then(|| view! { <p class="empty-state">{tr.t("member_care.redemptions.empty")}</p> })}
            <ul class="history" role="list">
                {member.redemptions.into_iter().map(|r| view! {
                    <li class="history-line">
                        <div>
                            <p class="history-reason">{r.reward}</p>
                            <p class="history-meta">{format!("{} · {} · {}{}", r.code, r.at_label, tr.points(r.points), if r.cancelled { format!(" · {}", tr.t("member_care.redemptions.cancelled")) } else { String::new() })}</p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
            {(!open.is_empty()).then(|| view! {
                <h3>{tr.t("member_care.cancel.heading")}</h3>
                <ActionForm action=cancel>
                    <FormError error=cancel_error />
                    <input type="hidden" name="member_id" value=cancel_id />
                    <div class="field">
                        <label for="code">{tr.t("member_care.cancel.redemption")}</label>
                        <select id="code" name="code">
                            {open.into_iter().map(|r| view! {
                                <option value=r.code.clone()>{format!("{} · {}", r.code, r.reward)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="cancel-reason">{tr.t("member_care.cancel.reason")}</label>
                        <input id="cancel-reason" name="reason" required
                            aria-invalid=field_invalid(cancel_error, "reason") aria-describedby="cancel-reason-error" />
                        <FieldError error=cancel_error field="reason" id="cancel-reason-error" />
                    </div>
                    <button type="submit" class="button button-secondary">{tr.t("member_care.cancel.submit")}</button>
                </ActionForm>
            })}
        </section>
        <TheirData id=member.id />
        <section class="account-section" aria-labelledby="member-ledger-heading">
            <h2 id="member-ledger-heading">{tr.t("member_care.ledger.heading")}</h2>
            {member.ledger.is_empty().then(|| view! { <p class="empty-state">{tr.t("member_care.ledger.empty")}</p> })}
            <ul class="history" role="list">
                {member.ledger.into_iter().map(|l| view! {
                    <li class="history-line">
                        <div>
                            <p class="history-reason">{l.reason}</p>
                            <p class="history-meta">{format!("{} · {}", kind_label(tr, &l.kind), l.at_label)}</p>
                        </div>
                        <strong>{format!("{}{}", if l.points > 0 { "+" } else { "" }, tr.number(l.points))}</strong>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The member's data rights, run by staff on their request: their data as a file, and
/// deleting their account (the member's email typed to confirm).
#[component]
fn TheirData(id: i64) -> impl IntoView {
    let delete = ServerAction::<super::DeleteMember>::new();
    let error = action_error(delete);
    let query = use_query_map();
    let deleted = move || query.read().get("deleted").is_some();
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="member-data-heading">
            <h2 id="member-data-heading">{tr.t("member_care.delete.heading")}</h2>
            {move || deleted().then(|| view! { <p class="form-success" role="status">{tr.t("member_care.delete.done")}</p> })}
            <p><a class="button button-secondary" href=super::member_data_path(id) download>{tr.t("member_care.delete.download")}</a></p>
            <p class="hint">{tr.t("member_care.delete.hint")}</p>
            <ActionForm action=delete attr:class="account-form">
                <FormError error />
                <input type="hidden" name="member_id" value=id.to_string() />
                <fieldset class="choices">
                    <legend>{tr.t("account.data.open_redemptions")}</legend>
                    <div class="field field-check">
                        <input id="member-open-honour" name="open_redemptions" type="radio" value="honour" checked=true />
                        <label for="member-open-honour">{tr.t("account.data.honour")}</label>
                    </div>
                    <div class="field field-check">
                        <input id="member-open-cancel" name="open_redemptions" type="radio" value="cancel" />
                        <label for="member-open-cancel">{tr.t("account.data.cancel")}</label>
                    </div>
                </fieldset>
                <div class="field">
                    <label for="delete-confirm">{tr.t("member_care.delete.confirm")}</label>
                    <input id="delete-confirm" name="confirm" type="email" required
                        aria-invalid=field_invalid(error, "confirm") aria-describedby="delete-confirm-error" />
                    <FieldError error field="confirm" id="delete-confirm-error" />
                </div>
                <button type="submit" class="button button-danger">{tr.t("member_care.delete.submit")}</button>
            </ActionForm>
        </section>
    }
}
