//! Rotation for staff (issue 26, part 0): each schedule's template (pools of rewards the portal
//! fills each drop from), pausing, resuming or ending it, skipping a date, and the fill's
//! timing, on `/staff/rotation`. The work itself runs in the servers' hourly jobs
//! (`ssr::keep_rolling`, `ssr::fill_due`).

#![allow(
    clippy::too_many_arguments,
    reason = "the pool form's server function takes one argument per field; not `expect` on the function: the server-function macro's code trips the lint in a different place in each build"
)]

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FormError, Loaded, TextField, action_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRow {
    pub id: i64,
    /// "2 from Gifts, 10 of each".
    pub described: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRow {
    pub id: i64,
    pub title: String,
    pub rule: String,
    pub state: String,
    pub paused: bool,
    pub ended: bool,
    pub fill_hours: String,
    pub no_repeat: String,
    pub skips: Vec<String>,
    /// The last fill's shortfalls, if any.
    pub dry: Option<String>,
    /// "Drops made up to Tue 2 Feb, 09:00 EST".
    pub ahead: Option<String>,
    pub pools: Vec<PoolRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationView {
    pub schedules: Vec<ScheduleRow>,
}

/// Every schedule with its template and state. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/rotation", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_rotation(fresh: Option<i64>) -> Result<RotationView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    super::ssr::rotation_staff::view(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Schedules whose last fill found a pool short, for the staff home page. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/rotation/alerts", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn rotation_alerts() -> Result<Vec<String>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::rotation_staff::alerts(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Adds a pool to a schedule's template: `source` is `category:gift`, `tag:travel` or
/// `rewards:12,15`. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/rotation/add_pool", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn add_pool(
    schedule: i64,
    source: String,
    picks: String,
    quantity: String,
    points_cost: String,
    per_member_limit: String,
    early_tier: Option<String>,
    early_minutes: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let pool = super::ssr::rotation_staff::NewPool::parse(
        &source,
        &picks,
        &quantity,
        &points_cost,
        &per_member_limit,
        early_tier.as_deref().unwrap_or(""),
        early_minutes.as_deref().unwrap_or(""),
    )
    .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::add_pool(&caller, schedule, &pool)
        .await
        .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::back_to(Some(schedule));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "staff/rotation/remove_pool", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn remove_pool(pool: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::rotation_staff::remove_pool(&caller, pool)
        .await
        .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::back_to(None);
    Ok(())
}

/// `state`: `pause`, `resume` or `end`. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/rotation/state", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn set_schedule_state(schedule: i64, state: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::rotation_staff::set_state(&caller, schedule, &state)
        .await
        .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::back_to(Some(schedule));
    Ok(())
}

/// Skips a date (`YYYY-MM-DD`, in the schedule's zone). Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/rotation/skip", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn skip_date(schedule: i64, date: String) -> Result<Option<i64>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let cancelled =
        super::ssr::rotation_staff::skip_date(&caller, schedule, &date, chrono::Utc::now())
            .await
            .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::back_to(Some(schedule));
    Ok(cancelled)
}

/// How long before opening a drop is filled, and within how many drops a reward is not
/// picked again. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/rotation/fill", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn set_fill(
    schedule: i64,
    fill_hours: String,
    no_repeat_drops: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::rotation_staff::set_fill(&caller, schedule, &fill_hours, &no_repeat_drops)
        .await
        .map_err(crate::domain::error::server::reply)?;
    super::ssr::rotation_staff::back_to(Some(schedule));
    Ok(())
}

/// `/staff/rotation`: each schedule, its template and its controls.
#[component]
pub fn RotationPage() -> impl IntoView {
    let tr = tr();
    let search = leptos_router::hooks::use_location().search;
    let view = crate::domain::wire::resource(move || search.get(), |_| get_rotation(None));
    view! {
        <Title text=tr.f("drops.rotation.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="rotation-heading">
            <p><a href="/staff/drops">{tr.t("drops.back_to_drops")}</a></p>
            <h1 id="rotation-heading">{tr.t("drops.rotation.heading")}</h1>
            <p class="hint">{tr.t("drops.rotation.intro")}</p>
        </section>
        <Loaded data=view on_error=refused let:view>
            {if view.schedules.is_empty() {
                view! { <p class="empty">{tr.t("drops.rotation.none")}</p> }.into_any()
            } else {
                view.schedules.into_iter().map(|s| view! { <Schedule schedule=s /> }).collect_view().into_any()
            }}
        </Loaded>
    }
}

#[component]
fn Schedule(schedule: ScheduleRow) -> impl IntoView {
    let tr = tr();
    let add = ServerAction::<AddPool>::new();
    let add_error = action_error(add);
    let remove = ServerAction::<RemovePool>::new();
    let state = ServerAction::<SetScheduleState>::new();
    let state_error = action_error(state);
    let skip = ServerAction::<SkipDate>::new();
    let skip_error = action_error(skip);
    let fill = ServerAction::<SetFill>::new();
    let fill_error = action_error(fill);
    let id = schedule.id.to_string();
    let heading = format!("schedule-{}-heading", schedule.id);
    let controls: Vec<(&str, &str)> = match (schedule.ended, schedule.paused) {
        (true, _) => vec![],
        (false, true) => vec![
            ("resume", "drops.rotation.resume"),
            ("end", "drops.rotation.end"),
        ],
        (false, false) => vec![
            ("pause", "drops.rotation.pause"),
            ("end", "drops.rotation.end"),
        ],
    };
    let pools = if schedule.pools.is_empty() {
        view! { <p class="empty">{tr.t("drops.rotation.no_pools")}</p> }.into_any()
    } else {
        let rows = schedule
            .pools
            .into_iter()
            .map(|p| {
                view! {
                    <li class="history-line">
                        <p class="history-reason">{p.described}</p>
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="pool" value=p.id.to_string() />
                            <button type="submit" class="text-button">{tr.t("drops.rotation.remove_pool")}</button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="history" role="list">{rows}</ul> }.into_any()
    };
    let editing = (!schedule.ended).then(|| {
        let (add_id, fill_id, skip_id) = (id.clone(), id.clone(), id.clone());
        let date_id = format!("skip-{id}");
        let (fill_hours, no_repeat) = (schedule.fill_hours.clone(), schedule.no_repeat.clone());
        view! {
            <details>
                <summary>{tr.t("drops.rotation.add_pool")}</summary>
                <ActionForm action=add attr:class="account-form">
                    <FormError error=add_error />
                    <input type="hidden" name="schedule" value=add_id />
                    <TextField error=add_error field="source" label=tr.t("drops.rotation.source") hint=tr.t("drops.rotation.source_hint") required=true />
                    <TextField error=add_error field="picks" label=tr.t("drops.rotation.picks") inputmode="numeric" value="1" required=true />
                    <TextField error=add_error field="quantity" label=tr.t("drops.form.quantity") inputmode="numeric" value="10" required=true />
                    <TextField error=add_error field="points_cost" label=tr.t("drops.rotation.cost") inputmode="numeric" />
                    <TextField error=add_error field="per_member_limit" label=tr.t("drops.rotation.limit") inputmode="numeric" value="1" required=true />
                    <TextField error=add_error field="early_tier" label=tr.t("drops.rotation.early_tier") />
                    <TextField error=add_error field="early_minutes" label=tr.t("drops.rotation.early_minutes") inputmode="numeric" />
                    <button type="submit" class="button">{tr.t("drops.rotation.add_pool")}</button>
                </ActionForm>
            </details>
            <ActionForm action=fill attr:class="account-form">
                <FormError error=fill_error />
                <input type="hidden" name="schedule" value=fill_id />
                <TextField error=fill_error field="fill_hours" label=tr.t("drops.rotation.fill_hours") inputmode="numeric" value=fill_hours required=true />
                <TextField error=fill_error field="no_repeat_drops" label=tr.t("drops.rotation.no_repeat") inputmode="numeric" value=no_repeat required=true />
                <button type="submit" class="button button-secondary">{tr.t("drops.rotation.save_fill")}</button>
            </ActionForm>
            <ActionForm action=skip attr:class="inline-form">
                <FormError error=skip_error />
                <input type="hidden" name="schedule" value=skip_id />
                <label for=date_id.clone()>{tr.t("drops.rotation.skip_label")}</label>
                <input id=date_id name="date" type="date" required />
                <button type="submit" class="button button-small-solid">{tr.t("drops.rotation.skip")}</button>
            </ActionForm>
        }
    });
    let skipped = (!schedule.skips.is_empty()).then(|| {
        tr.f(
            "drops.rotation.skipped",
            &[("dates", &schedule.skips.join(", "))],
        )
    });
    let buttons = controls
        .into_iter()
        .map(|(value, label)| {
            let id = id.clone();
            view! {
                <ActionForm action=state attr:class="inline-form">
                    <input type="hidden" name="schedule" value=id />
                    <input type="hidden" name="state" value=value />
                    <button type="submit" class="button button-secondary">{tr.t(label)}</button>
                </ActionForm>
            }
        })
        .collect_view();
    view! {
        <section class="account-section" aria-labelledby=heading.clone() id=format!("schedule-{}", schedule.id)>
            <h2 id=heading.clone()>{schedule.title}</h2>
            <p>{format!("{} · {}", schedule.rule, schedule.state)}</p>
            {schedule.ahead.map(|a| view! { <p class="hint">{a}</p> })}
            {schedule.dry.map(|d| view! { <p class="form-error" role="alert">{d}</p> })}
            <h3>{tr.t("drops.rotation.template")}</h3>
            {pools}
            {editing}
            {skipped.map(|s| view! { <p class="hint">{s}</p> })}
            <FormError error=state_error />
            {buttons}
        </section>
    }
}
