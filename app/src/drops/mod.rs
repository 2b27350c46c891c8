//! Drops: windows of time in which rewards can be redeemed, scheduled in the store's zone.
//! Staff schedule them here (one-off or recurring), fill them with rewards, edit them until they
//! open and cancel them before they do. Every server function starts by requiring staff.

#![allow(
    clippy::too_many_arguments,
    reason = "`save_drop_item`'s arguments are its form's fields; not `expect` on the function: the server-function macro's code trips the lint in a different place in each build"
)]

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::drop_state::DropState;
use crate::domain::points::Points;

pub use pages::{StaffDropPage, StaffDropsPage, StaffSchedulePage};

/// The longest drop title, in characters, and the longest schedule title (which leaves room
/// for the " · Tue 24 Nov" each of its drops gets). The forms and the checks read these.
pub const DROP_TITLE_MAX: usize = 120;
pub const SCHEDULE_TITLE_MAX: usize = 100;

/// One drop in the staff calendar and lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDrop {
    pub id: i64,
    pub title: String,
    pub state: DropState,
    pub starts_label: String,
    pub ends_label: String,
    /// The start's local time of day, e.g. `09:00`, for compact calendar cells.
    pub starts_time: String,
    /// The local date it starts on, `YYYY-MM-DD`, to place it in the calendar.
    pub day: String,
    pub items: i64,
    pub units: i64,
    pub redeemed: i64,
    /// The recurring schedule it came from, described, e.g. "Every Tue, Thu at 09:00".
    pub schedule: Option<String>,
}

/// One reward in a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDropItem {
    pub id: i64,
    pub reward_id: i64,
    pub title: String,
    pub quantity: i32,
    pub remaining: i32,
    pub points_cost: Points,
    pub per_member_limit: i32,
    /// e.g. "Gold members 30 minutes early".
    pub early_access: Option<String>,
    /// e.g. "Only for “Slipping away” (others see it greyed)".
    pub audience: Option<String>,
}

/// How the early access choice posts an audience: `audience-ID` (a tier posts its code).
pub const AUDIENCE_PREFIX: &str = "audience-";

/// An audience staff can aim an item or its early access at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceChoice {
    pub id: i64,
    pub name: String,
}

/// A reward that can be added to a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardChoice {
    pub id: i64,
    pub title: String,
    pub points_cost: Points,
}

/// A drop with its items, for its staff page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDropDetail {
    pub drop: StaffDrop,
    /// Its title in Spanish, if staff wrote one (Spanish readers get the English otherwise).
    pub title_es: Option<String>,
    /// The window as `datetime-local` input values in the store's zone.
    pub starts_input: String,
    pub ends_input: String,
    pub zone: String,
    /// Times, items and cancelling can change only until the drop opens.
    pub editable: bool,
    pub items: Vec<StaffDropItem>,
    pub choices: Vec<RewardChoice>,
    pub audiences: Vec<AudienceChoice>,
}

/// One day in the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`
    pub date: String,
    /// e.g. "Mon 23 Nov"
    pub label: String,
    /// False for the days of neighbouring months that fill a month grid's first and last weeks.
    pub in_range: bool,
    pub today: bool,
    pub drops: Vec<StaffDrop>,
}

/// A week or a month of drops, past and future, in the store's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCalendar {
    pub month_view: bool,
    pub title: String,
    /// Query strings for the previous and next period, e.g. `view=month&date=2026-10-01`.
    pub previous: String,
    pub next: String,
    pub zone: String,
    /// The store's local time now, as a `datetime-local` value: the earliest a new drop may start.
    pub now_input: String,
    pub days: Vec<CalendarDay>,
}

/// The next occurrences of a recurring rule, before staff commit to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulePreview {
    pub rule: String,
    pub occurrences: Vec<String>,
}

/// How many occurrences a new schedule creates ahead (and how many the preview shows).
pub const SCHEDULE_AHEAD: usize = 8;

#[server(prefix = "/api/fn", endpoint = "staff/drop_calendar", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_drop_calendar(
    view: Option<String>,
    date: Option<String>,
) -> Result<DropCalendar, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::calendar(&caller, view.as_deref(), date.as_deref())
        .await
        .map_err(crate::domain::error::server::reply)
}

#[server(prefix = "/api/fn", endpoint = "staff/drop", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_staff_drop(id: i64) -> Result<StaffDropDetail, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::detail(caller.pool(), id, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Schedules a one-off drop (no `id`) or moves/renames one that has not opened. Times are
/// `datetime-local` values in the store's zone.
#[server(prefix = "/api/fn", endpoint = "staff/save_drop", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_drop(
    id: Option<i64>,
    title: String,
    starts_at: String,
    ends_at: String,
    title_es: Option<String>,
) -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let saved = ssr::save(
        &caller,
        id,
        (&title, title_es.as_deref().unwrap_or("")),
        &starts_at,
        &ends_at,
        chrono::Utc::now(),
    )
    .await
    .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/drops/{saved}?saved=1&at={}", fresh()));
    Ok(saved)
}

/// Cancels a drop that has not opened; members who asked for a reminder are told.
#[server(prefix = "/api/fn", endpoint = "staff/cancel_drop", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn cancel_drop(id: i64) -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let told = ssr::cancel(&caller, id, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/drops/{id}?cancelled={told}&at={}",
        fresh()
    ));
    Ok(told)
}

/// Puts a reward in a drop that has not opened, or changes its quantity, limit or early access.
#[server(prefix = "/api/fn", endpoint = "staff/save_drop_item", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_drop_item(
    drop_id: i64,
    reward_id: String,
    quantity: String,
    per_member_limit: String,
    points_cost: Option<String>,
    early_access_tier: Option<String>,
    early_access_minutes: Option<String>,
    audience: Option<String>,
    audience_shown: Option<String>,
) -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let item = ssr::ItemDraft::parse(
        &reward_id,
        &quantity,
        &per_member_limit,
        points_cost.as_deref().unwrap_or(""),
        early_access_tier.as_deref().unwrap_or(""),
        early_access_minutes.as_deref().unwrap_or(""),
        audience.as_deref().unwrap_or(""),
        audience_shown.as_deref().unwrap_or(""),
    )
    .map_err(crate::domain::error::server::reply)?;
    let saved = ssr::save_item(&caller, drop_id, item, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/drops/{drop_id}?item_saved=1&at={}",
        fresh()
    ));
    Ok(saved)
}

/// Takes a reward out of a drop that has not opened.
#[server(prefix = "/api/fn", endpoint = "staff/remove_drop_item", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn remove_drop_item(drop_id: i64, item_id: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::remove_item(&caller, drop_id, item_id, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/drops/{drop_id}?item_removed=1&at={}",
        fresh()
    ));
    Ok(())
}

/// The next occurrences of a weekly rule: `days` such as `tue,thu`, `time` as `HH:MM`, `zone`
/// an IANA name.
#[server(prefix = "/api/fn", endpoint = "staff/preview_schedule", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn preview_schedule(
    days: String,
    time: String,
    zone: String,
) -> Result<SchedulePreview, AppError> {
    let _caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::preview(&days, &time, &zone, chrono::Utc::now())
        .map_err(crate::domain::error::server::reply)
}

/// Saves a weekly rule and creates its next occurrences as drops, each to be filled separately.
#[server(prefix = "/api/fn", endpoint = "staff/create_schedule", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn create_schedule(
    title: String,
    days: String,
    time: String,
    zone: String,
    hours: String,
) -> Result<Vec<i64>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let created = ssr::create_schedule(
        &caller,
        &title,
        &days,
        &time,
        &zone,
        &hours,
        chrono::Utc::now(),
    )
    .await
    .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/drops?view=month&created={}",
        created.len()
    ));
    Ok(created)
}

pub mod rotation;

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(feature = "ssr")]
use crate::infra::fresh;
