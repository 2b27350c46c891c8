use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    AccountView, DeviceSession, Gift, HistoryLine, MailSettings, Notice, Reminder, get_account,
};
use crate::account::{ChangePassword, EndOtherSessions, EndSession};
use crate::domain::account::Tier;
use crate::domain::i18n::{Tr, tr};
use crate::kit::Loaded;
use crate::kit::countdown::LocalTime;
use crate::kit::{FieldError, FormError, action_error, field_invalid};
use crate::redemptions::RedemptionsList;

/// `/account`: the member's points at a glance, then their history. With `?step=…`, one of the
/// pages an account mail leads to (`by_mail`), signed in or not: they share this route, since
/// each route weighs on the bundle every member downloads.
#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    // Reactive: a form on one step leads to another (verify → verified) without a page load.
    let step = Memo::new(move |_| query.read().get("step"));
    move || match step.get() {
        Some(step) if step == "card" => view! { <super::card::CardPage /> }.into_any(),
        Some(step) if step == "question" => view! { <super::questions::QuestionPage /> }.into_any(),
        Some(step) => view! { <super::AccountStepPage step /> }.into_any(),
        None => account_page(query).into_any(),
    }
}

fn account_page(query: Memo<leptos_router::params::ParamsMap>) -> impl IntoView {
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
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("account.page.title"), tr.t("shell.brand")) />
        <Loaded data=account loading=tr.t("account.page.loading") signed_out=SignInPrompt let:data>
            <AccountContent data />
        </Loaded>
    }
}

#[component]
fn SignInPrompt() -> impl IntoView {
    crate::kit::page_status::set_page_status(401);
    let tr = tr();
    view! {
        <div class="notice">
            <h1>{tr.t("account.page.sign_in_prompt")}</h1>
            <p><a class="button" href="/sign-in?next=/account">{tr.t("account.sign_in")}</a></p>
            <p>{tr.t("account.new_here")} " " <a href="/sign-up">{tr.t("account.create_account_link")}</a></p>
        </div>
    }
}

#[component]
fn AccountContent(data: AccountView) -> impl IntoView {
    let tr = tr();
    let progress = data.next_tier.as_ref().map(|next| {
        let goal = data.spend_12m_cents + next.spend_needed_cents;
        let pct = if goal > 0 {
            data.spend_12m_cents * 100 / goal
        } else {
            100
        };
        (next.clone(), pct)
    });
    view! {
        <section class="account-summary" aria-labelledby="account-heading">
            <h1 id="account-heading">{tr.f("account.summary.greeting", &[("name", &data.display_name)])}</h1>
            <dl class="stats">
                <div class="stat">
                    <dt>{tr.t("account.summary.balance")}</dt>
                    <dd class="stat-value" data-testid="balance">{points_short(tr, data.balance.get())}</dd>
                </div>
                <div class="stat">
                    <dt>{tr.t("account.summary.tier")}</dt>
                    <dd class="stat-value">{tier_label(tr, &data.tier_name)}</dd>
                    <dd class="stat-note">{data.earn_rate_label.clone()}</dd>
                </div>
                <div class="stat">
                    <dt>{tr.t("account.summary.expiring")}</dt>
                    <dd class="stat-value">{points_short(tr, data.expiring_soon.get())}</dd>
                    {data.expiring_first_label.clone().map(|l| view! { <dd class="stat-note">{l}</dd> })}
                </div>
            </dl>
            {match progress {
                Some((next, pct)) => {
                    let next_name = tier_label(tr, &next.name);
                    view! {
                        <div class="tier-progress">
                            <p>
                                {tr.f("account.summary.spend_to_reach", &[("amount", &next.spend_needed_label), ("tier", &next_name)])}
                            </p>
                            <progress max="100" value=pct.to_string() aria-label=tr.f("account.summary.progress_to", &[("tier", &next_name)])>
                                {format!("{pct}%")}
                            </progress>
                            <p class="hint">{tr.f("account.summary.spent_12m", &[("amount", &data.spend_12m_label)])}</p>
                        </div>
                    }.into_any()
                }
                None => view! { <p class="tier-progress">{tr.t("account.summary.top_tier")}</p> }.into_any(),
            }}
            <super::card::CardLink />
        </section>
        {data.question.map(|question| view! { <super::questions::QuestionPrompt question back="/account".to_owned() /> })}
        <EmailStatus email=data.email.clone() mail=data.mail.clone() />
        <Notices notices=data.notices.clone() />
        <Gifts gifts=data.gifts.clone() />
        <Reminders reminders=data.reminders.clone() />
        <RedemptionsList />
        <History lines=data.history page=data.page has_more=data.has_more />
        <super::likes::WhatYouLove likes=data.likes.clone() />
        <Messages mail=data.mail.clone() />
        <LanguageChoice />
        <ZoneChoice chosen=data.time_zone.clone() store_zone=data.store_zone.clone() />
        <Sessions sessions=data.sessions />
        <ChangePasswordForm />
        <super::two_factor::TwoFactorSection />
        <super::data_rights::YourData />
    }
}

/// Messages for the member; shown only when there are some, near the top where they are seen.
#[component]
fn Notices(notices: Vec<Notice>) -> impl IntoView {
    let tr = tr();
    (!notices.is_empty()).then(|| {
        view! {
            <section class="account-section" aria-labelledby="notices-heading">
                <h2 id="notices-heading">{tr.t("account.notices.heading")}</h2>
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

/// Rewards campaigns gave the member; shown only when there are some.
#[component]
fn Gifts(gifts: Vec<Gift>) -> impl IntoView {
    let tr = tr();
    (!gifts.is_empty()).then(|| {
        view! {
            <section class="account-section" aria-labelledby="gifts-heading">
                <h2 id="gifts-heading">{tr.t("account.gifts.heading")}</h2>
                <ul class="history" role="list">
                    {gifts.into_iter().map(|g| view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{g.title}</p>
                                <p class="history-meta">{g.code}</p>
                                <p class="history-meta">{g.until}</p>
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Reminders(reminders: Vec<Reminder>) -> impl IntoView {
    let tr = tr();
    let empty = reminders.is_empty();
    view! {
        <section class="account-section" aria-labelledby="reminders-heading">
            <h2 id="reminders-heading">{tr.t("account.reminders.heading")}</h2>
            {empty.then(|| view! {
                <p class="empty-state">
                    {tr.t("account.reminders.empty_before")} " "
                    <a href="/#upcoming-heading">{tr.t("account.reminders.empty_link")}</a>
                    " " {tr.t("account.reminders.empty_after")}
                </p>
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
    let tr = tr();
    let empty = lines.is_empty();
    view! {
        <section class="account-section" aria-labelledby="history-heading">
            <h2 id="history-heading">{tr.t("account.history.heading")}</h2>
            {empty.then(|| view! { <p class="empty-state">{tr.t("account.history.empty")}</p> })}
            <ul class="history" role="list">
                {lines
                    .into_iter()
                    .map(|line| {
                        let sign_class = if line.points > 0 { "points points-plus" } else { "points points-minus" };
                        let amount = if line.points > 0 { format!("+{}", tr.number(line.points)) } else { tr.number(line.points) };
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
            <nav class="pager" aria-label=tr.t("account.history.pages")>
                {(page > 1).then(|| view! { <a href=format!("/account?page={}", page - 1)>{tr.t("account.history.newer")}</a> })}
                {has_more.then(|| view! { <a href=format!("/account?page={}", page + 1)>{tr.t("account.history.older")}</a> })}
            </nav>
        </section>
    }
}

/// The member's address when mail needs their attention: not confirmed yet (with a way to get
/// a new link), or a mail server said it does not exist. Nothing when all is well.
#[component]
fn EmailStatus(email: String, mail: MailSettings) -> impl IntoView {
    let resend = ServerAction::<super::ResendVerification>::new();
    let error = action_error(resend);
    let query = use_query_map();
    let sent = move || query.read().get("verification").as_deref() == Some("sent");
    let verified_now = move || query.read().get("password").as_deref() == Some("reset");
    let tr = tr();
    let needs_attention = mail.undeliverable || !mail.verified;
    view! {
        {move || verified_now().then(|| view! { <p class="form-success" role="status">{tr.t("account.email.password_reset_done")}</p> })}
        {needs_attention.then(|| view! {
            <section class="account-section notice" aria-labelledby="email-heading">
                <h2 id="email-heading">{tr.t("account.email.heading")}</h2>
                {if mail.undeliverable {
                    view! { <p role="alert">{tr.f("account.email.undeliverable", &[("email", &email)])}</p> }.into_any()
                } else {
                    view! { <p>{tr.f("account.email.unverified", &[("email", &email)])}</p> }.into_any()
                }}
                <FormError error />
                {move || sent().then(|| view! { <p class="form-success" role="status">{tr.t("account.email.sent_again")}</p> })}
                {(!mail.verified).then(|| view! {
                    <ActionForm action=resend>
                        <button type="submit" class="button button-secondary">{tr.t("account.email.send_again")}</button>
                    </ActionForm>
                })}
            </section>
        })}
    }
}

/// Which messages the member receives, each on or off. Receipts and account mail (links to
/// confirm an address or reset a password) always go; they are not listed as choices.
#[component]
fn Messages(mail: MailSettings) -> impl IntoView {
    let save = ServerAction::<super::SetMessages>::new();
    let error = action_error(save);
    let query = use_query_map();
    let saved = move || query.read().get("messages").as_deref() == Some("saved");
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="messages-heading">
            <h2 id="messages-heading">{tr.t("account.messages.heading")}</h2>
            <p class="hint">{tr.t("account.messages.hint")}</p>
            {move || saved().then(|| view! { <p class="form-success" role="status">{tr.t("account.messages.saved")}</p> })}
            <ActionForm action=save attr:class="account-form">
                <FormError error />
                <div class="field field-check">
                    <input id="drop_reminders" name="drop_reminders" type="checkbox" value="on" checked=mail.drop_reminders />
                    <label for="drop_reminders">{tr.t("account.messages.drop_reminders")}</label>
                </div>
                <div class="field field-check">
                    <input id="expiring_points" name="expiring_points" type="checkbox" value="on" checked=mail.expiring_points />
                    <label for="expiring_points">{tr.t("account.messages.expiring_points")}</label>
                </div>
                <div class="field field-check">
                    <input id="offers" name="offers" type="checkbox" value="on" checked=mail.offers />
                    <label for="offers">{tr.t("account.messages.offers")}</label>
                </div>
                <button type="submit" class="button button-secondary">{tr.t("account.messages.save")}</button>
            </ActionForm>
        </section>
    }
}

/// Where the member is signed in, with "Sign out" for each other device and for all of them:
/// a lost phone or a shared computer is signed out from here.
/// The member's language, saved with their account (and so on every device they sign in on).
/// The same plain form as the header's switch: the page comes back whole, in the new language.
#[component]
fn LanguageChoice() -> impl IntoView {
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="language-heading">
            <h2 id="language-heading">{tr.t("account.language.heading")}</h2>
            <form method="post" action="/language" class="account-form">
                <input type="hidden" name="back" value="/account" />
                <div class="field">
                    <label for="lang">{tr.t("account.language.label")}</label>
                    <select id="lang" name="lang">
                        {crate::domain::i18n::Lang::ALL
                            .into_iter()
                            .map(|lang| view! {
                                <option value=lang.code() lang=lang.code() selected=lang == tr.lang()>{lang.own_name()}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button button-secondary">{tr.t("account.language.save")}</button>
            </form>
        </section>
    }
}

/// The zones members of a store in the Americas or Spain live in, for the time zone choice.
/// A zone saved from elsewhere (the server takes any IANA name) is offered as well.
const ZONES: &[&str] = &[
    "America/Mexico_City",
    "America/Cancun",
    "America/Monterrey",
    "America/Tijuana",
    "America/Guatemala",
    "America/Costa_Rica",
    "America/Panama",
    "America/Bogota",
    "America/Lima",
    "America/Guayaquil",
    "America/Caracas",
    "America/La_Paz",
    "America/Santiago",
    "America/Argentina/Buenos_Aires",
    "America/Montevideo",
    "America/Asuncion",
    "America/Santo_Domingo",
    "America/Puerto_Rico",
    "America/Havana",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/Madrid",
    "Atlantic/Canary",
    "Europe/London",
    "UTC",
];

/// "America / Mexico City" for `America/Mexico_City`.
fn zone_name(zone: &str) -> String {
    zone.replace('/', " / ").replace('_', " ")
}

/// The member's time zone: every time on their pages and in their mail is written in it. "The
/// store's" (the default) follows the store's setting, and the browser's own zone once the
/// page is interactive.
#[component]
fn ZoneChoice(chosen: Option<String>, store_zone: String) -> impl IntoView {
    let save = ServerAction::<super::SetTimeZone>::new();
    let error = action_error(save);
    let query = use_query_map();
    let saved = move || query.read().get("zone").as_deref() == Some("saved");
    let tr = tr();
    let mut zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    if let Some(own) = chosen.as_ref().filter(|z| !ZONES.contains(&z.as_str())) {
        zones.insert(0, own.clone());
    }
    view! {
        <section class="account-section" aria-labelledby="zone-heading">
            <h2 id="zone-heading">{tr.t("account.zone.heading")}</h2>
            <p class="hint">{tr.t("account.zone.hint")}</p>
            {move || saved().then(|| view! { <p class="form-success" role="status">{tr.t("account.zone.saved")}</p> })}
            <ActionForm action=save attr:class="account-form">
                <FormError error />
                <div class="field">
                    <label for="time_zone">{tr.t("account.zone.label")}</label>
                    <select
                        id="time_zone"
                        name="time_zone"
                        aria-invalid=field_invalid(error, "time_zone")
                        aria-describedby="time_zone-error"
                    >
                        <option value="" selected=chosen.is_none()>
                            {tr.f("account.zone.store", &[("zone", &zone_name(&store_zone))])}
                        </option>
                        {zones
                            .into_iter()
                            .map(|zone| {
                                let selected = chosen.as_deref() == Some(zone.as_str());
                                view! { <option value=zone.clone() selected=selected>{zone_name(&zone)}</option> }
                            })
                            .collect_view()}
                    </select>
                    <FieldError error field="time_zone" id="time_zone-error" />
                </div>
                <button type="submit" class="button button-secondary">{tr.t("account.zone.save")}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Sessions(sessions: Vec<DeviceSession>) -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let error = action_error(end_one);
    let query = use_query_map();
    let done = move || query.read().get("sessions").as_deref() == Some("ended");
    let others = sessions.iter().any(|s| !s.current);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{tr.t("account.sessions.heading")}</h2>
            <FormError error />
            {move || done().then(|| view! { <p class="form-success" role="status">{tr.t("account.sessions.ended")}</p> })}
            <ul class="history" role="list">
                {sessions.into_iter().map(|s| {
                    let label = tr.f("account.sessions.sign_out_device", &[("device", &s.device)]);
                    view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{s.device.clone()}</p>
                                <p class="history-meta">
                                    {if s.current { tr.t("account.sessions.this_device").to_owned() } else { tr.f("account.sessions.last_used", &[("when", &s.last_seen_label)]) }}
                                </p>
                            </div>
                            {(!s.current).then(|| view! {
                                <ActionForm action=end_one>
                                    <input type="hidden" name="session" value=s.handle.clone() />
                                    <button type="submit" class="button button-secondary" aria-label=label.clone()>{tr.t("account.sign_out")}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {others.then(|| view! {
                <ActionForm action=end_others>
                    <button type="submit" class="button button-secondary">{tr.t("account.sessions.sign_out_others")}</button>
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
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="password-heading">
            <h2 id="password-heading">{tr.t("account.password.heading")}</h2>
            <ActionForm action>
                <FormError error />
                {move || done().then(|| view! { <p class="form-success" role="status">{tr.t("account.password.changed")}</p> })}
                <div class="field">
                    <label for="current_password">{tr.t("account.password.current")}</label>
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
                    <label for="new_password">{tr.t("account.password.new")}</label>
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
                <button type="submit" class="button" disabled=move || action.pending().get()>{tr.t("account.password.submit")}</button>
            </ActionForm>
        </section>
    }
}

/// Points as the account's figures and the header show them, short: "1 pt", "1,250 pts".
pub(super) fn points_short(tr: Tr, points: i64) -> String {
    tr.count("account.points_short", points, &[])
}

/// A tier's name in the reader's language, from the name the server read (`Gold`); a tier the
/// portal does not know keeps its own name.
fn tier_label(tr: Tr, name: &str) -> String {
    Tier::parse_name(name).map_or_else(|| name.to_owned(), |t| t.label(tr).to_owned())
}
