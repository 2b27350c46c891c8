//! Next best actions (issue 25, part 2): for one member, which of a few actions is worth most
//! to the store now, by expected value
//!
//! ```text
//! value = P(alive) × expected response × margin rate × expected extra spend − cost
//! ```
//!
//! The expected response is per action and segment: what finished campaigns measured against
//! their holdouts (treated purchase rate minus held-out purchase rate), else the response staff
//! expect. An action that sends a message is not offered to a member who has had the week's
//! messages already (the contact cap). "No action" is worth nothing and always on the list, so
//! an action worth less than nothing ranks below it.

use std::collections::HashMap;

pub use crate::domain::campaign::Action;

pub use crate::domain::action_terms::{ActionTerms, Terms};

impl Terms {
    /// The store's terms from their stored JSON; anything unreadable is the defaults (logged).
    pub fn from_setting(json: &serde_json::Value) -> Terms {
        serde_json::from_value(json.clone()).unwrap_or_else(|e| {
            tracing::warn!("store_settings.next_action_terms ignored: {e}");
            Terms::default()
        })
    }
}

/// The segments a win-back is for: members who were good and are slipping away.
pub const SLIPPING: [&str; 3] = ["need_attention", "at_risk", "hibernating"];

/// What is known of one member.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// From the insights scores; a member without a forecast gets no action.
    pub p_alive: Option<f64>,
    pub segment: Option<String>,
    /// Spend still needed, in cents, to reach the next tier (none at the top tier).
    pub tier_gap_cents: Option<i64>,
    /// Points that expire in the next 30 days.
    pub expiring_points: i64,
    /// Whether the member has told us any reward type or interest they love.
    pub shared_likes: bool,
    /// Whether a coming drop has a reward of a type they love.
    pub loved_drop_coming: bool,
    /// Non-essential messages the member got in the last seven days.
    pub messages_this_week: i64,
}

/// Responses measured by finished campaigns, by action and segment.
pub type Learned = HashMap<(Action, String), f64>;

/// One ranked action: its expected value in cents, and whether the response it used was
/// measured (else staff's expectation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub action: Action,
    pub value_cents: i64,
    pub measured: bool,
}

/// Whether `action` applies to the member at all (before its value is weighed).
fn applies(action: Action, facts: &Facts, terms: &Terms) -> bool {
    if action.messages() && facts.messages_this_week >= terms.messages_per_week {
        return false;
    }
    match action {
        Action::WinBack => facts
            .segment
            .as_deref()
            .is_some_and(|s| SLIPPING.contains(&s)),
        Action::ReachTier => facts
            .tier_gap_cents
            .is_some_and(|gap| gap > 0 && gap <= terms.reach_tier_within_cents),
        Action::ExpiringPoints => facts.expiring_points > 0,
        Action::AskPreference => !facts.shared_likes,
        Action::EarlyAccess => facts.loved_drop_coming,
        Action::Nothing => true,
    }
}

/// The member's actions, best first; "no action" (worth 0) is always among them. Ties go to
/// the catalogue's order, so the ranking is the same every time.
pub fn rank(facts: &Facts, terms: &Terms, learned: &Learned) -> Vec<Ranked> {
    let mut ranked = vec![Ranked {
        action: Action::Nothing,
        value_cents: 0,
        measured: false,
    }];
    if let Some(p_alive) = facts.p_alive {
        for action in Action::TRIED {
            let Some(t) = terms.of(action) else { continue };
            if !applies(action, facts, terms) {
                continue;
            }
            let measured = facts
                .segment
                .as_ref()
                .and_then(|s| learned.get(&(action, s.clone())).copied());
            let response = measured.unwrap_or(t.response);
            let extra = match action {
                Action::ReachTier => t.extra_spend_cents.max(facts.tier_gap_cents.unwrap_or(0)),
                _ => t.extra_spend_cents,
            };
            let value = p_alive * response * terms.margin_rate * extra as f64 - t.cost_cents as f64;
            ranked.push(Ranked {
                action,
                value_cents: value.round() as i64,
                measured: measured.is_some(),
            });
        }
    }
    ranked.sort_by(|a, b| {
        b.value_cents
            .cmp(&a.value_cents)
            .then(a.action.cmp(&b.action))
    });
    ranked
}

/// The action worth most for the member.
pub fn best(facts: &Facts, terms: &Terms, learned: &Learned) -> Ranked {
    rank(facts, terms, learned)[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slipping() -> Facts {
        Facts {
            p_alive: Some(0.4),
            segment: Some("at_risk".into()),
            shared_likes: true,
            ..Facts::default()
        }
    }

    #[test]
    fn a_valuable_member_slipping_away_is_best_won_back() {
        let terms = Terms::default();
        let ranked = rank(&slipping(), &terms, &Learned::new());
        // 0.4 × 0.15 × 0.3 × 6000 − 300 = 108 − 300 < 0: worth less than doing nothing.
        assert_eq!(ranked[0].action, Action::Nothing);
        assert_eq!(ranked[1].action, Action::WinBack);
        assert_eq!(ranked[1].value_cents, -192);

        let cheap = Terms {
            win_back: ActionTerms {
                cost_cents: 50,
                ..terms.win_back
            },
            ..terms
        };
        let best = best(&slipping(), &cheap, &Learned::new());
        assert_eq!(best.action, Action::WinBack);
        assert_eq!(best.value_cents, 58);
        assert!(!best.measured);
    }

    #[test]
    fn a_measured_response_replaces_the_staff_expectation_for_that_segment_only() {
        let terms = Terms {
            win_back: ActionTerms {
                cost_cents: 0,
                ..Terms::default().win_back
            },
            ..Terms::default()
        };
        let mut learned = Learned::new();
        learned.insert((Action::WinBack, "at_risk".into()), 0.5);
        let best = best(&slipping(), &terms, &learned);
        // 0.4 × 0.5 × 0.3 × 6000 = 360.
        assert_eq!(
            (best.action, best.value_cents, best.measured),
            (Action::WinBack, 360, true)
        );
        let other = Facts {
            segment: Some("hibernating".into()),
            ..slipping()
        };
        assert_eq!(super::best(&other, &terms, &learned).value_cents, 108);
    }

    #[test]
    fn reaching_the_next_tier_counts_the_members_gap_when_it_is_larger() {
        let terms = Terms::default();
        let near = Facts {
            p_alive: Some(1.0),
            segment: Some("loyal".into()),
            tier_gap_cents: Some(8_000),
            shared_likes: true,
            ..Facts::default()
        };
        // 1.0 × 0.25 × 0.3 × 8000 − 10 = 590.
        assert_eq!(
            best(&near, &terms, &Learned::new()),
            Ranked {
                action: Action::ReachTier,
                value_cents: 590,
                measured: false
            }
        );
        let far = Facts {
            tier_gap_cents: Some(50_000),
            ..near.clone()
        };
        assert_eq!(best(&far, &terms, &Learned::new()).action, Action::Nothing);
        let top = Facts {
            tier_gap_cents: None,
            ..near
        };
        assert_eq!(best(&top, &terms, &Learned::new()).action, Action::Nothing);
    }

    #[test]
    fn the_contact_cap_leaves_only_actions_without_a_message() {
        let terms = Terms::default();
        let member = Facts {
            p_alive: Some(0.9),
            segment: Some("loyal".into()),
            expiring_points: 300,
            shared_likes: false,
            messages_this_week: 1,
            ..Facts::default()
        };
        let ranked = rank(&member, &terms, &Learned::new());
        // Expiring points: 0.9 × 0.2 × 0.3 × 2500 − 10 = 125; asking: 0.9 × 0.05 × 0.3 × 2000 = 27.
        assert_eq!(
            ranked
                .iter()
                .map(|r| (r.action, r.value_cents))
                .collect::<Vec<_>>(),
            vec![
                (Action::ExpiringPoints, 125),
                (Action::AskPreference, 27),
                (Action::Nothing, 0)
            ]
        );
        let capped = Facts {
            messages_this_week: 2,
            ..member
        };
        assert_eq!(
            rank(&capped, &terms, &Learned::new())
                .iter()
                .map(|r| r.action)
                .collect::<Vec<_>>(),
            vec![Action::AskPreference, Action::Nothing]
        );
    }

    #[test]
    fn a_member_without_a_forecast_gets_no_action() {
        let member = Facts {
            p_alive: None,
            expiring_points: 500,
            loved_drop_coming: true,
            ..Facts::default()
        };
        assert_eq!(
            rank(&member, &Terms::default(), &Learned::new()),
            vec![Ranked {
                action: Action::Nothing,
                value_cents: 0,
                measured: false
            }]
        );
    }

    #[test]
    fn stored_terms_fill_in_the_defaults_and_refuse_unknown_keys() {
        let terms = Terms::from_setting(&serde_json::json!({ "margin_rate": 0.5 }));
        assert_eq!(terms.margin_rate, 0.5);
        assert_eq!(terms.win_back, Terms::default().win_back);
        assert_eq!(
            Terms::from_setting(&serde_json::json!({ "margn_rate": 0.5 })),
            Terms::default()
        );
    }
}
