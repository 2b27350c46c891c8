//! A member's own account: balance, tier and progress, points about to expire, and history.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::points::Points;

/// History entries per page.
pub const HISTORY_PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTier {
    pub name: String,
    /// How much more to spend (in cents, over the rolling 12 months) to reach it.
    pub spend_needed_cents: i64,
    /// The same, as the reader writes money: "$200.00", "200,00 US$".
    pub spend_needed_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    #[serde(with = "crate::domain::wire::instant")]
    pub at: DateTime<Utc>,
    pub at_label: String,
    /// earn, redeem, refund, adjust, expire
    pub kind: String,
    /// Signed: positive adds points, negative takes them.
    pub points: i64,
    pub reason: String,
    pub reference: Option<String>,
}

/// An upcoming drop the member asked to be reminded of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub title: String,
    #[serde(with = "crate::domain::wire::instant")]
    pub starts_at: DateTime<Utc>,
    pub starts_label: String,
}

/// A reward a campaign gave the member outright, with the code they show in store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gift {
    pub title: String,
    pub code: String,
    /// "Show the code in store by Fri 18 Dec.", or that the offer ended.
    pub until: String,
}

/// A message for the member, e.g. that a drop they wanted moved or was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub at_label: String,
    pub message: String,
}

/// A place the member is signed in: a browser, when it was last used, and whether it is the one
/// they are using now. `handle` names it to "Sign out" (a hash of the session id, never the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSession {
    pub handle: String,
    pub device: String,
    pub last_seen_label: String,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub display_name: String,
    pub email: String,
    pub balance: Points,
    pub tier_name: String,
    /// Points per currency unit at this tier, in percent (150 = 1.5 points per unit).
    pub earn_rate_pct: i32,
    pub next_tier: Option<NextTier>,
    pub spend_12m_cents: i64,
    /// Money and decimals are written by the server (ICU4X), so the browser carries no
    /// currency formats: "$150.00", "150,00 US$".
    pub spend_12m_label: String,
    /// "1.50 points per $1.00", "1,50 puntos por 1,00 US$".
    pub earn_rate_label: String,
    /// Points that expire within 30 days, and when the first of them goes.
    pub expiring_soon: Points,
    /// When the first of them goes, in words: "The first expire in 9 days (Fri 11 Dec, …)".
    pub expiring_first_label: Option<String>,
    pub reminders: Vec<Reminder>,
    /// Rewards campaigns gave the member, newest first.
    pub gifts: Vec<Gift>,
    /// The latest messages, newest first.
    pub notices: Vec<Notice>,
    pub history: Vec<HistoryLine>,
    /// Where the member is signed in, most recently used first.
    pub sessions: Vec<DeviceSession>,
    pub page: i64,
    pub has_more: bool,
    pub mail: MailSettings,
    /// The time zone the member chose (an IANA name), or `None` for the store's.
    pub time_zone: Option<String>,
    /// The store's zone, named on the choice that means "the store's".
    pub store_zone: String,
    /// "What you love".
    pub likes: super::likes::Likes,
    /// One short question, when one is due.
    pub question: Option<super::questions::Question>,
}

/// The member's address as mail sees it, and the messages they chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettings {
    pub verified: bool,
    /// A mail server answered that the address does not exist.
    pub undeliverable: bool,
    pub drop_reminders: bool,
    pub expiring_points: bool,
    /// Offers by mail (off until the member turns them on).
    pub offers: bool,
}

/// The signed-in member's own account. There is no account id parameter: the session decides
/// whose account this is, so no one can read another member's points by changing a number.
#[server(prefix = "/api/fn", endpoint = "account", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_account(page: Option<i64>, fresh: Option<i64>) -> Result<AccountView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    // `fresh` only makes the URL differ after a change, so the page reads its data again.
    let _ = fresh;
    super::ssr::account(&caller, page.unwrap_or(1))
        .await
        .map_err(crate::domain::error::server::reply)
}
