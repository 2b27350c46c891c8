//! The post-drop report: what happened at a drop, for staff. How fast each item sold out, the
//! redemptions over time (an SVG chart drawn by the app), who got in by tier, who tried and
//! failed and why, and bursts that look automated. Exportable as CSV.

mod page;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::drop_state::DropState;
use crate::domain::points::Points;

pub use page::DropReportPage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    pub title: String,
    pub quantity: i32,
    pub redeemed: i64,
    /// "Sold out 2 min 13 s after opening", or how many are left.
    pub sell_out: String,
}

/// One bar of the redemptions-over-time chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// Local start time of the bucket, e.g. `09:02:10`.
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspect {
    /// "Account" or "Address".
    pub kind: String,
    pub who: String,
    pub peak_per_second: i64,
    pub attempts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropReport {
    pub drop_id: i64,
    pub title: String,
    pub state: DropState,
    pub window: String,
    pub redemptions: i64,
    pub unique_redeemers: i64,
    pub attempts: i64,
    pub points_spent: Points,
    pub items: Vec<ItemReport>,
    /// e.g. "10 seconds": the width of one bar.
    pub bucket: String,
    pub timeline: Vec<Bar>,
    pub by_tier: Vec<(String, i64)>,
    pub failures: Vec<(String, i64)>,
    pub suspects: Vec<Suspect>,
}

#[server(prefix = "/api/fn", endpoint = "staff/drop_report", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_drop_report(id: i64) -> Result<DropReport, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::report(caller.pool(), id, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)
}

#[cfg(feature = "ssr")]
pub mod ssr;
