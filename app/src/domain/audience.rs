//! An audience's rules: which members a drop item or its early access is aimed at. Read once
//! from what staff typed ([`AudienceRules::parse`]); stored as JSON (`audiences.rules`), which
//! the database's `fits_audience` reads at the press, on the bazaar page and when staff count.

use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::category::Category;

/// The longest audience name (the database's `audiences_name_length` says the same).
pub const NAME_MAX: usize = 60;
/// The longest "has / has not redeemed in N days" staff may ask for: two years.
pub const DAYS_MAX: u16 = 730;
/// The segments' codes, as `member_scores.segment` stores them.
pub const SEGMENTS: [&str; 8] = [
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "need_attention",
    "at_risk",
    "hibernating",
    "lost",
];
/// The languages a member may speak.
pub const LANGUAGES: [&str; 2] = ["en", "es"];

/// Each rule present must hold; a list holds when any of its values does; an empty list or an
/// absent bound is no condition. Field names are the JSON keys `fits_audience` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    /// P(alive) bounds in whole percent, both inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_alive_min_pct: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_alive_max_pct: Option<u8>,
    /// Lifetime value bounds in cents, both inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv_min_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv_max_cents: Option<i64>,
    /// Reward types the member said they love.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<Category>,
    /// Interests (their tags) the member said they love.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday_month: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_within_days: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_redeemed_within_days: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
}

/// The form as posted: every field a string, lists as ticked boxes (absent: none ticked).
#[derive(Debug, Clone, Default)]
pub struct RulesForm {
    pub tiers: Vec<String>,
    pub segments: Vec<String>,
    pub p_alive_min: String,
    pub p_alive_max: String,
    pub clv_min: String,
    pub clv_max: String,
    pub types: Vec<String>,
    pub interests: Vec<String>,
    pub birthday_month: String,
    pub redeemed_within: String,
    pub not_redeemed_within: String,
    pub languages: Vec<String>,
}

fn invalid(field: &str, key: &'static str, pairs: &[(&str, &str)]) -> AppError {
    AppError::invalid(field, crate::domain::i18n::tr().f(key, pairs))
}

/// A whole number in `0..=max`, or nothing for an empty field.
fn whole(field: &str, raw: &str, max: u64) -> Result<Option<u64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u64>() {
        Ok(n) if n <= max => Ok(Some(n)),
        _ => Err(invalid(
            field,
            "forms.audience.whole_number",
            &[("raw", raw), ("max", &max.to_string())],
        )),
    }
}

/// Only values from `known`; each once.
fn pick(field: &str, raw: &[String], known: &[&str]) -> Result<Vec<String>, AppError> {
    let mut picked: Vec<String> = Vec::new();
    for value in raw {
        let value = value.trim();
        if !known.contains(&value) {
            return Err(invalid(
                field,
                "forms.audience.unknown_choice",
                &[("raw", value)],
            ));
        }
        if !picked.iter().any(|p| p == value) {
            picked.push(value.to_owned());
        }
    }
    Ok(picked)
}

impl AudienceRules {
    /// Reads the form. `interests` are the tags the store offers now.
    pub fn parse(form: &RulesForm, interests: &[&str]) -> Result<Self, AppError> {
        let percent = |field: &str, raw: &str| {
            whole(field, raw, 100).map(|n| n.and_then(|n| u8::try_from(n).ok()))
        };
        // Whole currency units, as staff think of lifetime value ("at least $150").
        let money = |field: &str, raw: &str| {
            whole(field, raw, (i64::MAX / 100) as u64)
                .map(|n| n.and_then(|n| i64::try_from(n).ok()).map(|n| n * 100))
        };
        let days = |field: &str, raw: &str| {
            whole(field, raw, u64::from(DAYS_MAX)).map(|n| n.and_then(|n| u16::try_from(n).ok()))
        };
        let types = form
            .types
            .iter()
            .map(|t| {
                t.parse::<Category>()
                    .map_err(|e| AppError::invalid("types", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let month = whole("birthday_month", &form.birthday_month, 12)?;
        if month == Some(0) {
            return Err(invalid(
                "birthday_month",
                "forms.audience.whole_number",
                &[("raw", "0"), ("max", "12")],
            ));
        }
        let rules = AudienceRules {
            tiers: pick("tiers", &form.tiers, &Tier::ALL.map(Tier::code))?
                .iter()
                .filter_map(|t| Tier::parse(t))
                .collect(),
            segments: pick("segments", &form.segments, &SEGMENTS)?,
            p_alive_min_pct: percent("p_alive_min", &form.p_alive_min)?,
            p_alive_max_pct: percent("p_alive_max", &form.p_alive_max)?,
            clv_min_cents: money("clv_min", &form.clv_min)?,
            clv_max_cents: money("clv_max", &form.clv_max)?,
            types,
            interests: pick("interests", &form.interests, interests)?,
            birthday_month: month.and_then(|m| u8::try_from(m).ok()),
            redeemed_within_days: days("redeemed_within", &form.redeemed_within)?,
            not_redeemed_within_days: days("not_redeemed_within", &form.not_redeemed_within)?,
            languages: pick("languages", &form.languages, &LANGUAGES)?,
        };
        if let (Some(low), Some(high)) = (rules.p_alive_min_pct, rules.p_alive_max_pct)
            && low > high
        {
            return Err(invalid(
                "p_alive_max",
                "forms.audience.range_backwards",
                &[],
            ));
        }
        if let (Some(low), Some(high)) = (rules.clv_min_cents, rules.clv_max_cents)
            && low > high
        {
            return Err(invalid("clv_max", "forms.audience.range_backwards", &[]));
        }
        if rules.redeemed_within_days.is_some() && rules.not_redeemed_within_days.is_some() {
            return Err(invalid(
                "not_redeemed_within",
                "forms.audience.both_redeemed",
                &[],
            ));
        }
        if rules == AudienceRules::default() {
            return Err(invalid("rules", "forms.audience.no_rule", &[]));
        }
        Ok(rules)
    }
}

/// An audience's name as staff typed it, trimmed: 1 to [`NAME_MAX`] characters.
pub fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(invalid(
            "name",
            "forms.audience.name_length",
            &[("max", &NAME_MAX.to_string())],
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERESTS: [&str; 2] = ["travel", "cooking"];

    fn field_of(result: Result<AudienceRules, AppError>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn rules_read_from_the_form_keep_only_what_staff_chose() {
        let form = RulesForm {
            tiers: vec!["gold".into(), "gold".into()],
            types: vec!["experience".into()],
            p_alive_max: " 40 ".into(),
            clv_min: "150".into(),
            ..RulesForm::default()
        };
        let rules = AudienceRules::parse(&form, &INTERESTS).unwrap();
        assert_eq!(rules.tiers, [Tier::Gold]);
        assert_eq!(rules.types, [Category::Experience]);
        assert_eq!(rules.p_alive_max_pct, Some(40));
        assert_eq!(rules.clv_min_cents, Some(15_000));
        assert_eq!(
            serde_json::to_value(&rules).unwrap(),
            serde_json::json!({"tiers": ["gold"], "types": ["experience"], "p_alive_max_pct": 40, "clv_min_cents": 15000})
        );
    }

    #[test]
    fn each_impossible_rule_names_its_field() {
        let with = |f: fn(&mut RulesForm)| {
            let mut form = RulesForm {
                tiers: vec!["gold".into()],
                ..RulesForm::default()
            };
            f(&mut form);
            field_of(AudienceRules::parse(&form, &INTERESTS))
        };
        assert_eq!(with(|f| f.tiers = vec!["platinum".into()]), "tiers");
        assert_eq!(with(|f| f.segments = vec!["vip".into()]), "segments");
        assert_eq!(with(|f| f.p_alive_min = "101".into()), "p_alive_min");
        assert_eq!(with(|f| f.p_alive_min = "half".into()), "p_alive_min");
        assert_eq!(
            with(|f| {
                f.p_alive_min = "60".into();
                f.p_alive_max = "40".into();
            }),
            "p_alive_max"
        );
        assert_eq!(with(|f| f.clv_min = "-5".into()), "clv_min");
        assert_eq!(with(|f| f.types = vec!["cars".into()]), "types");
        assert_eq!(with(|f| f.interests = vec!["golf".into()]), "interests");
        assert_eq!(with(|f| f.birthday_month = "13".into()), "birthday_month");
        assert_eq!(with(|f| f.birthday_month = "0".into()), "birthday_month");
        assert_eq!(
            with(|f| f.redeemed_within = "731".into()),
            "redeemed_within"
        );
        assert_eq!(
            with(|f| {
                f.redeemed_within = "30".into();
                f.not_redeemed_within = "60".into();
            }),
            "not_redeemed_within"
        );
        assert_eq!(with(|f| f.languages = vec!["fr".into()]), "languages");
        assert_eq!(with(|f| f.tiers.clear()), "rules");
    }

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(parse_name("  Slipping away ").unwrap(), "Slipping away");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(NAME_MAX + 1)).is_err());
    }
}
