use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{AccountView, DeviceSession, HistoryLine, Notice, Reminder, format_money, get_account};
use crate::account::{ChangePassword, EndOtherSessions, EndSession};
use crate::kit::Loaded;
use crate::kit::countdown::LocalTime;
use crate::kit::{FieldError, FormError, action_error, field_invalid};
use crate::redemptions::RedemptionsList;

/// `/account`: the member's points at a glance, then their history.
#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<i64>().ok()));
    // `fresh` changes after signing a device out: the page's data is read again.
    let fresh = Memo::new(move |_| {
        query
            .read()
            .get("fresh")
            .and_then(|p| p.parse::<i64>().ok())
    });
    let account = crate::domain::wire::resource(
        move || (page.get(), fresh.get()),
        |(page, fresh)| get_account(page, fresh),
    );
    view! {
        <Title text="Your account · Rewards Bazaar" />
        <Loaded data=account loading="Loading your account…" signed_out=SignInPrompt let:data>
            <AccountContent data />
        </Loaded>
    }
}

#[component]
fn SignInPrompt() -> impl IntoView {
    crate::kit::page_status::set_page_status(401);
    view! {
        <div class="notice">
            <h1>"Sign in to see your points"</h1>
            <p><a class="button" href="/sign-in?next=/account">"Sign in"</a></p>
            <p>"New here? " <a href="/sign-up">"Create an account"</a></p>
        </div>
    }
}

#[component]
fn AccountContent(data: AccountView) -> impl IntoView {
    let progress = data.next_tier.as_ref().map(|next| {
        let goal = data.spend_12m_cents + next.spend_needed_cents;
        let pct = if goal > 0 {
            data.spend_12m_cents * 100 / goal
        } else {
            100
        };
        (next.clone(), pct)
    });
    let currency = data.currency.clone();
    let rate = format!(
        "{}.{:02}",
        data.earn_rate_pct / 100,
        data.earn_rate_pct % 100
    );
    view! {
        <section class="account-summary" aria-labelledby="account-heading">
            <h1 id="account-heading">{format!("Hi, {}", data.display_name)}</h1>
            <dl class="stats">
                <div class="stat">
                    <dt>"Points balance"</dt>
                    <dd class="stat-value" data-testid="balance">{data.balance.to_string()}</dd>
                </div>
                <div class="stat">
                    <dt>"Tier"</dt>
                    <dd class="stat-value">{data.tier_name.clone()}</dd>
                    <dd class="stat-note">{format!("{rate} points per {} spent", if currency == "USD" { "$1".to_owned() } else { format!("1 {currency}") })}</dd>
                </div>
                <div class="stat">
                    <dt>"Expiring in the next 30 days"</dt>
                    <dd class="stat-value">{data.expiring_soon.to_string()}</dd>
                    {data.expiring_first_label.clone().map(|l| view! { <dd class="stat-note">{format!("First on {l}")}</dd> })}
                </div>
            </dl>
            {match progress {
                Some((next, pct)) => view! {
                    <div class="tier-progress">
                        <p>
                            {format!("Spend {} more to reach {}.", format_money(next.spend_needed_cents, &data.currency), next.name)}
                        </p>
                        <progress max="100" value=pct.to_string() aria-label=format!("Progress to {}", next.name)>
                            {format!("{pct}%")}
                        </progress>
                        <p class="hint">{format!("{} spent in the last 12 months.", format_money(data.spend_12m_cents, &data.currency))}</p>
                    </div>
                }.into_any(),
                None => view! { <p class="tier-progress">"You are in our top tier. Thank you!"</p> }.into_any(),
            }}
        </section>
        <Notices notices=data.notices.clone() />
        <Reminders reminders=data.reminders.clone() />
        <RedemptionsList />
        <History lines=data.history page=data.page has_more=data.has_more />
        <Sessions sessions=data.sessions />
        <ChangePasswordForm />
    }
}

/// Messages for the member; shown only when there are some, near the top where they are seen.
#[component]
fn Notices(notices: Vec<Notice>) -> impl IntoView {
    (!notices.is_empty()).then(|| {
        view! {
            <section class="account-section" aria-labelledby="notices-heading">
                <h2 id="notices-heading">"Messages for you"</h2>
                <ul class="notice-list" role="list">
                    {notices.into_iter().map(|n| view! {
                        <li class="notice">
                            <p>{n.message}</p>
                            <p class="history-meta">{n.at_label}</p>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Reminders(reminders: Vec<Reminder>) -> impl IntoView {
    let empty = reminders.is_empty();
    view! {
        <section class="account-section" aria-labelledby="reminders-heading">
            <h2 id="reminders-heading">"Your drop reminders"</h2>
            {empty.then(|| view! {
                <p class="empty-state">"No reminders yet. Choose “Remind me” on an upcoming drop in the " <a href="/#upcoming-heading">"bazaar"</a> " and we will tell you here if it moves or is cancelled."</p>
            })}
            <ul class="history" role="list">
                {reminders.into_iter().map(|r| view! {
                    <li class="history-line">
                        <div>
                            <p class="history-reason">{r.title}</p>
                            <p class="history-meta"><LocalTime at=r.starts_at store_label=r.starts_label /></p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn History(lines: Vec<HistoryLine>, page: i64, has_more: bool) -> impl IntoView {
    let empty = lines.is_empty();
    view! {
        <section class="account-section" aria-labelledby="history-heading">
            <h2 id="history-heading">"Points history"</h2>
            {empty.then(|| view! { <p class="empty-state">"No points yet. Purchases in our shops earn points automatically."</p> })}
            <ul class="history" role="list">
                {lines
                    .into_iter()
                    .map(|line| {
                        let sign_class = if line.points > 0 { "points points-plus" } else { "points points-minus" };
                        let amount = if line.points > 0 { format!("+{}", line.points) } else { line.points.to_string() };
                        view! {
                            <li class="history-line">
                                <div>
                                    <p class="history-reason">{line.reason}</p>
                                    <p class="history-meta">
                                        <time datetime=line.at.to_rfc3339()>{line.at_label}</time>
                                        {line.reference.map(|r| format!(" · {r}"))}
                                    </p>
                                </div>
                                <p class=sign_class>{amount}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <nav class="pager" aria-label="History pages">
                {(page > 1).then(|| view! { <a href=format!("/account?page={}", page - 1)>"Newer"</a> })}
                {has_more.then(|| view! { <a href=format!("/account?page={}", page + 1)>"Older"</a> })}
            </nav>
        </section>
    }
}

/// Where the member is signed in, with "Sign out" for each other device and for all of them:
/// a lost phone or a shared computer is signed out from here.
#[component]
fn Sessions(sessions: Vec<DeviceSession>) -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let error = action_error(end_one);
    let query = use_query_map();
    let done = move || query.read().get("sessions").as_deref() == Some("ended");
    let others = sessions.iter().any(|s| !s.current);
    view! {
        <section class="account-section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you’re signed in"</h2>
            <FormError error />
            {move || done().then(|| view! { <p class="form-success" role="status">"Signed out."</p> })}
            <ul class="history" role="list">
                {sessions.into_iter().map(|s| {
                    let label = format!("Sign out {}", s.device);
                    view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{s.device.clone()}</p>
                                <p class="history-meta">
                                    {if s.current { "This device".to_owned() } else { format!("Last used {}", s.last_seen_label) }}
                                </p>
                            </div>
                            {(!s.current).then(|| view! {
                                <ActionForm action=end_one>
                                    <input type="hidden" name="session" value=s.handle.clone() />
                                    <button type="submit" class="button button-secondary" aria-label=label.clone()>"Sign out"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {others.then(|| view! {
                <ActionForm action=end_others>
                    <button type="submit" class="button button-secondary">"Sign out everywhere else"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    // Success redirects to `?password=changed`, which works the same with and without WebAssembly.
    let query = use_query_map();
    let done = move || query.read().get("password").as_deref() == Some("changed");
    view! {
        <section class="account-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <ActionForm action>
                <FormError error />
                {move || done().then(|| view! { <p class="form-success" role="status">"Your password was changed."</p> })}
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input
                        id="current_password"
                        name="current_password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=field_invalid(error, "current_password")
                        aria-describedby="current_password-error"
                    />
                    <FieldError error field="current_password" id="current_password-error" />
                </div>
                <div class="field">
                    <label for="new_password">"New password"</label>
                    <input
                        id="new_password"
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        aria-invalid=field_invalid(error, "new_password")
                        aria-describedby="new_password-error"
                    />
                    <FieldError error field="new_password" id="new_password-error" />
                </div>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}
