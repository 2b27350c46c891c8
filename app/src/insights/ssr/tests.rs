//! The fits recover the parameters a store was simulated from, through the same day bucketing
//! the server uses.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

use super::bg_nbd::{BgNbd, History};
use super::gamma_gamma::{GammaGamma, Spend};
use super::summary::{PurchaseDay, lifetime_value, summarize};

const TRUE_BG: BgNbd = BgNbd {
    r: 0.25,
    alpha: 4.0,
    a: 0.8,
    b: 2.5,
};
const TRUE_GG: GammaGamma = GammaGamma {
    p: 6.0,
    q: 4.0,
    gamma: 15.0,
};

/// One simulated member: joins on a day within the first 12 weeks, buys at a Poisson rate
/// (per week) drawn from Gamma(r, α) while active, drops out after each repeat purchase with a
/// probability drawn from Beta(a, b), and spends amounts drawn from Gamma(p, ν) with ν from
/// Gamma(q, γ).
fn simulate_member(rng: &mut impl Rng, start: NaiveDate, end: NaiveDate) -> Vec<PurchaseDay> {
    let rate = Gamma::new(TRUE_BG.r, 1.0 / TRUE_BG.alpha)
        .unwrap()
        .sample(rng);
    let dropout = Beta::new(TRUE_BG.a, TRUE_BG.b).unwrap().sample(rng);
    let nu = Gamma::new(TRUE_GG.q, 1.0 / TRUE_GG.gamma)
        .unwrap()
        .sample(rng);
    let amount = Gamma::new(TRUE_GG.p, 1.0 / nu).unwrap();
    let horizon = (end - start).num_days() as f64 / 7.0;
    let mut week = rng.random_range(0.0..12.0);
    let mut days: Vec<PurchaseDay> = Vec::new();
    let mut purchases = 0;
    loop {
        let day = start + Days::new((week * 7.0) as u64);
        let cents = (amount.sample(rng) * 100.0).round() as i64;
        match days.last_mut() {
            Some(last) if last.day == day => last.cents += cents,
            _ => days.push(PurchaseDay { day, cents }),
        }
        // Only a repeat purchase can be the last: the first one starts the relationship.
        purchases += 1;
        if purchases > 1 && rng.random::<f64>() < dropout {
            break;
        }
        week += Exp::new(rate).unwrap().sample(rng);
        if week >= horizon {
            break;
        }
    }
    days
}

fn within(got: f64, want: f64, share: f64, what: &str) {
    assert!(
        (got - want).abs() <= share * want,
        "{what}: fitted {got:.4}, simulated from {want}"
    );
}

#[test]
fn fits_recover_the_parameters_a_store_of_50000_members_was_simulated_from() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2005);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let cutoff = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let mut histories: HashMap<(u64, u64, u64), u64> = HashMap::new();
    let mut spends: HashMap<(u64, u64), u64> = HashMap::new();
    for _ in 0..50_000 {
        let days = simulate_member(&mut rng, start, cutoff);
        let (h, s) = summarize(&days, cutoff).unwrap();
        *histories
            .entry((
                h.x as u64,
                (h.t_x * 7.0).round() as u64,
                (h.age * 7.0).round() as u64,
            ))
            .or_default() += 1;
        if s.x > 0.0 {
            *spends
                .entry((s.x as u64, (s.mean * 100.0).round() as u64))
                .or_default() += 1;
        }
    }
    let histories: Vec<(History, u64)> = histories
        .into_iter()
        .map(|((x, t_x, age), n)| {
            let h = History {
                x: x as f64,
                t_x: t_x as f64 / 7.0,
                age: age as f64 / 7.0,
            };
            (h, n)
        })
        .collect();
    let bg = BgNbd::fit(&histories);
    assert_eq!(bg.members, 50_000);
    within(bg.model.r, TRUE_BG.r, 0.1, "r");
    within(bg.model.alpha, TRUE_BG.alpha, 0.1, "α");
    within(bg.model.a, TRUE_BG.a, 0.1, "a");
    within(bg.model.b, TRUE_BG.b, 0.1, "b");

    let spends: Vec<(Spend, u64)> = spends
        .into_iter()
        .map(|((x, cents), n)| {
            let s = Spend {
                x: x as f64,
                mean: cents as f64 / 100.0,
            };
            (s, n)
        })
        .collect();
    let gg = GammaGamma::fit(&spends);
    within(gg.model.p, TRUE_GG.p, 0.1, "p");
    within(gg.model.q, TRUE_GG.q, 0.1, "q");
    within(gg.model.gamma, TRUE_GG.gamma, 0.1, "γ");
}

#[test]
fn purchases_on_one_store_day_are_one_occasion_and_the_first_is_left_out_of_spend() {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let days = [
        PurchaseDay {
            day: day(1),
            cents: 9_900,
        },
        PurchaseDay {
            day: day(8),
            cents: 1_000,
        },
        PurchaseDay {
            day: day(15),
            cents: 0,
        },
        // After the cut-off: not seen.
        PurchaseDay {
            day: day(30),
            cents: 50_000,
        },
    ];
    let (h, s) = summarize(&days, day(29)).unwrap();
    assert_eq!(
        h,
        History {
            x: 2.0,
            t_x: 2.0,
            age: 4.0
        }
    );
    // A gift-card day ($0) is still an occasion and pulls the mean down.
    assert_eq!(s, Spend { x: 2.0, mean: 5.0 });
    assert!(summarize(&days, day(1) - Days::new(1)).is_none());
}

#[test]
fn lifetime_value_discounts_each_months_expected_spend() {
    let h = History {
        x: 2.0,
        t_x: 30.43,
        age: 38.86,
    };
    let s = Spend { x: 2.0, mean: 40.0 };
    let undiscounted = lifetime_value(&TRUE_BG, h, TRUE_GG.expected_spend(s), 12, 0.0);
    let expected = TRUE_BG.expected_purchases_given(h, 12.0 * super::summary::WEEKS_PER_MONTH)
        * TRUE_GG.expected_spend(s);
    assert!((undiscounted - expected).abs() < 1e-9 * expected);
    let discounted = lifetime_value(&TRUE_BG, h, TRUE_GG.expected_spend(s), 12, 0.01);
    assert!(discounted < undiscounted && discounted > 0.88 * undiscounted);
}
