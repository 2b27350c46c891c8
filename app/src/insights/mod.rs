//! Insights for staff: what each member is worth and where the member base is going. Members
//! grouped by what they do (recency, frequency, money), and the standard published models of
//! the field fitted on the store's purchases: BG/NBD for how often members buy and whether they
//! are still active, Gamma-Gamma for how much they spend, and lifetime value from the two.
//!
//! Every figure reaches the page as text the server wrote (numbers, money and percentages in
//! the reader's language), so the staff chunk carries no number formatting of its own.

mod pages;
pub mod wants;

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
    /// "was 78%": P(alive) in the snapshot the trend compares with, when there is one.
    pub was: String,
    pub clv: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsView {
    /// "Scores as of 3 Dec 2026", or that there are none yet.
    pub as_of: String,
    pub segments: Vec<SegmentRow>,
    /// The distribution of P(alive): band ("40–50%"), members, share of members.
    pub p_alive: Vec<[String; 3]>,
    pub fits: Vec<FitRow>,
    /// The members with the highest lifetime value.
    pub top: Vec<ValuedMember>,
    /// Valuable and slipping away: in the top fifth by lifetime value, with P(alive) falling
    /// (see `ssr::base::Base::slipping`).
    pub slipping: Vec<ValuedMember>,
}

/// The BG/NBD parameters fitted for a model check (time unit: weeks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdFit {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub log_likelihood: f64,
    pub members: u64,
}

/// The Gamma-Gamma parameters fitted for a model check (members with a repeat purchase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    pub log_likelihood: f64,
    pub members: u64,
}

/// Members with this many repeat purchases before the cut-off ("7+" for seven or more): how
/// many, and their mean purchases in the holdout, actual and expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyRow {
    pub repeat_purchases: String,
    pub members: u64,
    pub actual: f64,
    pub expected: f64,
}

/// The calibration histogram: members with this many repeat purchases before the cut-off,
/// counted and as the model expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub repeat_purchases: String,
    pub actual: u64,
    pub expected: f64,
}

/// Cumulative repeat purchases of the members (their purchase days after the first) by the end
/// of each week from the first purchase, actual and expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingWeek {
    pub week: u32,
    pub actual: u64,
    pub expected: f64,
}

/// The models fitted on purchases up to a cut-off date and compared with what happened between
/// it and an end date: the evidence that the forecast can be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCheck {
    pub cutoff: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    /// Members whose first purchase was on or before the cut-off.
    pub members: u64,
    pub bg_nbd: Option<BgNbdFit>,
    pub gamma_gamma: Option<GammaGammaFit>,
    pub holdout_weeks: f64,
    /// Repeat purchase days between the cut-off and the end, actual and expected.
    pub holdout_actual: u64,
    pub holdout_expected: f64,
    pub by_frequency: Vec<FrequencyRow>,
    pub calibration: Vec<CalibrationRow>,
    pub tracking: Vec<TrackingWeek>,
}

/// One row of the migration matrix: members in a segment at the first date, by their segment
/// at the second ("3 (25%)": count and share of the row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRow {
    pub name: String,
    pub total: String,
    pub cells: Vec<String>,
}

/// One cohort of the retention heat-map: its month, its size, and for each month since, the
/// share who bought (with a shade from 0 to 5 for the heat-map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    pub month: String,
    pub members: String,
    pub cells: Vec<(String, u8)>,
}

/// How the member base moves: between segments from one date to another, and retention by
/// month of first purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementView {
    /// The dates compared, as the form's fields hold them (YYYY-MM-DD).
    pub from: String,
    pub to: String,
    /// "From 3 Sep 2026 to 3 Dec 2026".
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<MigrationRow>,
    pub months: Vec<String>,
    pub cohorts: Vec<CohortRow>,
}

/// The tracking chart's lines, drawn by the server: SVG points for the actual and expected
/// cumulative repeat purchases, and where the cut-off falls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingChart {
    pub actual: String,
    pub expected: String,
    pub cutoff_x: String,
    pub top: String,
}

/// The model check as staff read it, every figure written by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCheckView {
    pub summary: String,
    pub fits: Vec<FitRow>,
    pub chart: Option<TrackingChart>,
    /// Week, actual, expected.
    pub tracking: Vec<[String; 3]>,
    /// Repeat purchases before the cut-off, actual members, expected members.
    pub calibration: Vec<[String; 3]>,
    /// Repeat purchases before the cut-off, members, actual and expected mean in the holdout.
    pub by_frequency: Vec<[String; 4]>,
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

/// The model check for staff: fitted on purchases up to `cutoff`, compared with what happened
/// up to `end` (dates, "YYYY-MM-DD", in the store's zone).
#[server(prefix = "/api/fn", endpoint = "staff/insights/check", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_model_check(cutoff: String, end: String) -> Result<ModelCheckView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::view::model_check(caller.pool(), &cutoff, &end)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Members moving between segments from `from` to `to` (dates, "YYYY-MM-DD"; by default the
/// last 90 days), and retention by month of first purchase.
#[server(prefix = "/api/fn", endpoint = "staff/insights/movement", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_movement(
    from: Option<String>,
    to: Option<String>,
) -> Result<MovementView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::view::movement(caller.pool(), from.as_deref(), to.as_deref())
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
