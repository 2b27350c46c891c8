//! Insights for staff: what each member is worth and where the member base is going. Members
//! grouped by what they do (recency, frequency, money), and the standard published models of
//! the field fitted on the store's purchases: BG/NBD for how often members buy and whether they
//! are still active, Gamma-Gamma for how much they spend, and lifetime value from the two.
//!
//! Every figure reaches the page as text the server wrote (numbers, money and percentages in
//! the reader's language), so the staff chunk carries no number formatting of its own.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use pages::InsightsPage;

/// One segment's row: how many members, and their share of members and of the last 12
/// months' revenue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub code: String,
    pub name: String,
    pub members: String,
    pub share: String,
    pub revenue_share: String,
}

/// A fitted model as staff judge it: its parameters (time unit: weeks), log-likelihood and how
/// many members it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitRow {
    pub model: String,
    pub params: String,
    pub log_likelihood: String,
    pub members: String,
}

/// A member in a list: links to member care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValuedMember {
    pub id: i64,
    pub name: String,
    pub segment: String,
    pub p_alive: String,
    pub clv: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsView {
    /// "Scores as of 3 Dec 2026", or that there are none yet.
    pub as_of: String,
    pub segments: Vec<SegmentRow>,
    pub fits: Vec<FitRow>,
    /// The members with the highest lifetime value.
    pub top: Vec<ValuedMember>,
    /// Valuable and slipping away: in the top fifth by lifetime value, and more likely gone
    /// than not (P(alive) under 50%).
    pub slipping: Vec<ValuedMember>,
}

/// The member base now, for staff.
#[server(prefix = "/api/fn", endpoint = "staff/insights", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_insights(fresh: Option<i64>) -> Result<InsightsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    // `fresh` only makes the URL differ after a recompute, so the page reads its data again.
    let _ = fresh;
    ssr::view::insights(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Computes every member's scores now instead of waiting for the night. Answers how many
/// members were scored.
#[server(prefix = "/api/fn", endpoint = "staff/insights/recompute", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn recompute_scores() -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let run = ssr::scores::recompute(caller.pool(), chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?
        .ok_or_else(|| {
            crate::domain::error::server::reply(AppError::bad_request(
                crate::domain::i18n::tr().t("insights.errors.already_running"),
            ))
        })?;
    let members = i64::try_from(run.members).unwrap_or(i64::MAX);
    leptos_axum::redirect(&format!(
        "/staff/insights?scored={members}&fresh={}",
        chrono::Utc::now().timestamp_millis()
    ));
    Ok(members)
}

#[cfg(feature = "ssr")]
pub mod ssr;
