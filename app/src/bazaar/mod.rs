//! The bazaar: what is on offer in the live drop(s) right now, and when the next drop opens.

mod page;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::category::Category;
use crate::domain::points::Points;
use crate::domain::store::StoreInfo;

pub use page::BazaarPage;

/// A drop as the bazaar shows it: its window, with times already written in the store's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropSummary {
    pub id: i64,
    pub title: String,
    #[serde(with = "crate::domain::wire::instant")]
    pub starts_at: DateTime<Utc>,
    #[serde(with = "crate::domain::wire::instant")]
    pub ends_at: DateTime<Utc>,
    pub starts_label: String,
    pub ends_label: String,
    /// "in 3 days", "mañana" for a drop a day or more away (the calendar says that, not a
    /// countdown of hours); `None` nearer the opening, when the countdown is what matters.
    pub starts_in: Option<String>,
    /// Whether the signed-in member asked to be reminded; `None` for anonymous visitors.
    pub reminded: Option<bool>,
}

/// What the card offers the person looking at it: the button, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardAction {
    /// Anonymous: sign in to redeem.
    SignIn,
    Redeem,
    NeedPoints {
        more: i64,
    },
    TierRequired {
        tier: String,
    },
    /// Set aside for an audience of members this one is not in (greyed, with a kind reason).
    AudienceOnly,
    LimitReached,
    /// Not open yet for this member: count down to `opens_at`.
    Opens,
    SoldOut,
    /// Given by a draw (issue 26): the card leads to the draw's page.
    Draw,
}

impl CardAction {
    /// Cards the member can act on first, then what they could soon, sold out last.
    pub fn rank(&self) -> u8 {
        match self {
            CardAction::Redeem | CardAction::SignIn | CardAction::Draw => 0,
            CardAction::NeedPoints { .. } => 1,
            CardAction::Opens => 2,
            CardAction::TierRequired { .. } | CardAction::AudienceOnly => 3,
            CardAction::LimitReached => 4,
            CardAction::SoldOut => 5,
        }
    }
}

/// One reward on offer in a live (or about to open) drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardCard {
    pub drop_item_id: i64,
    pub reward_id: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub cost: Points,
    pub quantity: i32,
    pub remaining: i32,
    pub image_url: String,
    /// When this person may start redeeming it (earlier for tiers with early access).
    #[serde(with = "crate::domain::wire::instant")]
    pub opens_at: DateTime<Utc>,
    pub action: CardAction,
    /// In the "For you" row: why it is there ("Because you love experiences").
    pub why: Option<String>,
}

/// How many live rewards each category holds, for the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: Category,
    pub count: i64,
}

/// Everything the bazaar page shows, read in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BazaarView {
    pub store: StoreInfo,
    /// The server's clock when this was read; countdowns start from it.
    #[serde(with = "crate::domain::wire::instant")]
    pub now: DateTime<Utc>,
    pub live: Vec<DropSummary>,
    pub next: Option<DropSummary>,
    /// The next few drops, for the calendar.
    pub upcoming: Vec<DropSummary>,
    /// The selected category, if the member filtered.
    pub category: Option<Category>,
    pub categories: Vec<CategoryCount>,
    /// The few rewards put first for this reader, each with why; empty when filtered.
    pub for_you: Vec<RewardCard>,
    pub rewards: Vec<RewardCard>,
}

/// The live drops' rewards (optionally one category) and the next drop. Public: the bazaar is
/// the program's shop window, so anyone may look.
#[server(prefix = "/api/fn", endpoint = "bazaar", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_bazaar(category: Option<String>) -> Result<BazaarView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::bazaar(caller.pool(), caller.viewer(), category.as_deref())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Turns the signed-in member's reminder for an upcoming drop on (`on = true`) or off. A
/// reminded member hears on their account page if the drop moves or is cancelled, and sees it
/// listed with its countdown. `category` brings a no-JS visitor back to the filter they were on.
#[server(prefix = "/api/fn", endpoint = "remind", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn remind(drop_id: i64, on: bool, category: Option<String>) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::remind(&caller, drop_id, on, chrono::Utc::now())
        .await
        .map_err(crate::domain::error::server::reply)?;
    // Only a real category goes back into the URL: the redirect is never built from raw input.
    let back = match category.as_deref().map(str::parse::<Category>) {
        Some(Ok(c)) => format!("/?category={}#upcoming-heading", c.slug()),
        _ => "/#upcoming-heading".to_owned(),
    };
    leptos_axum::redirect(&back);
    Ok(())
}

impl crate::domain::form::FromForm for Remind {
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(Remind {
            drop_id: field("drop_id")?.parse().ok()?,
            on: field("on")?.parse().ok()?,
            category: field("category").filter(|v| !v.is_empty()),
        })
    }
}

#[cfg(feature = "ssr")]
pub mod for_you;
#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(test)]
mod tests {
    use crate::domain::form::tests::reads_like_the_server;

    #[test]
    fn the_remind_form_reads_in_the_browser_as_on_the_server() {
        reads_like_the_server::<super::Remind>("drop_id=7&on=true&category=gift");
        reads_like_the_server::<super::Remind>("drop_id=7&on=false");
        reads_like_the_server::<super::Remind>("drop_id=7&on=false&category=");
    }
}
