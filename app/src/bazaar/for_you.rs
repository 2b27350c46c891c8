//! "For you": which of the live rewards to show a member first, and the few words that say why.
//! Decided when the member opens the bazaar, from what was read with the page: what they said
//! they love, what they did, what they can afford, their points about to expire, their tier,
//! and how the insights scores see them. A small sum of weighted signals a person can read and
//! change (the weights are a store setting), not a model.

use serde::Deserialize;

use crate::domain::category::Category;

/// How much each signal counts. Keys a store leaves out of `store_settings.for_you_weights`
/// take these defaults; a weight of 0 turns a signal off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// The member said they love this kind of reward.
    pub loved_type: i32,
    /// The reward carries a tag the member said they love.
    pub loved_interest: i32,
    /// Per earlier redemption of this kind of reward (up to three count).
    pub redeemed_before: i32,
    /// The member asked to be reminded of this reward's drop.
    pub reminded: i32,
    /// The member can redeem it now.
    pub affordable: i32,
    /// The member is at most a fifth of its cost short.
    pub within_reach: i32,
    /// The member has points expiring within 30 days and this spends them.
    pub expiring: i32,
    /// Only the member's tier (or better) may redeem it, and they may.
    pub tier_only: i32,
    /// The member is slipping away (P(alive) under a half, or an at-risk segment) and can
    /// redeem it now: a quick win brings them back.
    pub win_back: i32,
    /// Share of the stock already taken, in percent of this weight.
    pub popular: i32,
    /// The reward was added to the catalogue in the last two weeks.
    pub new: i32,
    /// The member's birthday gift is theirs to spend and this is within their points.
    pub birthday: i32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            loved_type: 40,
            loved_interest: 30,
            redeemed_before: 8,
            reminded: 12,
            affordable: 20,
            within_reach: 8,
            expiring: 25,
            tier_only: 15,
            win_back: 15,
            popular: 10,
            new: 10,
            birthday: 30,
        }
    }
}

impl Weights {
    /// The store's weights from their stored JSON; anything unreadable is the defaults (the
    /// column's CHECK keeps it an object; a misspelt key is logged once and ignored).
    pub fn from_setting(json: &serde_json::Value) -> Weights {
        serde_json::from_value(json.clone()).unwrap_or_else(|e| {
            tracing::warn!("store_settings.for_you_weights ignored: {e}");
            Weights::default()
        })
    }
}

/// What the page knows about the member looking at it (all empty for a visitor).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Member {
    /// Points expiring within 30 days, and in how many days the first of them do.
    pub expiring: Option<(i64, i64)>,
    /// From the insights scores, when there are any.
    pub segment: Option<String>,
    pub p_alive: Option<f64>,
    /// A birthday gift of points not yet expired.
    pub birthday_gift: bool,
}

impl Member {
    fn slipping_away(&self) -> bool {
        self.p_alive.is_some_and(|p| p < 0.5)
            || matches!(
                self.segment.as_deref(),
                Some("at_risk" | "hibernating" | "lost" | "need_attention")
            )
    }
}

/// One reward on offer, as the ranking sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub category: Category,
    pub cost: i64,
    /// `Some` only for a reward the member can act on (redeem, or soon): cards sold out, over
    /// the member's limit or above their tier are never "for you".
    pub short_by: Option<i64>,
    pub loved_type: bool,
    /// The name of an interest the member loves that the reward is tagged with.
    pub loved_interest: Option<String>,
    pub redeemed_in_category: i64,
    pub reminded: bool,
    /// The tier the reward is limited to, when there is one (the member has it).
    pub tier_only: Option<String>,
    pub quantity: i32,
    pub remaining: i32,
    pub new: bool,
}

/// Why a reward is "for you", the biggest reason its score has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Birthday,
    LovedType(Category),
    LovedInterest(String),
    RedeemedBefore(Category),
    Reminded,
    Expiring { points: i64, days: i64 },
    TierOnly(String),
    WinBack,
    Affordable,
    WithinReach(i64),
    Popular,
    New,
}

/// A candidate's score and the reason that weighs most in it; `None` when it is not for this
/// member at all.
pub fn score(c: &Candidate, m: &Member, w: &Weights) -> Option<(i32, Why)> {
    let short_by = c.short_by?;
    let affordable = short_by == 0;
    let taken_pct = if c.quantity > 0 {
        (c.quantity - c.remaining).max(0) * 100 / c.quantity
    } else {
        0
    };
    // (weight earned, reason) in the order reasons win ties: their birthday, what the member
    // said, then what they did, then what the moment offers.
    let parts = [
        (
            (affordable && m.birthday_gift).then_some(w.birthday),
            Why::Birthday,
        ),
        (
            c.loved_type.then_some(w.loved_type),
            Why::LovedType(c.category),
        ),
        (
            c.loved_interest.as_ref().map(|_| w.loved_interest),
            Why::LovedInterest(c.loved_interest.clone().unwrap_or_default()),
        ),
        (
            (c.redeemed_in_category > 0)
                .then(|| w.redeemed_before * c.redeemed_in_category.min(3) as i32),
            Why::RedeemedBefore(c.category),
        ),
        (c.reminded.then_some(w.reminded), Why::Reminded),
        (
            m.expiring.filter(|_| affordable).map(|_| w.expiring),
            m.expiring
                .map_or(Why::Affordable, |(points, days)| Why::Expiring {
                    points,
                    days,
                }),
        ),
        (
            c.tier_only.as_ref().map(|_| w.tier_only),
            Why::TierOnly(c.tier_only.clone().unwrap_or_default()),
        ),
        (
            (affordable && m.slipping_away()).then_some(w.win_back),
            Why::WinBack,
        ),
        (affordable.then_some(w.affordable), Why::Affordable),
        (
            (!affordable && short_by * 5 <= c.cost).then_some(w.within_reach),
            Why::WithinReach(short_by),
        ),
        (Some(w.popular * taken_pct / 100), Why::Popular),
        (c.new.then_some(w.new), Why::New),
    ];
    // "You have the points" says least: it is the reason only when there is no other.
    let mut total = 0;
    let mut best: Option<(i32, Why)> = None;
    for (earned, why) in parts {
        let Some(earned) = earned.filter(|e| *e > 0) else {
            continue;
        };
        total += earned;
        if why != Why::Affordable && best.as_ref().is_none_or(|(top, _)| earned > *top) {
            best = Some((earned, why));
        }
    }
    let why = best.map(|(_, why)| why).unwrap_or(if affordable {
        Why::Affordable
    } else {
        Why::Popular
    });
    Some((total, why))
}

/// The `n` best candidates' indices in order, with their reasons. Ties keep the page's order
/// (cheapest first), so the row is stable from one look to the next.
pub fn pick(candidates: &[Candidate], m: &Member, w: &Weights, n: usize) -> Vec<(usize, Why)> {
    let mut scored: Vec<(i32, usize, Why)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| score(c, m, w).map(|(s, why)| (s, i, why)))
        // Nothing in its favour: not "for you".
        .filter(|(s, _, _)| *s > 0)
        .collect();
    scored.sort_by_key(|(s, i, _)| (std::cmp::Reverse(*s), *i));
    scored
        .into_iter()
        .take(n)
        .map(|(_, i, why)| (i, why))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(category: Category, cost: i64) -> Candidate {
        Candidate {
            category,
            cost,
            short_by: Some(0),
            loved_type: false,
            loved_interest: None,
            redeemed_in_category: 0,
            reminded: false,
            tier_only: None,
            quantity: 100,
            remaining: 100,
            new: false,
        }
    }

    fn member() -> Member {
        Member::default()
    }

    /// The first pick for `m` among `cards`, and why.
    fn first(cards: &[Candidate], m: &Member) -> (usize, Why) {
        pick(cards, m, &Weights::default(), 4)
            .into_iter()
            .next()
            .expect("a pick")
    }

    #[test]
    fn a_member_who_shared_nothing_gets_the_default_order_popular_affordable_new() {
        let mut popular = card(Category::Gift, 500);
        popular.remaining = 10;
        let mut new = card(Category::Sample, 400);
        new.new = true;
        let mut too_dear = card(Category::Service, 300);
        too_dear.short_by = Some(250);
        let cheap = card(Category::Discount, 200);
        let cards = [cheap, popular, new, too_dear];
        let picks = pick(&cards, &member(), &Weights::default(), 4);
        let order: Vec<usize> = picks.iter().map(|(i, _)| *i).collect();
        // New and affordable (10 + 20), popular and affordable (9 + 20), affordable (20); the
        // one out of reach has nothing in its favour.
        assert_eq!(order, vec![2, 1, 0]);
        assert_eq!(picks[0].1, Why::New);
        assert_eq!(picks[1].1, Why::Popular);
        assert_eq!(picks[2].1, Why::Affordable);
    }

    #[test]
    fn a_stated_reward_type_moves_its_card_first() {
        let cards = [card(Category::Gift, 100), card(Category::Experience, 900)];
        assert_eq!(first(&cards, &member()).0, 0, "cheapest first by default");
        let mut loved = cards.clone();
        loved[1].loved_type = true;
        assert_eq!(
            first(&loved, &member()),
            (1, Why::LovedType(Category::Experience))
        );
    }

    #[test]
    fn a_loved_interest_moves_a_tagged_card_first() {
        let mut cards = [card(Category::Gift, 100), card(Category::Experience, 900)];
        cards[1].loved_interest = Some("Travel".into());
        assert_eq!(
            first(&cards, &member()),
            (1, Why::LovedInterest("Travel".into()))
        );
    }

    #[test]
    fn redemption_history_moves_the_kind_of_reward_the_member_redeems() {
        let mut cards = [card(Category::Gift, 100), card(Category::Service, 200)];
        cards[1].redeemed_in_category = 1;
        assert_eq!(first(&cards, &member()).0, 1);
        cards[0].redeemed_in_category = 2;
        assert_eq!(
            first(&cards, &member()),
            (0, Why::RedeemedBefore(Category::Gift))
        );
    }

    #[test]
    fn expiring_points_move_what_the_member_can_spend_them_on_and_say_so() {
        let mut cards = [card(Category::Gift, 100), card(Category::Service, 900)];
        let mut m = member();
        m.expiring = Some((300, 9));
        assert_eq!(
            first(&cards, &m),
            (
                0,
                Why::Expiring {
                    points: 300,
                    days: 9
                }
            )
        );
        // Only what the member can afford spends the expiring points.
        cards[0].short_by = Some(50);
        assert_eq!(
            first(&cards, &m),
            (
                1,
                Why::Expiring {
                    points: 300,
                    days: 9
                }
            )
        );
        m.expiring = None;
        assert_eq!(first(&cards, &m), (1, Why::Affordable));
    }

    #[test]
    fn affordability_puts_what_the_member_can_redeem_before_what_they_cannot() {
        let mut cards = [card(Category::Gift, 100), card(Category::Gift, 900)];
        cards[0].short_by = Some(60);
        assert_eq!(first(&cards, &member()), (1, Why::Affordable));
        // Within a fifth of the cost counts for something; further away, for nothing.
        let mut reach = card(Category::Gift, 1000);
        reach.short_by = Some(150);
        let mut far = card(Category::Gift, 1000);
        far.short_by = Some(600);
        let s = |c: &Candidate| score(c, &member(), &Weights::default()).unwrap();
        assert_eq!(s(&reach), (8, Why::WithinReach(150)));
        assert_eq!(s(&far).0, 0);
    }

    #[test]
    fn a_tier_only_reward_comes_first_for_the_members_it_is_for() {
        let mut cards = [card(Category::Gift, 100), card(Category::Gift, 500)];
        cards[1].tier_only = Some("Gold".into());
        assert_eq!(first(&cards, &member()), (1, Why::TierOnly("Gold".into())));
    }

    #[test]
    fn a_member_slipping_away_gets_a_quick_win_first() {
        let mut cards = [card(Category::Gift, 100), card(Category::Experience, 500)];
        cards[1].remaining = 40; // 60% taken: popular, 6
        let mut m = member();
        assert_eq!(first(&cards, &m), (1, Why::Popular));
        m.segment = Some("at_risk".into());
        m.p_alive = Some(0.3);
        // Both redeemable now, both quick wins: the reason says so.
        assert_eq!(first(&cards, &m), (1, Why::WinBack));
        // Only what the member can redeem now is a quick win.
        cards[1].short_by = Some(400);
        assert_eq!(first(&cards, &m), (0, Why::WinBack));
        let champion = Member {
            segment: Some("champions".into()),
            p_alive: Some(0.95),
            ..m.clone()
        };
        let (at_risk, _) = score(&cards[0], &m, &Weights::default()).unwrap();
        let (loyal, _) = score(&cards[0], &champion, &Weights::default()).unwrap();
        assert_eq!(at_risk - loyal, Weights::default().win_back);
    }

    #[test]
    fn a_birthday_gift_puts_what_it_buys_first_and_says_happy_birthday() {
        let mut cards = [card(Category::Gift, 1000), card(Category::Experience, 900)];
        cards[0].short_by = Some(200);
        let mut m = member();
        assert_eq!(first(&cards, &m), (1, Why::Affordable));
        m.birthday_gift = true;
        assert_eq!(first(&cards, &m), (1, Why::Birthday));
        // Only what the gift (with the member's points) buys.
        cards[1].short_by = Some(500);
        assert_eq!(first(&cards, &m), (0, Why::WithinReach(200)));
    }

    #[test]
    fn cards_the_member_cannot_act_on_are_never_for_them() {
        let mut sold_out = card(Category::Gift, 100);
        sold_out.short_by = None;
        assert!(pick(&[sold_out], &member(), &Weights::default(), 4).is_empty());
    }

    #[test]
    fn the_store_sets_the_weights_and_a_zero_turns_a_signal_off() {
        let w = Weights::from_setting(&serde_json::json!({ "loved_type": 0 }));
        assert_eq!(w.loved_type, 0);
        assert_eq!(w.affordable, Weights::default().affordable);
        let mut cards = [card(Category::Gift, 100), card(Category::Experience, 900)];
        cards[1].loved_type = true;
        assert_eq!(pick(&cards, &member(), &w, 1)[0].0, 0);
        assert_eq!(
            Weights::from_setting(&serde_json::json!({ "lovedtype": 5 })),
            Weights::default(),
            "a misspelt key is ignored, not half-read"
        );
    }
}
