use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    AUDIENCE_PREFIX, CancelDrop, CreateSchedule, DropCalendar, RemoveDropItem, SCHEDULE_AHEAD,
    SCHEDULE_TITLE_MAX, SaveDrop, SaveDropItem, StaffDrop, StaffDropDetail, get_drop_calendar,
    get_staff_drop, preview_schedule,
};
use crate::domain::account::Tier;
use crate::domain::drop_state::DropState;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::page::{points_short, staff_title};
use crate::kit::params::use_id;
use crate::kit::{FieldError, FormError, Loaded, TextField, action_error, field_invalid};

fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">{tr().t("kit.loading")}</p> }
}

fn state_badge(state: DropState) -> impl IntoView {
    let class = match state {
        DropState::Live => "badge badge-live",
        DropState::Scheduled => "badge",
        DropState::Ended | DropState::Cancelled => "badge badge-muted",
    };
    view! { <span class=class>{state.label()}</span> }
}

/// `/staff/drops`: a week or month of drops, past and future, and a form for a one-off drop.
#[component]
pub fn StaffDropsPage() -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| (query.read().get("view"), query.read().get("date")));
    let calendar = crate::domain::wire::resource(
        move || period.get(),
        |(view, date)| get_drop_calendar(view, date),
    );
    let created = move || query.read().get("created");
    let tr = tr();
    view! {
        <Title text=staff_title(tr, Some(tr.t("drops.title"))) />
        <Loaded data=calendar on_error=refused let:c>
            {move || created().map(|n| view! {
                <p class="form-success" role="status">{tr.count("drops.schedule_saved", n.trim().parse().unwrap_or(0), &[])}</p>
            })}
            <CalendarView calendar=c.clone() />
            <NewDrop calendar=c />
        </Loaded>
    }
}

#[component]
fn CalendarView(calendar: DropCalendar) -> impl IntoView {
    let grid_class = if calendar.month_view {
        "calendar calendar-month"
    } else {
        "calendar calendar-week"
    };
    let schedule_link = format!(
        "/staff/drops/schedule?zone={}",
        calendar.zone.replace('/', "%2F")
    );
    let anchor_date = calendar
        .days
        .iter()
        .find(|d| d.in_range)
        .map(|d| d.date.clone())
        .unwrap_or_default();
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="drops-heading">
            <p><a href="/staff">{tr.t("drops.back_to_staff")}</a></p>
            <h1 id="drops-heading">{tr.t("drops.title")}</h1>
            <p class="hint">{tr.f("drops.calendar.times_in", &[("zone", &calendar.zone)])}</p>
            <nav class="calendar-nav" aria-label=tr.t("drops.calendar.period")>
                <a href=format!("/staff/drops?{}", calendar.previous) rel="prev">{tr.t("drops.calendar.earlier")}</a>
                <h2 class="calendar-title" aria-live="polite">{calendar.title.clone()}</h2>
                <a href=format!("/staff/drops?{}", calendar.next) rel="next">{tr.t("drops.calendar.later")}</a>
            </nav>
            <p class="calendar-views">
                <a href=format!("/staff/drops?view=week&date={anchor_date}") aria-current=(!calendar.month_view).then_some("page")>{tr.t("drops.calendar.week")}</a>
                " · "
                <a href=format!("/staff/drops?view=month&date={anchor_date}") aria-current=calendar.month_view.then_some("page")>{tr.t("drops.calendar.month")}</a>
                " · "
                <a href=schedule_link>{tr.t("drops.calendar.new_schedule")}</a>
            </p>
            <ol class=grid_class role="list">
                {calendar.days.into_iter().map(|day| {
                    let class = match (day.in_range, day.today) {
                        (_, true) => "calendar-day calendar-today",
                        (false, _) => "calendar-day calendar-outside",
                        _ => "calendar-day",
                    };
                    let empty = day.drops.is_empty();
                    view! {
                        <li class=class aria-current=day.today.then_some("date")>
                            <p class="calendar-date">{day.label}</p>
                            {(!empty).then(|| view! {
                                <ul class="calendar-drops" role="list">
                                    {day.drops.into_iter().map(|d| view! { <CalendarDrop drop=d /> }).collect_view()}
                                </ul>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn CalendarDrop(drop: StaffDrop) -> impl IntoView {
    let class = match drop.state {
        DropState::Cancelled => "calendar-drop calendar-drop-cancelled",
        DropState::Live => "calendar-drop calendar-drop-live",
        _ => "calendar-drop",
    };
    view! {
        <li class=class>
            <a href=format!("/staff/drops/{}", drop.id)>
                <span class="calendar-time">{drop.starts_time}</span>
                " "
                {drop.title}
            </a>
            " "
            {state_badge(drop.state)}
        </li>
    }
}

#[component]
fn NewDrop(calendar: DropCalendar) -> impl IntoView {
    let save = ServerAction::<SaveDrop>::new();
    let error = action_error(save);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="new-drop-heading">
            <h2 id="new-drop-heading">{tr.t("drops.new.heading")}</h2>
            <ActionForm action=save>
                <FormError error />
                <TextField error field="title" label=tr.t("drops.form.title") required=true />
                <TextField error field="title_es" label=tr.t("drops.form.title_es") hint=tr.t("drops.form.title_es_hint") />
                <TextField error field="starts_at" label=tr.t("drops.form.starts") kind="datetime-local" required=true
                    min=calendar.now_input.clone() hint=tr.t("drops.new.starts_hint") />
                <TextField error field="ends_at" label=tr.t("drops.form.ends") kind="datetime-local" required=true
                    min=calendar.now_input />
                <button type="submit" class="button" disabled=move || save.pending().get()>{tr.t("drops.new.submit")}</button>
            </ActionForm>
        </section>
    }
}

/// `/staff/drops/{id}`: the drop, its rewards, and (until it opens) editing and cancelling.
#[component]
pub fn StaffDropPage() -> impl IntoView {
    let query = use_query_map();
    let id = use_id();
    let search = leptos_router::hooks::use_location().search;
    let detail = crate::domain::wire::resource(
        move || (id.get(), search.get()),
        |(id, _)| get_staff_drop(id),
    );
    let tr = tr();
    let notice = move || {
        let q = query.read();
        if q.get("saved").is_some() {
            Some(tr.t("drops.notice.saved").to_owned())
        } else if q.get("item_saved").is_some() {
            Some(tr.t("drops.notice.item_saved").to_owned())
        } else if q.get("item_removed").is_some() {
            Some(tr.t("drops.notice.item_removed").to_owned())
        } else {
            q.get("cancelled")
                .map(|n| tr.f("drops.notice.cancelled", &[("n", &n)]))
        }
    };
    view! {
        <Title text=staff_title(tr, Some(tr.t("drops.drop"))) />
        <Loaded data=detail on_error=refused let:d>
            {move || notice().map(|n| view! { <p class="form-success" role="status">{n}</p> })}
            <DropDetail detail=d />
        </Loaded>
    }
}

#[component]
fn DropDetail(detail: StaffDropDetail) -> impl IntoView {
    let d = detail.drop.clone();
    let id = d.id;
    let editable = detail.editable;
    let tr = tr();
    let totals = format!(
        "{} · {} · {}",
        tr.count("drops.detail.rewards", d.items, &[]),
        tr.count("drops.detail.units", d.units, &[]),
        tr.count("drops.detail.redeemed", d.redeemed, &[]),
    );
    view! {
        <section class="account-section" aria-labelledby="drop-heading">
            <p><a href="/staff/drops">{tr.t("drops.back_to_drops")}</a></p>
            <h1 id="drop-heading">{d.title.clone()}</h1>
            <p>{state_badge(d.state)}" "{format!("{} – {}", d.starts_label, d.ends_label)}</p>
            {d.schedule.clone().map(|s| view! { <p class="hint">{tr.f("drops.detail.from_schedule", &[("schedule", &s)])}</p> })}
            <p>{totals}</p>
            <p><a class="button button-secondary" href=format!("/staff/drops/{id}/report")>{tr.t("drops.detail.report")}</a></p>
        </section>
        <DropItems detail=detail.clone() />
        {editable.then(|| view! {
            <EditDrop detail=detail.clone() />
            <AddItem detail=detail.clone() />
            <CancelDropForm id />
        })}
    }
}

#[component]
fn DropItems(detail: StaffDropDetail) -> impl IntoView {
    let remove = ServerAction::<RemoveDropItem>::new();
    let error = action_error(remove);
    let drop_id = detail.drop.id;
    let editable = detail.editable;
    let empty = detail.items.is_empty();
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="items-heading">
            <h2 id="items-heading">{tr.t("drops.items.heading")}</h2>
            <FormError error />
            {empty.then(|| view! { <p class="empty-state">{tr.t("drops.items.empty")}</p> })}
            <ul class="history" role="list">
                {detail.items.into_iter().map(|item| {
                    let title = item.title.clone();
                    view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{item.title}</p>
                                <p class="history-meta">{format!(
                                    "{}{}",
                                    tr.f("drops.items.meta", &[
                                        ("remaining", &tr.number(item.remaining.into())),
                                        ("quantity", &tr.number(item.quantity.into())),
                                        ("cost", &points_short(tr, item.points_cost)),
                                        ("limit", &tr.number(item.per_member_limit.into())),
                                    ]),
                                    [item.early_access, item.audience].into_iter().flatten().map(|e| format!(" · {e}")).collect::<String>()
                                )}</p>
                            </div>
                            {editable.then(|| view! {
                                <ActionForm action=remove>
                                    <input type="hidden" name="drop_id" value=drop_id.to_string() />
                                    <input type="hidden" name="item_id" value=item.id.to_string() />
                                    <button type="submit" class="button button-small" aria-label=tr.f("drops.items.remove_label", &[("reward", &title)])>{tr.t("drops.items.remove")}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn EditDrop(detail: StaffDropDetail) -> impl IntoView {
    let save = ServerAction::<SaveDrop>::new();
    let error = action_error(save);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="edit-drop-heading">
            <h2 id="edit-drop-heading">{tr.t("drops.edit.heading")}</h2>
            <p class="hint">{tr.f("drops.edit.hint", &[("zone", &detail.zone)])}</p>
            <ActionForm action=save>
                <FormError error />
                <input type="hidden" name="id" value=detail.drop.id.to_string() />
                <TextField error field="title" label=tr.t("drops.form.title") value=detail.drop.title.clone() required=true />
                <TextField error field="title_es" label=tr.t("drops.form.title_es") value=detail.title_es.clone().unwrap_or_default()
                    hint=tr.t("drops.form.title_es_hint") />
                <TextField error field="starts_at" label=tr.t("drops.form.starts") kind="datetime-local" value=detail.starts_input.clone() required=true />
                <TextField error field="ends_at" label=tr.t("drops.form.ends") kind="datetime-local" value=detail.ends_input.clone() required=true />
                <button type="submit" class="button" disabled=move || save.pending().get()>{tr.t("drops.edit.submit")}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn AddItem(detail: StaffDropDetail) -> impl IntoView {
    let audiences = detail.audiences.clone();
    let save = ServerAction::<SaveDropItem>::new();
    let error = action_error(save);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="add-item-heading">
            <h2 id="add-item-heading">{tr.t("drops.add_item.heading")}</h2>
            <p class="hint">{tr.t("drops.add_item.hint")}</p>
            <ActionForm action=save>
                <FormError error />
                <input type="hidden" name="drop_id" value=detail.drop.id.to_string() />
                <div class="field">
                    <label for="reward_id">{tr.t("drops.add_item.reward")}</label>
                    <select id="reward_id" name="reward_id" required aria-invalid=field_invalid(error, "reward_id") aria-describedby="reward_id-error">
                        <option value="">{tr.t("drops.add_item.choose")}</option>
                        {detail.choices.into_iter().map(|c| view! {
                            <option value=c.id.to_string()>{tr.f("drops.add_item.choice", &[("reward", &c.title), ("cost", &points_short(tr, c.points_cost))])}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error field="reward_id" id="reward_id-error" />
                </div>
                <TextField error field="quantity" label=tr.t("drops.add_item.quantity") inputmode="numeric" required=true />
                <TextField error field="per_member_limit" label=tr.t("drops.add_item.limit") inputmode="numeric" value="1" required=true />
                <TextField error field="points_cost" label=tr.t("drops.add_item.cost") inputmode="numeric" hint=tr.t("drops.add_item.cost_hint") />
                <div class="field">
                    <label for="early_access_tier">{tr.t("drops.add_item.early_access")}</label>
                    <select id="early_access_tier" name="early_access_tier" aria-invalid=field_invalid(error, "early_access_tier") aria-describedby="early_access_tier-error">
                        <option value="">{tr.t("drops.add_item.none")}</option>
                        {Tier::ALL[1..].iter().map(|&tier| view! {
                            <option value=tier.code()>{if tier == Tier::Gold { tier.name() } else { tr.t("drops.add_item.silver_and_gold") }}</option>
                        }).collect_view()}
                        {(!audiences.is_empty()).then(|| view! {
                            <optgroup label=tr.t("drops.add_item.audience_group")>
                                {audiences.clone().into_iter().map(|a| view! {
                                    <option value=format!("{AUDIENCE_PREFIX}{}", a.id)>{a.name}</option>
                                }).collect_view()}
                            </optgroup>
                        })}
                    </select>
                    <FieldError error field="early_access_tier" id="early_access_tier-error" />
                </div>
                <TextField error field="early_access_minutes" label=tr.t("drops.add_item.minutes_early") inputmode="numeric" />
                {(!audiences.is_empty()).then(|| view! {
                    <div class="field">
                        <label for="audience">{tr.t("drops.add_item.for_whom")}</label>
                        <select id="audience" name="audience" aria-invalid=field_invalid(error, "audience") aria-describedby="audience-error">
                            <option value="">{tr.t("drops.add_item.everyone")}</option>
                            {audiences.clone().into_iter().map(|a| view! {
                                <option value=a.id.to_string()>{tr.f("drops.add_item.only_audience", &[("audience", &a.name)])}</option>
                            }).collect_view()}
                        </select>
                        <FieldError error field="audience" id="audience-error" />
                    </div>
                    <fieldset class="choices">
                        <legend>{tr.t("drops.add_item.others")}</legend>
                        <div class="field field-check">
                            <input id="audience-shown" type="radio" name="audience_shown" value="shown" checked />
                            <label for="audience-shown">{tr.t("drops.add_item.others_greyed")}</label>
                        </div>
                        <div class="field field-check">
                            <input id="audience-hidden" type="radio" name="audience_shown" value="hidden" />
                            <label for="audience-hidden">{tr.t("drops.add_item.others_hidden")}</label>
                        </div>
                    </fieldset>
                })}
                <button type="submit" class="button" disabled=move || save.pending().get()>{tr.t("drops.add_item.submit")}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn CancelDropForm(id: i64) -> impl IntoView {
    let cancel = ServerAction::<CancelDrop>::new();
    let error = action_error(cancel);
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="cancel-drop-heading">
            <h2 id="cancel-drop-heading">{tr.t("drops.cancel.heading")}</h2>
            <p class="hint">{tr.t("drops.cancel.hint")}</p>
            <ActionForm action=cancel>
                <FormError error />
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-secondary">{tr.t("drops.cancel.submit")}</button>
            </ActionForm>
        </section>
    }
}

/// Each weekday's slug and the catalog key of its name.
const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "drops.weekday.mon"),
    ("tue", "drops.weekday.tue"),
    ("wed", "drops.weekday.wed"),
    ("thu", "drops.weekday.thu"),
    ("fri", "drops.weekday.fri"),
    ("sat", "drops.weekday.sat"),
    ("sun", "drops.weekday.sun"),
];

/// `/staff/drops/schedule`: a weekly rule, previewed (a plain GET form, so it works before the
/// WebAssembly loads), then saved with its next occurrences.
#[component]
pub fn StaffSchedulePage() -> impl IntoView {
    let query = use_query_map();
    let value = move |key: &str| query.read_untracked().get(key).unwrap_or_default();
    let days = Memo::new(move |_| query.read().get_all("day").unwrap_or_default().join(","));
    let rule = Memo::new(move |_| {
        let q = query.read();
        (
            days.get(),
            q.get("time").unwrap_or_default(),
            q.get("zone").unwrap_or_default(),
        )
    });
    let asked = move || query.read().get("time").is_some();
    let preview = crate::domain::wire::resource(
        move || rule.get(),
        |(days, time, zone)| preview_schedule(days, time, zone),
    );
    let create = ServerAction::<CreateSchedule>::new();
    let create_error = action_error(create);
    let checked = days.get_untracked();
    let tr = tr();
    view! {
        <Title text=staff_title(tr, Some(tr.t("drops.schedule.title"))) />
        <section class="account-section" aria-labelledby="schedule-heading">
            <p><a href="/staff/drops">{tr.t("drops.back_to_drops")}</a></p>
            <h1 id="schedule-heading">{tr.t("drops.calendar.new_schedule")}</h1>
            <form method="get" action="/staff/drops/schedule">
                <div class="field">
                    <label for="title">{tr.t("drops.form.title")}</label>
                    <input id="title" name="title" required maxlength=SCHEDULE_TITLE_MAX.to_string() value=value("title")
                        aria-invalid=field_invalid(create_error, "title") aria-describedby="title-error" />
                    <FieldError error=create_error field="title" id="title-error" />
                </div>
                <fieldset class="field weekdays">
                    <legend>{tr.t("drops.schedule.weekdays")}</legend>
                    {WEEKDAYS.into_iter().map(|(slug, name)| view! {
                        <label class="checkbox">
                            <input type="checkbox" name="day" value=slug checked=checked.split(',').any(|d| d == slug) />
                            " "{tr.t(name)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="time">{tr.t("drops.schedule.time")}</label>
                    <input id="time" name="time" type="time" required value=value("time") />
                </div>
                <div class="field">
                    <label for="zone">{tr.t("drops.schedule.zone")}</label>
                    <input id="zone" name="zone" required value=value("zone") aria-describedby="zone-hint" />
                    <p class="hint" id="zone-hint">{tr.t("drops.schedule.zone_hint")}</p>
                </div>
                <div class="field">
                    <label for="hours">{tr.t("drops.schedule.hours")}</label>
                    <input id="hours" name="hours" inputmode="numeric" required
                        value=Some(value("hours")).filter(|h| !h.is_empty()).unwrap_or_else(|| "48".into())
                        aria-invalid=field_invalid(create_error, "hours") aria-describedby="hours-error" />
                    <FieldError error=create_error field="hours" id="hours-error" />
                </div>
                <button type="submit" class="button button-secondary">{tr.t("drops.schedule.preview")}</button>
            </form>
        </section>
        <Show when=asked>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(p) => {
                            let (days, time, zone) = rule.get_untracked();
                            view! {
                                <section class="account-section" aria-labelledby="preview-heading">
                                    <h2 id="preview-heading">{tr.count("drops.schedule.next", SCHEDULE_AHEAD as i64, &[])}</h2>
                                    <p>{p.rule}</p>
                                    <ol class="occurrences">
                                        {p.occurrences.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}
                                    </ol>
                                    <ActionForm action=create>
                                        <FormError error=create_error />
                                        <input type="hidden" name="title" value=value("title") />
                                        <input type="hidden" name="days" value=days />
                                        <input type="hidden" name="time" value=time />
                                        <input type="hidden" name="zone" value=zone />
                                        <input type="hidden" name="hours" value=value("hours") />
                                        <button type="submit" class="button" disabled=move || create.pending().get()>{tr.count("drops.schedule.create", SCHEDULE_AHEAD as i64, &[])}</button>
                                    </ActionForm>
                                </section>
                            }
                            .into_any()
                        }
                        Err(e) => view! {
                            <p class="form-error" role="alert">{e.to_string()}</p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </Show>
    }
}
