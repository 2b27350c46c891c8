//! The reward catalog, as staff run it, and the staff console's home. Every server function
//! here starts by requiring the staff (or admin) role.

#![allow(
    clippy::too_many_arguments,
    reason = "`save_reward`'s arguments are its form's fields, both languages' texts among them; not `expect` on the function: the server-function macro's code trips the lint in a different place in each build"
)]

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::domain::points::Points;

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
    /// The same in Spanish, where staff wrote it (Spanish readers get the English otherwise).
    pub title_es: Option<String>,
    pub description_es: Option<String>,
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
        let tr = tr();
        match self {
            PhotoProblem::Missing => tr.t("catalog.photo.missing"),
            PhotoProblem::TooLarge => tr.t("catalog.photo.too_large"),
            PhotoProblem::NotAnImage => tr.t("catalog.photo.not_an_image"),
        }
    }
}

/// A reward as a staff member typed it, checked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardDraft {
    pub title: String,
    pub description: String,
    pub title_es: Option<String>,
    pub description_es: Option<String>,
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
        let tr = tr();
        let title = title.trim();
        if title.is_empty() {
            return Err(AppError::invalid(
                "title",
                tr.t("catalog.invalid.title_empty"),
            ));
        }
        if title.chars().count() > TITLE_MAX {
            return Err(AppError::invalid(
                "title",
                tr.f(
                    "catalog.invalid.title_too_long",
                    &[("max", &tr.number(TITLE_MAX as i64))],
                ),
            ));
        }
        let description = description.trim();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(AppError::invalid(
                "description",
                tr.f(
                    "catalog.invalid.description_too_long",
                    &[("max", &tr.number(DESCRIPTION_MAX as i64))],
                ),
            ));
        }
        let category = category
            .parse::<Category>()
            .map_err(|_| AppError::invalid("category", tr.t("catalog.invalid.category")))?;
        let points_cost: i64 = points_cost.trim().replace(',', "").parse().map_err(|_| {
            AppError::invalid("points_cost", tr.t("catalog.invalid.cost_not_number"))
        })?;
        if !(1..=1_000_000).contains(&points_cost) {
            return Err(AppError::invalid(
                "points_cost",
                tr.f(
                    "catalog.invalid.cost_out_of_range",
                    &[("max", &tr.number(1_000_000))],
                ),
            ));
        }
        let tags: Vec<String> = tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if tags.len() > 10 {
            return Err(AppError::invalid(
                "tags",
                tr.f("catalog.invalid.too_many_tags", &[("max", &tr.number(10))]),
            ));
        }
        if tags.iter().any(|t| t.chars().count() > 30) {
            return Err(AppError::invalid(
                "tags",
                tr.f("catalog.invalid.tag_too_long", &[("max", &tr.number(30))]),
            ));
        }
        let min_tier = match min_tier.trim() {
            "" => None,
            code => Some(
                Tier::parse(code)
                    .ok_or_else(|| AppError::invalid("min_tier", tr.t("catalog.invalid.tier")))?,
            ),
        };
        Ok(RewardDraft {
            title: title.to_owned(),
            description: description.to_owned(),
            title_es: None,
            description_es: None,
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

impl RewardDraft {
    /// Adds the Spanish title and description, both optional: left empty, Spanish readers get
    /// the English ones. The same limits hold.
    pub fn with_spanish(mut self, title: &str, description: &str) -> Result<Self, AppError> {
        let tr = tr();
        let (title, description) = (title.trim(), description.trim());
        if title.chars().count() > TITLE_MAX {
            return Err(AppError::invalid(
                "title_es",
                tr.f(
                    "catalog.invalid.title_too_long",
                    &[("max", &tr.number(TITLE_MAX as i64))],
                ),
            ));
        }
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(AppError::invalid(
                "description_es",
                tr.f(
                    "catalog.invalid.description_too_long",
                    &[("max", &tr.number(DESCRIPTION_MAX as i64))],
                ),
            ));
        }
        self.title_es = (!title.is_empty()).then(|| title.to_owned());
        self.description_es = (!description.is_empty()).then(|| description.to_owned());
        Ok(self)
    }
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
    title_es: Option<String>,
    description_es: Option<String>,
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
    .and_then(|draft| {
        draft.with_spanish(
            title_es.as_deref().unwrap_or(""),
            description_es.as_deref().unwrap_or(""),
        )
    })
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
