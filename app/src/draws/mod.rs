//! Draws (issue 26): a scarce reward given to members picked at random among those who entered
//! during a window, paid in points, in a way anyone can check.
//!
//! - Members enter on the draw's page (`/draws/{item}`, works without JavaScript); entering holds
//!   the points (a `hold` ledger entry, its lots recorded), withdrawing releases them.
//! - At the window's close one transaction publishes the entry list, its hash and the seed
//!   (committed to by its SHA-256 from the start), picks the winners, redeems for them and
//!   releases everyone else's points (`ssr::run`).
//! - "Check this draw" (`/draws/{item}/check`) recomputes the winners from the published data
//!   and shows each step; the README has an independent script that does the same.
//! - Staff give a drop's reward by draw, see entries and the published data, and can cancel a
//!   draw before it is drawn (`/staff/draws`).

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use pages::{DrawCheckPage, DrawPage, StaffDrawsPage};

/// The member's own entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyEntry {
    pub code: String,
    /// "300 points held for the draw · 2 tickets", or how it ended.
    pub status: String,
    /// A winner's redemption code.
    pub redemption: Option<String>,
    pub open: bool,
}

/// What the draw published once drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub seed: String,
    pub entries_hash: String,
    /// `code,tickets` lines in entry order.
    pub entry_list: String,
    pub winners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawView {
    pub item_id: i64,
    pub title: String,
    pub description: String,
    /// "300 points", what an entry holds.
    pub cost: String,
    /// "Enter from … until …", "Entries closed …", "Drawn …", "Cancelled".
    pub window: String,
    /// "12 winners · 340 entries".
    pub counts: String,
    /// Who may enter, and the tickets by tier, stated plainly.
    pub rules: Vec<String>,
    pub commitment: String,
    pub open: bool,
    pub signed_in: bool,
    /// Made for this view of the page and kept by its form: a retried entry is the same entry.
    pub idempotency_key: String,
    pub mine: Option<MyEntry>,
    /// Whether the member asked to hear before entries close (`None`: signed out, or closed).
    pub reminded: Option<bool>,
    /// How long before the close that reminder goes.
    pub remind_hours: i32,
    /// After the close: the member's chance, roughly.
    pub odds: Option<String>,
    pub published: Option<Published>,
}

/// One step of the check: the number drawn, from how many tickets, and who it picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStep {
    pub number: String,
    pub total: String,
    pub winner: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawCheck {
    pub item_id: i64,
    pub title: String,
    pub commitment: String,
    /// Whether SHA-256(seed) is the commitment, and the list's hash is the one published.
    pub commitment_holds: bool,
    pub hash_holds: bool,
    pub steps: Vec<CheckStep>,
    /// Whether the recomputed winners are the ones the portal named.
    pub same_winners: bool,
    pub published: Option<Published>,
}

/// A draw as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDraw {
    pub item_id: i64,
    pub title: String,
    pub window: String,
    pub counts: String,
    pub commitment: String,
    pub state: String,
    pub can_cancel: bool,
    pub winners: Vec<String>,
    pub stats: DrawStats,
}

/// A count with what it counts, in the reader's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub label: String,
    pub count: i64,
}

/// What staff see of a draw's presses: entries over time, refusals by reason, and accounts or
/// addresses pressing faster than a person would (as the post-drop report judges them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawStats {
    /// "per hour"
    pub bucket: String,
    pub timeline: Vec<Tally>,
    pub refusals: Vec<Tally>,
    /// "Account maya@example.com: 9 presses in one second, 40 in all".
    pub suspects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChoice {
    pub id: i64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDrawsView {
    pub draws: Vec<StaffDraw>,
    /// Items of drops not open yet, first come first served, that could become draws.
    pub items: Vec<ItemChoice>,
}

/// A draw's page for whoever opens it (the member's own entry when signed in).
#[server(prefix = "/api/fn", endpoint = "draw", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_draw(item: i64, fresh: Option<i64>) -> Result<DrawView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    let _ = fresh;
    ssr::view::draw(caller.pool(), caller.viewer().map(|v| v.id), item)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// "Check this draw": the winners recomputed from what was published, step by step.
#[server(prefix = "/api/fn", endpoint = "draw/check", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn check_draw(item: i64) -> Result<DrawCheck, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::view::check(caller.pool(), item)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Enters the signed-in member in a draw, holding the points. Safe to repeat.
#[server(prefix = "/api/fn", endpoint = "draw/enter", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn enter_draw(item: i64, idempotency_key: String) -> Result<String, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    let held = ssr::entries::enter(&caller, item, &idempotency_key)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/draws/{item}?entered=1#draw-entry-heading"));
    Ok(held.code)
}

/// The entry count alone: the open draw's page reads it again every few seconds.
#[server(prefix = "/api/fn", endpoint = "draw/count", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn draw_count(item: i64) -> Result<String, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::view::live_counts(caller.pool(), item)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Emails the signed-in member a few hours before the draw's entries close, unless they have
/// entered by then.
#[server(prefix = "/api/fn", endpoint = "draw/remind", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn remind_draw(item: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::reminders::ask(&caller, item)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/draws/{item}?reminded=1#draw-entry-heading"));
    Ok(())
}

/// Withdraws the member's entry while the window is open; the points come back.
#[server(prefix = "/api/fn", endpoint = "draw/withdraw", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn withdraw_draw(item: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::entries::withdraw(&caller, item)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/draws/{item}?withdrawn=1#draw-entry-heading"));
    Ok(())
}

/// The store's draws and the rewards that could become one. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/draws", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_staff_draws(fresh: Option<i64>) -> Result<StaffDrawsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    ssr::staff::view(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Gives a drop's reward by draw: the window (hours from the drop's opening), Gold and Silver
/// members' tickets, and who may enter. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/draws/create", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn create_draw(
    item: String,
    hours: String,
    gold_tickets: String,
    silver_tickets: String,
    verified_email: Option<String>,
    account_days: String,
    purchase: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let rules = ssr::staff::DrawRules::parse(
        &item,
        &hours,
        &gold_tickets,
        &silver_tickets,
        verified_email.is_some(),
        &account_days,
        purchase.is_some(),
    )
    .map_err(crate::domain::error::server::reply)?;
    ssr::staff::create(&caller, &rules)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/draws?created={}#draws-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Cancels a draw before it is drawn: every hold released. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/draws/cancel", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn cancel_draw(item: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::staff::cancel(&caller, item)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/draws?cancelled={}#draws-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;
