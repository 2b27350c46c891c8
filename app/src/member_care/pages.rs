use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{AdjustPoints, CancelForMember, MemberCare, get_member_care, search_members};
use crate::kit::page::refused;
use crate::kit::params::use_id;
use crate::kit::{FieldError, FormError, Loaded, TextField, action_error, field_invalid};

/// `/staff/members?q=…`
#[component]
pub fn MemberSearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q"));
    let found = crate::domain::wire::resource(move || q.get(), search_members);
    view! {
        <Title text="Members · Staff · Rewards Bazaar" />
        <section class="account-section" aria-labelledby="members-heading">
            <p><a href="/staff">"← Staff console"</a></p>
            <h1 id="members-heading">"Members"</h1>
            <form method="get" action="/staff/members" role="search" class="inline-form">
                <label for="q">"Email or name"</label>
                <input id="q" name="q" type="search" value=q.get_untracked().unwrap_or_default() />
                <button type="submit" class="button button-small-solid">"Search"</button>
            </form>
            <Loaded data=found on_error=refused let:list>
                {if list.is_empty() {
                    let asked = q.get_untracked().is_some_and(|q| !q.trim().is_empty());
                    view! {
                        <p class="empty-state">{if asked { "No member matches." } else { "Search by email or name." }}</p>
                    }
                    .into_any()
                } else {
                    view! {
                        <ul class="history" role="list">
                            {list.into_iter().map(|m| view! {
                                <li class="history-line">
                                    <div>
                                        <p class="history-reason"><a href=format!("/staff/members/{}", m.id)>{m.email}</a></p>
                                        <p class="history-meta">{format!("{} · {} · {}", m.display_name, m.tier, m.balance)}</p>
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
    let notice = move || {
        let q = query.read();
        if q.get("adjusted").is_some() {
            Some("Points adjusted.")
        } else if q.get("cancelled").is_some() {
            Some("Redemption cancelled: points and stock returned.")
        } else {
            None
        }
    };
    view! {
        <Title text="Member · Staff · Rewards Bazaar" />
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
    view! {
        <section class="account-section" aria-labelledby="member-heading">
            <p><a href="/staff/members">"← Members"</a></p>
            <h1 id="member-heading">{member.display_name.clone()}</h1>
            <p>{format!("{} · {} · {} · joined {}", member.email, member.tier, member.role, member.joined)}</p>
            <p class="balance-figure">{format!("Balance: {}", member.balance)}</p>
        </section>
        <section class="account-section" aria-labelledby="adjust-heading">
            <h2 id="adjust-heading">"Adjust points"</h2>
            <ActionForm action=adjust>
                <FormError error=adjust_error />
                <input type="hidden" name="member_id" value=id.clone() />
                <TextField error=adjust_error field="points" label="Points" required=true
                    hint="Positive adds points, negative (e.g. -200) takes them away." />
                <TextField error=adjust_error field="reason" label="Reason" required=true
                    hint="The member sees this in their points history." />
                <button type="submit" class="button" disabled=move || adjust.pending().get()>"Adjust points"</button>
            </ActionForm>
        </section>
        <section class="account-section" aria-labelledby="member-redemptions-heading">
            <h2 id="member-redemptions-heading">"Redemptions"</h2>
            {member.redemptions.is_empty().then(|| view! { <p class="empty-state">"No redemptions yet."</p> })}
            <ul class="history" role="list">
                {member.redemptions.into_iter().map(|r| view! {
                    <li class="history-line">
                        <div>
                            <p class="history-reason">{r.reward}</p>
                            <p class="history-meta">{format!("{} · {} · {}{}", r.code, r.at_label, r.points, if r.cancelled { " · cancelled" } else { "" })}</p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
            {(!open.is_empty()).then(|| view! {
                <h3>"Cancel a redemption"</h3>
                <ActionForm action=cancel>
                    <FormError error=cancel_error />
                    <input type="hidden" name="member_id" value=cancel_id />
                    <div class="field">
                        <label for="code">"Redemption"</label>
                        <select id="code" name="code">
                            {open.into_iter().map(|r| view! {
                                <option value=r.code.clone()>{format!("{} · {}", r.code, r.reward)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="cancel-reason">"Reason"</label>
                        <input id="cancel-reason" name="reason" required
                            aria-invalid=field_invalid(cancel_error, "reason") aria-describedby="cancel-reason-error" />
                        <FieldError error=cancel_error field="reason" id="cancel-reason-error" />
                    </div>
                    <button type="submit" class="button button-secondary">"Cancel redemption"</button>
                </ActionForm>
            })}
        </section>
        <section class="account-section" aria-labelledby="member-ledger-heading">
            <h2 id="member-ledger-heading">"Points history"</h2>
            {member.ledger.is_empty().then(|| view! { <p class="empty-state">"No points activity yet."</p> })}
            <ul class="history" role="list">
                {member.ledger.into_iter().map(|l| view! {
                    <li class="history-line">
                        <div>
                            <p class="history-reason">{l.reason}</p>
                            <p class="history-meta">{format!("{} · {}", l.kind, l.at_label)}</p>
                        </div>
                        <strong>{format!("{:+}", l.points)}</strong>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
