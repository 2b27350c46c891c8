use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params, use_query_map};
use leptos_router::params::Params;

use super::{
    CancelDraw, CreateDraw, DrawCheck, DrawStats, DrawView, EnterDraw, Published, RemindDraw,
    StaffDrawsView, WithdrawDraw, check_draw, draw_count, get_draw, get_staff_draws,
};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FormError, Loaded, TextField, action_error};

/// How often an open draw's page reads the entry count again.
const COUNT_EVERY_MS: u32 = 15_000;

/// `/draws/:item` and `/draws/:item/check`
#[derive(Params, Debug, Clone, PartialEq)]
struct ItemParams {
    item: Option<i64>,
}

fn use_item() -> Memo<Option<i64>> {
    let params = use_params::<ItemParams>();
    Memo::new(move |_| params.read().as_ref().ok().and_then(|p| p.item))
}

/// `/draws/{item}`: a draw's page. Enter (holding the points) or withdraw, see the entry
/// count, your entry and, once drawn, the result and what was published. Plain forms: it
/// works without JavaScript.
#[component]
pub fn DrawPage() -> impl IntoView {
    let tr = tr();
    let item = use_item();
    let search = leptos_router::hooks::use_location().search;
    let draw = crate::domain::wire::resource(
        move || (item.get(), search.get()),
        move |(item, _)| async move {
            match item {
                Some(item) => get_draw(item, None).await,
                None => Err(AppError::not_found(tr.t("draws.that_draw"))),
            }
        },
    );
    view! {
        <Title text=format!("{} · {}", tr.t("draws.page_title"), tr.t("shell.brand")) />
        <Loaded data=draw on_error=refused let:view>
            <Draw view />
        </Loaded>
    }
}

#[component]
fn Draw(view: DrawView) -> impl IntoView {
    let tr = tr();
    let query = use_query_map();
    let enter = ServerAction::<EnterDraw>::new();
    let enter_error = action_error(enter);
    let withdraw = ServerAction::<WithdrawDraw>::new();
    let withdraw_error = action_error(withdraw);
    let remind = ServerAction::<RemindDraw>::new();
    let remind_error = action_error(remind);
    let item = view.item_id.to_string();
    let notice = move || {
        let q = query.read();
        if q.get("entered").is_some() {
            Some(tr.t("draws.entered"))
        } else if q.get("withdrawn").is_some() {
            Some(tr.t("draws.withdrawn"))
        } else if q.get("reminded").is_some() {
            Some(tr.t("draws.reminded_now"))
        } else {
            None
        }
    };
    let entry = match (&view.mine, view.open, view.signed_in) {
        (Some(mine), _, _) => {
            let withdraw_form = (mine.open && view.open).then(|| {
                let item = item.clone();
                view! {
                    <ActionForm action=withdraw>
                        <FormError error=withdraw_error />
                        <input type="hidden" name="item" value=item />
                        <button type="submit" class="button button-secondary">{tr.t("draws.withdraw")}</button>
                    </ActionForm>
                }
            });
            view! {
                <p class="balance-figure">{mine.status.clone()}</p>
                <p>{tr.f("draws.mine.code", &[("code", &mine.code)])}</p>
                {mine.redemption.clone().map(|code| view! {
                    <p><a class="button" href=format!("/redemptions/{code}")>{tr.f("draws.mine.show_code", &[("code", &code)])}</a></p>
                })}
                {withdraw_form}
            }
            .into_any()
        }
        (None, true, true) => view! {
            <ActionForm action=enter>
                <FormError error=enter_error />
                <input type="hidden" name="item" value=item.clone() />
                <input type="hidden" name="idempotency_key" value=view.idempotency_key.clone() />
                <button type="submit" class="button" disabled=move || enter.pending().get()>
                    {tr.f("draws.enter", &[("points", &view.cost)])}
                </button>
            </ActionForm>
        }
        .into_any(),
        (None, true, false) => view! {
            <p><a class="button" href=format!("/sign-in?next=/draws/{}", view.item_id)>{tr.t("draws.sign_in_to_enter")}</a></p>
        }
        .into_any(),
        (None, false, _) => view! { <p class="hint">{tr.t("draws.not_entered")}</p> }.into_any(),
    };
    view! {
        <section class="account-section" aria-labelledby="draw-heading">
            <p class="reward-category">{tr.t("draws.kind")}</p>
            <h1 id="draw-heading">{view.title.clone()}</h1>
            <p class="reward-description">{view.description.clone()}</p>
            <p>{view.window.clone()}</p>
            <LiveCount item=view.item_id initial=view.counts.clone() open=view.open />
            <ul class="draw-rules">
                {view.rules.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
            </ul>
        </section>
        <section class="account-section" aria-labelledby="draw-entry-heading">
            <h2 id="draw-entry-heading">{tr.t("draws.your_entry")}</h2>
            {move || notice().map(|n| view! { <p class="form-success" role="status">{n}</p> })}
            {entry}
            {match (view.reminded, view.mine.is_some()) {
                (Some(false), false) => Some(view! {
                    <ActionForm action=remind>
                        <FormError error=remind_error />
                        <input type="hidden" name="item" value=view.item_id.to_string() />
                        <button type="submit" class="button button-secondary">
                            {tr.count("draws.remind", i64::from(view.remind_hours), &[])}
                        </button>
                    </ActionForm>
                }.into_any()),
                (Some(true), false) => Some(view! {
                    <p class="hint">{tr.count("draws.reminded", i64::from(view.remind_hours), &[])}</p>
                }.into_any()),
                _ => None,
            }}
            {view.odds.clone().map(|odds| view! { <p>{odds}</p> })}
        </section>
        <section class="account-section" aria-labelledby="draw-fair-heading">
            <h2 id="draw-fair-heading">{tr.t("draws.fair.heading")}</h2>
            <p class="hint">{tr.t("draws.fair.commitment_hint")}</p>
            <p><code class="draw-hash">{view.commitment.clone()}</code></p>
            {view.published.clone().map(|p| view! { <PublishedData published=p /> })}
            <p><a href=format!("/draws/{}/check", view.item_id)>{tr.t("draws.fair.check_link")}</a></p>
        </section>
    }
}

/// "12 winners · 340 entries", read again every few seconds while entries are open.
#[component]
fn LiveCount(item: i64, initial: String, open: bool) -> impl IntoView {
    let counts = RwSignal::new(initial);
    if open {
        crate::kit::every::every(COUNT_EVERY_MS, move || {
            leptos::task::spawn_local(async move {
                if let Ok(now) = draw_count(item).await
                    && counts.with_untracked(|c| *c != now)
                {
                    counts.set(now);
                }
            });
        });
    }
    view! { <p class="draw-counts">{move || counts.get()}</p> }
}

#[component]
fn PublishedData(published: Published) -> impl IntoView {
    let tr = tr();
    view! {
        <dl class="draw-published">
            <div><dt>{tr.t("draws.fair.seed")}</dt><dd><code class="draw-hash">{published.seed}</code></dd></div>
            <div><dt>{tr.t("draws.fair.entries_hash")}</dt><dd><code class="draw-hash">{published.entries_hash}</code></dd></div>
            <div><dt>{tr.t("draws.fair.winners")}</dt><dd>{published.winners.join(", ")}</dd></div>
        </dl>
        <details>
            <summary>{tr.t("draws.fair.entry_list")}</summary>
            <pre class="draw-list">{published.entry_list}</pre>
        </details>
    }
}

/// `/draws/{item}/check`: the winners recomputed on the server from the published data alone,
/// each step shown.
#[component]
pub fn DrawCheckPage() -> impl IntoView {
    let tr = tr();
    let item = use_item();
    let check = crate::domain::wire::resource(
        move || item.get(),
        move |item| async move {
            match item {
                Some(item) => check_draw(item).await,
                None => Err(AppError::not_found(tr.t("draws.that_draw"))),
            }
        },
    );
    view! {
        <Title text=format!("{} · {}", tr.t("draws.check.page_title"), tr.t("shell.brand")) />
        <Loaded data=check on_error=refused let:check>
            <Check check />
        </Loaded>
    }
}

#[component]
fn Check(check: DrawCheck) -> impl IntoView {
    let tr = tr();
    let yes_no = move |holds: bool, yes: &'static str, no: &'static str| {
        if holds { tr.t(yes) } else { tr.t(no) }
    };
    view! {
        <section class="account-section" aria-labelledby="check-heading">
            <p><a href=format!("/draws/{}", check.item_id)>{tr.t("draws.check.back")}</a></p>
            <h1 id="check-heading">{tr.f("draws.check.heading", &[("reward", &check.title)])}</h1>
            {match check.published.clone() {
                None => view! { <p class="empty">{tr.t("draws.check.not_yet")}</p> }.into_any(),
                Some(p) => view! {
                    <ol class="check-steps">
                        <li>{yes_no(check.commitment_holds, "draws.check.commitment_holds", "draws.check.commitment_fails")}</li>
                        <li>{yes_no(check.hash_holds, "draws.check.hash_holds", "draws.check.hash_fails")}</li>
                        <li>{tr.t("draws.check.picks")}</li>
                    </ol>
                    <table class="table">
                        <caption>{tr.t("draws.check.caption")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr.t("draws.check.pick")}</th>
                                <th scope="col">{tr.t("draws.check.number")}</th>
                                <th scope="col">{tr.t("draws.check.tickets")}</th>
                                <th scope="col">{tr.t("draws.check.winner")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {check.steps.iter().enumerate().map(|(i, s)| view! {
                                <tr>
                                    <th scope="row">{(i + 1).to_string()}</th>
                                    <td><code>{s.number.clone()}</code></td>
                                    <td>{s.total.clone()}</td>
                                    <td>{s.winner.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p role="status">{yes_no(check.same_winners, "draws.check.same", "draws.check.different")}</p>
                    <PublishedData published=p />
                }
                .into_any(),
            }}
        </section>
    }
}

/// `/staff/draws`: the store's draws (entries, commitment, winners, cancel) and the form that
/// gives a reward of a coming drop by draw.
#[component]
pub fn StaffDrawsPage() -> impl IntoView {
    let tr = tr();
    let search = leptos_router::hooks::use_location().search;
    let draws = crate::domain::wire::resource(move || search.get(), |_| get_staff_draws(None));
    view! {
        <Title text=tr.f("draws.staff.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="draws-heading">
            <p><a href="/staff">{tr.t("draws.staff.back")}</a></p>
            <h1 id="draws-heading">{tr.t("draws.staff.heading")}</h1>
            <p class="hint">{tr.t("draws.staff.intro")}</p>
        </section>
        <Loaded data=draws on_error=refused let:view>
            <StaffDraws view />
        </Loaded>
    }
}

#[component]
fn StaffDraws(view: StaffDrawsView) -> impl IntoView {
    let tr = tr();
    let create = ServerAction::<CreateDraw>::new();
    let error = action_error(create);
    let cancel = ServerAction::<CancelDraw>::new();
    let cancel_error = action_error(cancel);
    view! {
        <section class="account-section" aria-labelledby="draws-list-heading">
            <h2 id="draws-list-heading">{tr.t("draws.staff.list")}</h2>
            <FormError error=cancel_error />
            {if view.draws.is_empty() {
                view! { <p class="empty">{tr.t("draws.staff.none")}</p> }.into_any()
            } else {
                view! {
                    <ul class="history" role="list">
                        {view.draws.into_iter().map(|d| view! {
                            <li class="history-line">
                                <div>
                                    <p class="history-reason"><a href=format!("/draws/{}", d.item_id)>{d.title.clone()}</a></p>
                                    <p class="history-meta">{format!("{} · {} · {}", d.window, d.counts, d.state)}</p>
                                    <p class="history-meta">{tr.t("draws.staff.commitment")} " " <code class="draw-hash">{d.commitment}</code></p>
                                    {(!d.winners.is_empty()).then(|| view! {
                                        <p class="history-meta">{tr.f("draws.staff.winners", &[("codes", &d.winners.join(", "))])}</p>
                                    })}
                                    <Stats title=d.title.clone() stats=d.stats />
                                    {d.can_cancel.then(|| view! {
                                        <ActionForm action=cancel attr:class="inline-form">
                                            <input type="hidden" name="item" value=d.item_id.to_string() />
                                            <button type="submit" class="text-button" aria-label=tr.f("draws.staff.cancel_named", &[("reward", &d.title)])>{tr.t("draws.staff.cancel")}</button>
                                        </ActionForm>
                                    })}
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="account-section" aria-labelledby="draw-form-heading">
            <h2 id="draw-form-heading">{tr.t("draws.staff.form_heading")}</h2>
            {if view.items.is_empty() {
                view! { <p class="empty">{tr.t("draws.staff.no_items")}</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=create attr:class="account-form">
                        <FormError error />
                        <div class="field">
                            <label for="draw-item">{tr.t("draws.staff.item_label")}</label>
                            <select id="draw-item" name="item" required>
                                {view.items.into_iter().map(|i| view! { <option value=i.id.to_string()>{i.label}</option> }).collect_view()}
                            </select>
                        </div>
                        <TextField error field="hours" label=tr.t("draws.staff.hours") inputmode="numeric" value="24" required=true />
                        <TextField error field="gold_tickets" label=tr.t("draws.staff.gold_tickets") inputmode="numeric" value="2" required=true />
                        <TextField error field="silver_tickets" label=tr.t("draws.staff.silver_tickets") inputmode="numeric" value="1" required=true />
                        <div class="field field-check">
                            <input id="draw-verified" name="verified_email" type="checkbox" value="on" checked=true />
                            <label for="draw-verified">{tr.t("draws.staff.verified")}</label>
                        </div>
                        <TextField error field="account_days" label=tr.t("draws.staff.account_days") inputmode="numeric" value="0" />
                        <div class="field field-check">
                            <input id="draw-purchase" name="purchase" type="checkbox" value="on" />
                            <label for="draw-purchase">{tr.t("draws.staff.purchase")}</label>
                        </div>
                        <button type="submit" class="button">{tr.t("draws.staff.create")}</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
}

/// A draw's presses for staff: entries over time, refusals by reason, suspected automation.
#[component]
fn Stats(title: String, stats: DrawStats) -> impl IntoView {
    let tr = tr();
    let max = stats
        .timeline
        .iter()
        .map(|t| t.count)
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <details class="draw-stats">
            <summary>{tr.f("draws.staff.stats", &[("reward", &title)])}</summary>
            <h3>{tr.f("draws.staff.timeline", &[("bucket", &stats.bucket)])}</h3>
            {if stats.timeline.is_empty() {
                view! { <p class="empty-state">{tr.t("draws.staff.not_open")}</p> }.into_any()
            } else {
                view! {
                    <table class="report-table">
                        <thead><tr><th scope="col">{tr.t("draws.staff.from")}</th><th scope="col">{tr.t("draws.staff.entries")}</th></tr></thead>
                        <tbody>
                            {stats.timeline.into_iter().map(|t| view! {
                                <tr>
                                    <td>{t.label}</td>
                                    <td><span class="tally-bar" style=format!("--share:{}%", t.count * 100 / max)>{tr.number(t.count)}</span></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>{tr.t("draws.staff.refusals")}</h3>
            {if stats.refusals.is_empty() {
                view! { <p class="empty-state">{tr.t("draws.staff.no_refusals")}</p> }.into_any()
            } else {
                view! {
                    <ul class="history" role="list">
                        {stats.refusals.into_iter().map(|t| view! {
                            <li class="history-line"><span>{t.label}</span><strong>{tr.number(t.count)}</strong></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>{tr.t("draws.staff.suspects")}</h3>
            {if stats.suspects.is_empty() {
                view! { <p class="empty-state">{tr.t("draws.staff.no_suspects")}</p> }.into_any()
            } else {
                view! {
                    <ul role="list">
                        {stats.suspects.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </details>
    }
}
