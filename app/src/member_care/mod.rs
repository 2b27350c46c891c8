//! Member care: staff find a member, see their points and redemptions, correct their balance
//! with a reason, and cancel a redemption for them. Every change lands in the audit log.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::account::HistoryLine;
use crate::domain::i18n::tr;
use crate::domain::points::Points;

pub use pages::{MemberCarePage, MemberSearchPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMatch {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub tier: String,
    pub balance: Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareRedemption {
    pub code: String,
    pub reward: String,
    pub points: Points,
    pub cancelled: bool,
    pub at_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCare {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub tier: String,
    pub balance: Points,
    pub joined: String,
    /// What the member is worth, in words the server wrote: "Segment: At risk · P(active) 34%
    /// · 12-month value $182.00", or why there is nothing yet.
    pub value: String,
    /// The action worth most for this member now: "Best next: win-back offer, expected value
    /// $14.00" (empty for staff accounts).
    pub best_next: String,
    pub ledger: Vec<HistoryLine>,
    pub redemptions: Vec<CareRedemption>,
}

/// A points correction as staff typed it: a signed whole number and the reason the member will
/// read in their history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub points: i64,
    pub reason: String,
}

impl Adjustment {
    pub fn parse(points: &str, reason: &str) -> Result<Adjustment, AppError> {
        let tr = tr();
        let cleaned: String = points
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '+'))
            .collect();
        let points: i64 = cleaned
            .parse()
            .map_err(|_| AppError::invalid("points", tr.t("member_care.adjust.not_a_number")))?;
        if points == 0 {
            return Err(AppError::invalid(
                "points",
                tr.t("member_care.adjust.not_zero"),
            ));
        }
        if points.abs() > 1_000_000 {
            return Err(AppError::invalid(
                "points",
                tr.f(
                    "member_care.adjust.too_many",
                    &[("most", &tr.number(1_000_000))],
                ),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                tr.t("member_care.adjust.no_reason"),
            ));
        }
        if reason.chars().count() > 200 {
            return Err(AppError::invalid(
                "reason",
                tr.f(
                    "member_care.adjust.reason_too_long",
                    &[("most", &tr.number(200))],
                ),
            ));
        }
        Ok(Adjustment {
            points,
            reason: reason.to_owned(),
        })
    }
}

/// Members whose email or name contains `q`.
#[server(prefix = "/api/fn", endpoint = "staff/members", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn search_members(q: Option<String>) -> Result<Vec<MemberMatch>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::search(caller.pool(), q.as_deref().unwrap_or(""))
        .await
        .map_err(crate::domain::error::server::reply)
}

#[server(prefix = "/api/fn", endpoint = "staff/member", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_member_care(id: i64) -> Result<MemberCare, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::member(caller.pool(), id)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Adds (positive) or takes away (negative) points with a reason: one `adjust` ledger entry.
#[server(prefix = "/api/fn", endpoint = "staff/adjust_points", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn adjust_points(
    member_id: i64,
    points: String,
    reason: String,
) -> Result<Points, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let adjustment =
        Adjustment::parse(&points, &reason).map_err(crate::domain::error::server::reply)?;
    let balance = ssr::adjust(&caller, member_id, adjustment)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/members/{member_id}?adjusted=1&at={}",
        fresh()
    ));
    Ok(balance)
}

/// Cancels one of the member's redemptions for them, whenever it was made: points and stock back.
#[server(prefix = "/api/fn", endpoint = "staff/cancel_for_member", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn cancel_for_member(
    member_id: i64,
    code: String,
    reason: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::cancel_for(&caller, member_id, &code, &reason)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/members/{member_id}?cancelled=1&at={}",
        fresh()
    ));
    Ok(())
}

/// Deletes a member's account on their request (their data erased as "Delete my account"
/// does); `confirm` is the member's email, typed by staff, so it is never the wrong member.
#[server(prefix = "/api/fn", endpoint = "staff/delete_member", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn delete_member(
    member_id: i64,
    open_redemptions: String,
    confirm: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::delete_member(&caller, member_id, &open_redemptions, &confirm)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/members/{member_id}?deleted=1&at={}",
        fresh()
    ));
    Ok(())
}

/// A member's data as a download for staff (the file "Download my data" gives the member).
pub fn member_data_path(id: i64) -> String {
    format!("/staff/members/{id}/data.json")
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(feature = "ssr")]
use crate::infra::fresh;

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: AppError) -> (String, String) {
        match e {
            AppError::Invalid { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn adjustments_take_signs_and_grouping() {
        assert_eq!(
            Adjustment::parse("+1,500", "Till was down").unwrap().points,
            1500
        );
        assert_eq!(Adjustment::parse("-200", "Duplicate").unwrap().points, -200);
    }

    #[test]
    fn each_bad_adjustment_gets_its_own_message() {
        let cases = [
            (
                ("ten", "x"),
                (
                    "points",
                    "Enter the points to add or take away as a whole number, e.g. 500 or -200.",
                ),
            ),
            (("0", "x"), ("points", "Enter a number other than 0.")),
            (
                ("2000000", "x"),
                ("points", "Adjust by at most 1,000,000 points at a time."),
            ),
            (
                ("100", "  "),
                (
                    "reason",
                    "Give a reason: the member sees it in their points history.",
                ),
            ),
        ];
        for ((points, reason), (field, text)) in cases {
            assert_eq!(
                message(Adjustment::parse(points, reason).unwrap_err()),
                (field.to_owned(), text.to_owned())
            );
        }
    }
}
