//! What staff expect of the next best actions until campaigns have measured them (issue 25,
//! part 2): the store's margin, the weekly contact cap, and per action the response, extra
//! spend and cost. Stored as `store_settings.next_action_terms` (JSON, keys left out take
//! [`Terms::default`]); staff change them on the next-actions page, read once here
//! ([`StoreTerms::parse`], [`ActionTermsEntry::parse`]) with the limits stated here.

use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::campaign::Action;
use crate::domain::i18n::Tr;

/// The most messages a week staff may allow a member (three a day).
pub const MESSAGES_PER_WEEK_MAX: i64 = 21;
/// The most an amount in the terms may be, in cents ($10,000): extra spend, cost and the
/// distance to the next tier. Above it is almost certainly a typo.
pub const AMOUNT_MAX_CENTS: i64 = 1_000_000;

/// What staff expect of one action until campaigns have measured it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActionTerms {
    /// The share of members who respond with a purchase they would not otherwise have made.
    pub response: f64,
    /// What a responding member spends extra, in cents ("reach tier" uses the member's gap
    /// when it is larger).
    pub extra_spend_cents: i64,
    /// What taking the action costs the store per member, in cents (the offer's points at
    /// their value, the message).
    pub cost_cents: i64,
}

/// The store's terms (`store_settings.next_action_terms`); keys left out take these defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Terms {
    /// The store's margin on extra spend (0.3: 30 cents of each dollar).
    pub margin_rate: f64,
    /// Messages a member gets at most in seven days (the contact cap).
    pub messages_per_week: i64,
    /// "Reach tier" is offered to members at most this far, in cents, from the next tier.
    pub reach_tier_within_cents: i64,
    pub win_back: ActionTerms,
    pub reach_tier: ActionTerms,
    pub expiring_points: ActionTerms,
    pub ask_preference: ActionTerms,
    pub early_access: ActionTerms,
}

impl Default for Terms {
    fn default() -> Self {
        let terms = |response, extra_spend_cents, cost_cents| ActionTerms {
            response,
            extra_spend_cents,
            cost_cents,
        };
        Terms {
            margin_rate: 0.3,
            messages_per_week: 2,
            reach_tier_within_cents: 10_000,
            win_back: terms(0.15, 6_000, 300),
            reach_tier: terms(0.25, 4_000, 10),
            expiring_points: terms(0.20, 2_500, 10),
            ask_preference: terms(0.05, 2_000, 0),
            early_access: terms(0.12, 3_500, 10),
        }
    }
}

impl Terms {
    pub fn of(&self, action: Action) -> Option<ActionTerms> {
        match action {
            Action::WinBack => Some(self.win_back),
            Action::ReachTier => Some(self.reach_tier),
            Action::ExpiringPoints => Some(self.expiring_points),
            Action::AskPreference => Some(self.ask_preference),
            Action::EarlyAccess => Some(self.early_access),
            Action::Nothing => None,
        }
    }
}

/// The store-wide terms as the form asked for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreTerms {
    pub margin_rate: f64,
    pub messages_per_week: i64,
    pub reach_tier_within_cents: i64,
}

/// One action's terms as the form asked for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActionTermsEntry {
    pub action: Action,
    pub terms: ActionTerms,
}

fn invalid(field: &str, tr: Tr, key: &'static str) -> AppError {
    AppError::invalid(
        field,
        tr.f(
            key,
            &[
                ("max", &(AMOUNT_MAX_CENTS / 100).to_string()),
                ("messages", &MESSAGES_PER_WEEK_MAX.to_string()),
            ],
        ),
    )
}

/// "15", "12.5" or "15 %" → 0.15, 0.125, 0.15; anything outside 0–100 is `None`.
fn share(raw: &str) -> Option<f64> {
    let number = raw.trim().trim_end_matches('%').trim();
    number
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && (0.0..=100.0).contains(p))
        .map(|p| p / 100.0)
}

/// "60", "60.00" or "$1,200.50" → cents, up to [`AMOUNT_MAX_CENTS`].
fn amount(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    crate::domain::store::parse_cents(&cleaned)
        .ok()
        .filter(|c| *c <= AMOUNT_MAX_CENTS)
}

impl StoreTerms {
    /// Reads the form; the first mistake, by field, in the reader's language.
    pub fn parse(margin: &str, messages: &str, reach_within: &str) -> Result<Self, AppError> {
        let tr = crate::domain::i18n::tr();
        let margin_rate =
            share(margin).ok_or_else(|| invalid("margin", tr, "campaigns.terms.error.margin"))?;
        let messages_per_week = messages
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=MESSAGES_PER_WEEK_MAX).contains(n))
            .ok_or_else(|| invalid("messages_per_week", tr, "campaigns.terms.error.messages"))?;
        let reach_tier_within_cents = amount(reach_within)
            .ok_or_else(|| invalid("reach_within", tr, "campaigns.terms.error.reach_within"))?;
        Ok(StoreTerms {
            margin_rate,
            messages_per_week,
            reach_tier_within_cents,
        })
    }
}

impl ActionTermsEntry {
    /// Reads the form; the first mistake, by field, in the reader's language. "No action"
    /// has no terms: it is worth nothing by definition.
    pub fn parse(
        action: &str,
        response: &str,
        extra_spend: &str,
        cost: &str,
    ) -> Result<Self, AppError> {
        let tr = crate::domain::i18n::tr();
        let action = Action::parse(action)
            .filter(|a| *a != Action::Nothing)
            .ok_or_else(|| invalid("terms_action", tr, "campaigns.terms.error.action"))?;
        let response = share(response)
            .ok_or_else(|| invalid("response", tr, "campaigns.terms.error.response"))?;
        let extra_spend_cents = amount(extra_spend)
            .ok_or_else(|| invalid("extra_spend", tr, "campaigns.terms.error.extra_spend"))?;
        let cost_cents =
            amount(cost).ok_or_else(|| invalid("cost", tr, "campaigns.terms.error.cost"))?;
        Ok(ActionTermsEntry {
            action,
            terms: ActionTerms {
                response,
                extra_spend_cents,
                cost_cents,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<impl std::fmt::Debug, AppError>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_filled_action_form_reads_as_shares_and_cents() {
        let entry = ActionTermsEntry::parse("win_back", "12.5 %", "$1,200.50", "3").unwrap();
        assert_eq!(entry.action, Action::WinBack);
        assert_eq!(entry.terms.response, 0.125);
        assert_eq!(entry.terms.extra_spend_cents, 120_050);
        assert_eq!(entry.terms.cost_cents, 300);
    }

    #[test]
    fn each_mistake_in_the_action_form_names_its_field() {
        assert_eq!(
            field(ActionTermsEntry::parse("nothing", "10", "1", "1")),
            "terms_action"
        );
        assert_eq!(
            field(ActionTermsEntry::parse("win_back", "101", "1", "1")),
            "response"
        );
        assert_eq!(
            field(ActionTermsEntry::parse("win_back", "-1", "1", "1")),
            "response"
        );
        assert_eq!(
            field(ActionTermsEntry::parse("win_back", "NaN", "1", "1")),
            "response"
        );
        assert_eq!(
            field(ActionTermsEntry::parse("win_back", "10", "10000.01", "1")),
            "extra_spend"
        );
        assert_eq!(
            field(ActionTermsEntry::parse("win_back", "10", "1", "3.001")),
            "cost"
        );
    }

    #[test]
    fn the_store_form_reads_its_margin_cap_and_distance() {
        let store = StoreTerms::parse("30", "3", "150").unwrap();
        assert_eq!(store.margin_rate, 0.3);
        assert_eq!(store.messages_per_week, 3);
        assert_eq!(store.reach_tier_within_cents, 15_000);
        assert_eq!(field(StoreTerms::parse("", "3", "150")), "margin");
        assert_eq!(
            field(StoreTerms::parse("30", "22", "150")),
            "messages_per_week"
        );
        assert_eq!(field(StoreTerms::parse("30", "3", "ten")), "reach_within");
    }
}
