//! The reward catalog: what members can get for their points.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kinds of reward a drop can hold. The database's `rewards_category_known` check lists the
/// same slugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Sample,
    Experience,
    Service,
    Discount,
    FreeShipping,
    Gift,
}

/// A category that names nothing; its message (in the reader's language) lists the real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl std::error::Error for UnknownCategory {}

impl fmt::Display for UnknownCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tr = crate::domain::i18n::tr();
        f.write_str(&tr.f("forms.unknown_category", &[("category", &self.0)]))
    }
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Sample,
        Category::Experience,
        Category::Service,
        Category::Discount,
        Category::FreeShipping,
        Category::Gift,
    ];

    /// The slug used in URLs and in the database.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Sample => "sample",
            Category::Experience => "experience",
            Category::Service => "service",
            Category::Discount => "discount",
            Category::FreeShipping => "free_shipping",
            Category::Gift => "gift",
        }
    }

    /// The plural heading members see in the filter, in the reader's language.
    pub fn label(self) -> &'static str {
        let tr = crate::domain::i18n::tr();
        match self {
            Category::Sample => tr.t("catalog.categories.sample.label"),
            Category::Experience => tr.t("catalog.categories.experience.label"),
            Category::Service => tr.t("catalog.categories.service.label"),
            Category::Discount => tr.t("catalog.categories.discount.label"),
            Category::FreeShipping => tr.t("catalog.categories.free_shipping.label"),
            Category::Gift => tr.t("catalog.categories.gift.label"),
        }
    }

    /// The singular label on a reward card, in the reader's language.
    pub fn singular(self) -> &'static str {
        let tr = crate::domain::i18n::tr();
        match self {
            Category::Sample => tr.t("catalog.categories.sample.singular"),
            Category::Experience => tr.t("catalog.categories.experience.singular"),
            Category::Service => tr.t("catalog.categories.service.singular"),
            Category::Discount => tr.t("catalog.categories.discount.singular"),
            Category::FreeShipping => tr.t("catalog.categories.free_shipping.singular"),
            Category::Gift => tr.t("catalog.categories.gift.singular"),
        }
    }
}

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.slug() == s)
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// Where a reward's picture is: its uploaded photo, versioned by upload time so browsers may keep
/// it for good, or else the illustration the server draws from its category and title.
pub fn image_url(reward_id: i64, photo_uploaded: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match photo_uploaded {
        Some(at) => format!(
            "/media/rewards/{reward_id}/photo?v={}",
            at.timestamp_millis()
        ),
        None => format!("/media/rewards/{reward_id}.svg"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_parses_from_its_own_slug() {
        for c in Category::ALL {
            assert_eq!(c.slug().parse::<Category>(), Ok(c));
        }
    }

    #[test]
    fn unknown_category_names_the_choices() {
        let err = "shoes".parse::<Category>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Unknown category \u{201c}shoes\u{201d}")
        );
    }
}
