//! The reward catalog, as staff run it, and the staff console's home. Every server function
//! here starts by requiring the staff (or admin) role.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::category::Category;
use crate::domain::points::Points;
use crate::domain::points::grouped;

pub use pages::{StaffHome, StaffRewardEdit, StaffRewards};

/// The longest reward title and description, in characters: the form's fields and the check
/// both read these.
pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 2000;

/// A reward as staff manage it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReward {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub points_cost: Points,
    pub tags: Vec<String>,
    pub min_tier: Option<Tier>,
    pub archived: bool,
    /// The uploaded photo or, without one, the drawn illustration.
    pub image_url: String,
    pub has_photo: bool,
}

/// The largest photo staff may upload. The database's `reward_images_size_limit` says the same.
pub const PHOTO_MAX_BYTES: usize = 1024 * 1024;

/// Why a photo upload was refused. The upload is a plain multipart form (it works before the
/// WebAssembly loads), so the refusal travels back in the redirect's query as `code()`, and the
/// edit page says `message()` beside the file field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoProblem {
    Missing,
    TooLarge,
    NotAnImage,
}

impl PhotoProblem {
    pub fn code(self) -> &'static str {
        match self {
            PhotoProblem::Missing => "missing",
            PhotoProblem::TooLarge => "too_large",
            PhotoProblem::NotAnImage => "type",
        }
    }

    pub fn from_code(code: &str) -> Option<PhotoProblem> {
        [
            PhotoProblem::Missing,
            PhotoProblem::TooLarge,
            PhotoProblem::NotAnImage,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            PhotoProblem::Missing => "Choose a picture to upload.",
            PhotoProblem::TooLarge => {
                "That picture is larger than 1 MB. Export it smaller (e.g. 1200 px wide) and try again."
            }
            PhotoProblem::NotAnImage => {
                "That file is not a PNG, JPEG or WebP picture. Other types (GIF, SVG, HEIC, PDF) are not accepted."
            }
        }
    }
}

/// A reward as a staff member typed it, checked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardDraft {
    pub title: String,
    pub description: String,
    pub category: Category,
    pub points_cost: i64,
    pub tags: Vec<String>,
    pub min_tier: Option<Tier>,
}

impl RewardDraft {
    /// Parses the form; the first problem comes back naming its field.
    pub fn parse(
        title: &str,
        description: &str,
        category: &str,
        points_cost: &str,
        tags: &str,
        min_tier: &str,
    ) -> Result<RewardDraft, AppError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(AppError::invalid("title", "Give the reward a title."));
        }
        if title.chars().count() > TITLE_MAX {
            return Err(AppError::invalid(
                "title",
                format!("Keep the title to {TITLE_MAX} characters."),
            ));
        }
        let description = description.trim();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(AppError::invalid(
                "description",
                format!(
                    "Keep the description to {} characters.",
                    grouped(DESCRIPTION_MAX as i64)
                ),
            ));
        }
        let category = category
            .parse::<Category>()
            .map_err(|_| AppError::invalid("category", "Choose a category."))?;
        let points_cost: i64 = points_cost.trim().replace(',', "").parse().map_err(|_| {
            AppError::invalid(
                "points_cost",
                "Enter the cost in points as a whole number, e.g. 500.",
            )
        })?;
        if !(1..=1_000_000).contains(&points_cost) {
            return Err(AppError::invalid(
                "points_cost",
                "The cost must be between 1 and 1,000,000 points.",
            ));
        }
        let tags: Vec<String> = tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if tags.len() > 10 {
            return Err(AppError::invalid("tags", "Use at most 10 tags."));
        }
        if tags.iter().any(|t| t.chars().count() > 30) {
            return Err(AppError::invalid("tags", "Keep each tag to 30 characters."));
        }
        let min_tier = match min_tier.trim() {
            "" => None,
            code => Some(Tier::parse(code).ok_or_else(|| {
                AppError::invalid("min_tier", "Choose one of the tiers, or none.")
            })?),
        };
        Ok(RewardDraft {
            title: title.to_owned(),
            description: description.to_owned(),
            category,
            points_cost,
            tags,
            min_tier,
        })
    }
}

#[server(prefix = "/api/fn", endpoint = "staff/rewards", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn list_staff_rewards(search: Option<String>) -> Result<Vec<StaffReward>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::rewards(&caller, search.as_deref())
        .await
        .map_err(crate::domain::error::server::reply)
}

#[server(prefix = "/api/fn", endpoint = "staff/reward", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_staff_reward(id: i64) -> Result<StaffReward, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::reward(caller.pool(), id)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Creates a reward (no `id`) or changes one.
#[server(prefix = "/api/fn", endpoint = "staff/save_reward", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_reward(
    id: Option<i64>,
    title: String,
    description: String,
    category: String,
    points_cost: String,
    tags: Option<String>,
    min_tier: Option<String>,
) -> Result<StaffReward, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let draft = RewardDraft::parse(
        &title,
        &description,
        &category,
        &points_cost,
        tags.as_deref().unwrap_or(""),
        min_tier.as_deref().unwrap_or(""),
    )
    .map_err(crate::domain::error::server::reply)?;
    let saved = ssr::save(&caller, id, draft)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/rewards/{}?saved=1", saved.id));
    Ok(saved)
}

/// Archives a reward: it leaves drops that have not opened; history keeps it.
#[server(prefix = "/api/fn", endpoint = "staff/archive_reward", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn archive_reward(id: i64) -> Result<StaffReward, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let archived = ssr::archive(&caller, id)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/rewards/{id}?archived=1"));
    Ok(archived)
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: AppError) -> (String, String) {
        match e {
            AppError::Invalid { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_good_reward_form_parses() {
        let d = RewardDraft::parse(
            " Candle duo ",
            "Two candles.",
            "gift",
            "1,250",
            "Home, Scent",
            "gold",
        )
        .unwrap();
        assert_eq!(d.title, "Candle duo");
        assert_eq!(d.points_cost, 1250);
        assert_eq!(d.tags, vec!["home", "scent"]);
        assert_eq!(d.min_tier, Some(Tier::Gold));
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let cases = [
            (("", "gift", "500"), ("title", "Give the reward a title.")),
            (
                ("Candle", "shoes", "500"),
                ("category", "Choose a category."),
            ),
            (
                ("Candle", "gift", "five"),
                (
                    "points_cost",
                    "Enter the cost in points as a whole number, e.g. 500.",
                ),
            ),
            (
                ("Candle", "gift", "0"),
                (
                    "points_cost",
                    "The cost must be between 1 and 1,000,000 points.",
                ),
            ),
        ];
        for ((title, category, cost), (f, message)) in cases {
            let got = field(RewardDraft::parse(title, "", category, cost, "", "").unwrap_err());
            assert_eq!(got, (f.to_owned(), message.to_owned()));
        }
    }
}
