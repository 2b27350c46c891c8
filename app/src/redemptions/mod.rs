//! Redeeming rewards: the confirm step, the redemption itself, its code, and cancelling it.
//!
//! A press of "Confirm" carries an idempotency key made when the confirm step was shown; the
//! same press retried (a double click, a flaky phone connection, a resubmitted form) finds the
//! redemption it already made instead of making another.

mod pages;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::category::Category;
use crate::domain::points::Points;

pub use pages::{RedeemPage, RedemptionPage, RedemptionsList};

/// A redemption as its member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub code: String,
    pub reward_title: String,
    pub drop_item_id: i64,
    pub points: Points,
    pub cancelled: bool,
    #[serde(with = "crate::domain::wire::instant")]
    pub created_at: DateTime<Utc>,
    pub created_label: String,
    /// The member's balance now.
    pub balance: Points,
    /// Until when the member may cancel, if they still may.
    pub cancel_until: Option<String>,
    /// One short question for the member, on the redemption's own page (never on the way to
    /// Redeem), when one is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<crate::account::questions::Question>,
}

/// The confirm step: what the member is about to redeem and what it leaves them with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemOffer {
    pub drop_item_id: i64,
    pub reward_title: String,
    pub description: String,
    pub category: Category,
    pub image_url: String,
    pub drop_title: String,
    pub cost: Points,
    pub remaining: i32,
    pub balance: Points,
    /// Why the member cannot redeem this now, if they cannot.
    pub blocked: Option<AppError>,
    /// A fresh key for this press of "Confirm".
    pub idempotency_key: String,
}

#[server(prefix = "/api/fn", endpoint = "redeem_preview", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn redeem_preview(drop_item_id: i64) -> Result<RedeemOffer, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::preview(&caller, drop_item_id, Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Redeems one unit of a drop item. POST only; `idempotency_key` is the UUID from the confirm
/// step, the same for every retry of one press.
#[server(prefix = "/api/fn", endpoint = "redeem", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn redeem(drop_item_id: i64, idempotency_key: String) -> Result<Redemption, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    let redemption = ssr::redeem(&caller, drop_item_id, &idempotency_key)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/redemptions/{}", redemption.code));
    Ok(redemption)
}

impl crate::domain::form::FromForm for Redeem {
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(Redeem {
            drop_item_id: field("drop_item_id")?.parse().ok()?,
            idempotency_key: field("idempotency_key")?,
        })
    }
}

impl crate::domain::form::FromForm for CancelRedemption {
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(CancelRedemption {
            code: field("code")?,
        })
    }
}

#[server(prefix = "/api/fn", endpoint = "redemption", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_redemption(code: String) -> Result<Redemption, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::page(&caller, &code, Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)
}

#[server(prefix = "/api/fn", endpoint = "my_redemptions", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn my_redemptions() -> Result<Vec<Redemption>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::mine(&caller, Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Cancels a redemption within the grace period while its drop is open: points back, stock back.
#[server(prefix = "/api/fn", endpoint = "cancel_redemption", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn cancel_redemption(code: String) -> Result<Redemption, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    let redemption = ssr::cancel(&caller, &code, Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/redemptions/{}", redemption.code));
    Ok(redemption)
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(test)]
mod form_tests {
    use crate::domain::form::tests::reads_like_the_server;

    #[test]
    fn the_redeem_and_cancel_forms_read_in_the_browser_as_on_the_server() {
        reads_like_the_server::<super::Redeem>(
            "drop_item_id=42&idempotency_key=0b6f2f4e-1c1d-4d7e-9a55-2f0e8f6a1b2c",
        );
        reads_like_the_server::<super::CancelRedemption>("code=RB-7K3M-Q9XD");
    }
}
