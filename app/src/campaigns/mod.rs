//! Campaigns and next best actions for staff (issue 25, parts 2 and 3).
//!
//! - Next best actions: for each member, the action worth most now by expected value (P(alive)
//!   × expected response × margin × extra spend − cost, under a weekly contact cap), as lists
//!   per action with a CSV of each, and one line on member care.
//! - Campaigns: an offer (bonus points on the next purchase, an email, or both) aimed at an
//!   audience for some days, with a random share held out and recorded; the report compares
//!   treated and held-out members with 95% intervals, and finished campaigns teach next best
//!   actions the response each action gets per segment.

#![allow(
    clippy::too_many_arguments,
    reason = "`create_campaign`'s arguments are its form's fields; not `expect` on the function: the server-function macro's code trips the lint in a different place in each build"
)]

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::audiences::Choice;

pub use pages::{CampaignPage, CampaignsPage, NextActionsPage};

/// A campaign as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub audience: String,
    pub action: String,
    /// The offer in words ("500 bonus points on the next purchase · email").
    pub offer: String,
    /// "1,204 members · 120 held out".
    pub members: String,
    /// "Until Tue 8 Dec, 09:00 EST" or "Ended Tue 8 Dec, 09:00 EST".
    pub window: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsView {
    pub campaigns: Vec<CampaignRow>,
    pub audiences: Vec<Choice>,
    pub actions: Vec<Choice>,
    /// Rewards of coming drops a campaign could give early access to.
    pub early_items: Vec<Choice>,
    /// Rewards of the catalogue a campaign could give outright.
    pub gift_rewards: Vec<Choice>,
}

/// One figure of a report, every value written by the server in the reader's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub treated: String,
    pub held_out: String,
    pub difference: String,
    /// "from 1.2 to 8.9 points".
    pub interval: String,
    /// Significant, not significant, or too few to tell, said plainly.
    pub verdict: String,
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignReport {
    pub id: i64,
    pub name: String,
    pub row: CampaignRow,
    pub treated: String,
    pub held_out: String,
    /// Bonus offers paid and messages written.
    pub given: String,
    /// Whether the window is still open (figures so far).
    pub running: bool,
    pub figures: Vec<Figure>,
}

/// How many members an action is best for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCount {
    pub action: String,
    pub label: String,
    /// "312 members should get a win-back offer this week".
    pub members: String,
    /// Their expected value together.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionMember {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub segment: String,
    pub value: String,
    /// The response used was measured by campaigns, not staff's expectation.
    pub measured: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextActionsView {
    pub counts: Vec<ActionCount>,
    pub chosen: Option<String>,
    pub chosen_label: Option<String>,
    pub members: Vec<ActionMember>,
    pub terms: TermsView,
}

/// What staff expect of one action, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTermsRow {
    pub action: String,
    pub label: String,
    /// "15%".
    pub response: String,
    /// "$60.00".
    pub extra_spend: String,
    pub cost: String,
}

/// The next-action terms: the store's as the form's values, each action's as the table shows
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsView {
    /// In percent, "30".
    pub margin: String,
    pub messages_per_week: String,
    /// "100.00".
    pub reach_within: String,
    pub actions: Vec<ActionTermsRow>,
}

/// Every campaign, and what the form offers. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/campaigns", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_campaigns(fresh: Option<i64>) -> Result<CampaignsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    ssr::campaign::view(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Starts a campaign now: draws the holdout, records both groups, writes the offer's emails.
/// Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/campaigns/create", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn create_campaign(
    name: String,
    audience: String,
    action: String,
    bonus_points: String,
    with_email: Option<String>,
    holdout: String,
    days: String,
    early_item: Option<String>,
    early_hours: Option<String>,
    exclusive: Option<String>,
    gift_reward: Option<String>,
) -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let campaign = crate::domain::campaign::NewCampaign::parse(
        &name,
        &audience,
        &action,
        &bonus_points,
        with_email.is_some(),
        &holdout,
        &days,
        early_item.as_deref().unwrap_or_default(),
        early_hours.as_deref().unwrap_or_default(),
        exclusive.is_some(),
        gift_reward.as_deref().unwrap_or_default(),
    )
    .map_err(crate::domain::error::server::reply)?;
    let id = ssr::campaign::create(&caller, &campaign)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/campaigns/{id}?started=1"));
    Ok(id)
}

/// A campaign's report: treated against held out. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/campaign", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_campaign(id: i64) -> Result<CampaignReport, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::campaign::report(caller.pool(), id)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// The next best actions: how many members each is best for, and the members of one. Staff
/// only.
#[server(prefix = "/api/fn", endpoint = "staff/next_actions", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_next_actions(
    action: Option<String>,
    saved: Option<i64>,
) -> Result<NextActionsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    // `saved` only makes the page read again after a change to the terms.
    let _ = saved;
    ssr::actions::view(caller.pool(), action.as_deref())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Changes what staff expect of one action until campaigns measure it. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/next_actions/action_terms", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_action_terms(
    terms_action: String,
    response: String,
    extra_spend: String,
    cost: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let entry = crate::domain::action_terms::ActionTermsEntry::parse(
        &terms_action,
        &response,
        &extra_spend,
        &cost,
    )
    .map_err(crate::domain::error::server::reply)?;
    ssr::actions::save_action_terms(&caller, &entry)
        .await
        .map_err(crate::domain::error::server::reply)?;
    ssr::actions::terms_saved();
    Ok(())
}

/// Changes the store's margin, weekly message cap and "reach tier" distance. Staff only;
/// audited.
#[server(prefix = "/api/fn", endpoint = "staff/next_actions/store_terms", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_store_terms(
    margin: String,
    messages_per_week: String,
    reach_within: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let store =
        crate::domain::action_terms::StoreTerms::parse(&margin, &messages_per_week, &reach_within)
            .map_err(crate::domain::error::server::reply)?;
    ssr::actions::save_store_terms(&caller, &store)
        .await
        .map_err(crate::domain::error::server::reply)?;
    ssr::actions::terms_saved();
    Ok(())
}

/// The CSV of the members an action is best for.
pub fn next_actions_csv_path(action: &str) -> String {
    format!("/staff/next-actions.csv?action={action}")
}

#[cfg(feature = "ssr")]
pub mod ssr;
