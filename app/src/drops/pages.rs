use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    CancelDrop, CreateSchedule, DropCalendar, RemoveDropItem, SCHEDULE_TITLE_MAX, SaveDrop,
    SaveDropItem, StaffDrop, StaffDropDetail, get_drop_calendar, get_staff_drop, preview_schedule,
};
use crate::domain::account::Tier;
use crate::domain::drop_state::DropState;
use crate::kit::page::refused;
use crate::kit::params::use_id;
use crate::kit::{
    FieldError, FormError, Loaded, TextField, TierSelect, action_error, field_invalid,
};

fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
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
    view! {
        <Title text="Drops · Staff · Rewards Bazaar" />
        <Loaded data=calendar on_error=refused let:c>
            {move || created().map(|n| view! {
                <p class="form-success" role="status">{format!("Schedule saved: {n} drops created. Open each to add rewards.")}</p>
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
    view! {
        <section class="account-section" aria-labelledby="drops-heading">
            <p><a href="/staff">"← Staff console"</a></p>
            <h1 id="drops-heading">"Drops"</h1>
            <p class="hint">{format!("Times in {}, the store's time zone.", calendar.zone)}</p>
            <nav class="calendar-nav" aria-label="Calendar period">
                <a href=format!("/staff/drops?{}", calendar.previous) rel="prev">"← Earlier"</a>
                <h2 class="calendar-title" aria-live="polite">{calendar.title.clone()}</h2>
                <a href=format!("/staff/drops?{}", calendar.next) rel="next">"Later →"</a>
            </nav>
            <p class="calendar-views">
                <a href=format!("/staff/drops?view=week&date={anchor_date}") aria-current=(!calendar.month_view).then_some("page")>"Week"</a>
                " · "
                <a href=format!("/staff/drops?view=month&date={anchor_date}") aria-current=calendar.month_view.then_some("page")>"Month"</a>
                " · "
                <a href=schedule_link>"New recurring schedule"</a>
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
    view! {
        <section class="account-section" aria-labelledby="new-drop-heading">
            <h2 id="new-drop-heading">"Schedule a one-off drop"</h2>
            <ActionForm action=save>
                <FormError error />
                <TextField error field="title" label="Title" required=true />
                <TextField error field="starts_at" label="Starts" kind="datetime-local" required=true
                    min=calendar.now_input.clone() hint="In the store's time zone." />
                <TextField error field="ends_at" label="Ends" kind="datetime-local" required=true
                    min=calendar.now_input />
                <button type="submit" class="button" disabled=move || save.pending().get()>"Schedule drop"</button>
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
    let notice = move || {
        let q = query.read();
        if q.get("saved").is_some() {
            Some("Drop saved.".to_owned())
        } else if q.get("item_saved").is_some() {
            Some("Reward saved in this drop.".to_owned())
        } else if q.get("item_removed").is_some() {
            Some("Reward taken out of this drop.".to_owned())
        } else {
            q.get("cancelled").map(|n| {
                format!("Drop cancelled. Members told (they had asked for a reminder): {n}.")
            })
        }
    };
    view! {
        <Title text="Drop · Staff · Rewards Bazaar" />
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
    view! {
        <section class="account-section" aria-labelledby="drop-heading">
            <p><a href="/staff/drops">"← Drops"</a></p>
            <h1 id="drop-heading">{d.title.clone()}</h1>
            <p>{state_badge(d.state)}" "{format!("{} – {}", d.starts_label, d.ends_label)}</p>
            {d.schedule.clone().map(|s| view! { <p class="hint">{format!("From the schedule: {s}")}</p> })}
            <p>{format!("{} rewards · {} units · {} redeemed", d.items, d.units, d.redeemed)}</p>
            <p><a class="button button-secondary" href=format!("/staff/drops/{id}/report")>"Post-drop report"</a></p>
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
    view! {
        <section class="account-section" aria-labelledby="items-heading">
            <h2 id="items-heading">"Rewards in this drop"</h2>
            <FormError error />
            {empty.then(|| view! { <p class="empty-state">"No rewards yet. Add one below."</p> })}
            <ul class="history" role="list">
                {detail.items.into_iter().map(|item| {
                    let title = item.title.clone();
                    view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">{item.title}</p>
                                <p class="history-meta">{format!(
                                    "{} of {} left · {} · up to {} per member{}",
                                    item.remaining, item.quantity, item.points_cost, item.per_member_limit,
                                    item.early_access.map(|e| format!(" · {e}")).unwrap_or_default()
                                )}</p>
                            </div>
                            {editable.then(|| view! {
                                <ActionForm action=remove>
                                    <input type="hidden" name="drop_id" value=drop_id.to_string() />
                                    <input type="hidden" name="item_id" value=item.id.to_string() />
                                    <button type="submit" class="button button-small" aria-label=format!("Remove {title}")>"Remove"</button>
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
    view! {
        <section class="account-section" aria-labelledby="edit-drop-heading">
            <h2 id="edit-drop-heading">"Change the drop"</h2>
            <p class="hint">{format!("Until it opens. Times in {}.", detail.zone)}</p>
            <ActionForm action=save>
                <FormError error />
                <input type="hidden" name="id" value=detail.drop.id.to_string() />
                <TextField error field="title" label="Title" value=detail.drop.title.clone() required=true />
                <TextField error field="starts_at" label="Starts" kind="datetime-local" value=detail.starts_input.clone() required=true />
                <TextField error field="ends_at" label="Ends" kind="datetime-local" value=detail.ends_input.clone() required=true />
                <button type="submit" class="button" disabled=move || save.pending().get()>"Save changes"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn AddItem(detail: StaffDropDetail) -> impl IntoView {
    let save = ServerAction::<SaveDropItem>::new();
    let error = action_error(save);
    view! {
        <section class="account-section" aria-labelledby="add-item-heading">
            <h2 id="add-item-heading">"Add or change a reward"</h2>
            <p class="hint">"Choosing a reward already in the drop changes it."</p>
            <ActionForm action=save>
                <FormError error />
                <input type="hidden" name="drop_id" value=detail.drop.id.to_string() />
                <div class="field">
                    <label for="reward_id">"Reward"</label>
                    <select id="reward_id" name="reward_id" required aria-invalid=field_invalid(error, "reward_id") aria-describedby="reward_id-error">
                        <option value="">"Choose a reward"</option>
                        {detail.choices.into_iter().map(|c| view! {
                            <option value=c.id.to_string()>{format!("{} ({})", c.title, c.points_cost)}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error field="reward_id" id="reward_id-error" />
                </div>
                <TextField error field="quantity" label="Quantity" inputmode="numeric" required=true />
                <TextField error field="per_member_limit" label="Most per member" inputmode="numeric" value="1" required=true />
                <TextField error field="points_cost" label="Cost in points" inputmode="numeric" hint="Leave empty for the reward's usual cost." />
                <TierSelect error field="early_access_tier" label="Early access" none="None"
                    describe=|t| if t == Tier::Gold { "Gold" } else { "Silver and Gold" } />
                <TextField error field="early_access_minutes" label="Minutes early" inputmode="numeric" />
                <button type="submit" class="button" disabled=move || save.pending().get()>"Save reward in drop"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn CancelDropForm(id: i64) -> impl IntoView {
    let cancel = ServerAction::<CancelDrop>::new();
    let error = action_error(cancel);
    view! {
        <section class="account-section" aria-labelledby="cancel-drop-heading">
            <h2 id="cancel-drop-heading">"Cancel the drop"</h2>
            <p class="hint">"Members who asked for a reminder are told. This cannot be undone."</p>
            <ActionForm action=cancel>
                <FormError error />
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-secondary">"Cancel this drop"</button>
            </ActionForm>
        </section>
    }
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
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
    view! {
        <Title text="New schedule · Staff · Rewards Bazaar" />
        <section class="account-section" aria-labelledby="schedule-heading">
            <p><a href="/staff/drops">"← Drops"</a></p>
            <h1 id="schedule-heading">"New recurring schedule"</h1>
            <form method="get" action="/staff/drops/schedule">
                <div class="field">
                    <label for="title">"Title"</label>
                    <input id="title" name="title" required maxlength=SCHEDULE_TITLE_MAX.to_string() value=value("title")
                        aria-invalid=field_invalid(create_error, "title") aria-describedby="title-error" />
                    <FieldError error=create_error field="title" id="title-error" />
                </div>
                <fieldset class="field weekdays">
                    <legend>"Weekdays"</legend>
                    {WEEKDAYS.into_iter().map(|(slug, name)| view! {
                        <label class="checkbox">
                            <input type="checkbox" name="day" value=slug checked=checked.split(',').any(|d| d == slug) />
                            " "{name}
                        </label>
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="time">"Time"</label>
                    <input id="time" name="time" type="time" required value=value("time") />
                </div>
                <div class="field">
                    <label for="zone">"Time zone"</label>
                    <input id="zone" name="zone" required value=value("zone") aria-describedby="zone-hint" />
                    <p class="hint" id="zone-hint">"An IANA name, e.g. America/Mexico_City or Europe/Madrid."</p>
                </div>
                <div class="field">
                    <label for="hours">"Open for (hours)"</label>
                    <input id="hours" name="hours" inputmode="numeric" required
                        value=Some(value("hours")).filter(|h| !h.is_empty()).unwrap_or_else(|| "48".into())
                        aria-invalid=field_invalid(create_error, "hours") aria-describedby="hours-error" />
                    <FieldError error=create_error field="hours" id="hours-error" />
                </div>
                <button type="submit" class="button button-secondary">"Preview"</button>
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
                                    <h2 id="preview-heading">"Next 8 drops"</h2>
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
                                        <button type="submit" class="button" disabled=move || create.pending().get()>"Create these 8 drops"</button>
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
