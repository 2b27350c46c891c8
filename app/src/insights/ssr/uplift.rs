//! What a campaign did, measured against its holdout (issue 25, part 3): the difference
//! between the treated members and the held-out ones on a rate (bought in the window, still
//! active) or a mean (spend per member, redemptions per member), with its 95% confidence
//! interval, and whether the interval leaves zero out.
//!
//! Rates: the difference of two proportions with the unpooled (Wald) standard error; means:
//! Welch's standard error. Both use the normal quantile, so they assume each group has at least
//! a few dozen members and, for rates, a few of each outcome; [`Uplift::too_few`] says when a
//! group is smaller than that, and the report says so instead of a verdict.

/// The normal distribution's 97.5th percentile: a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;
/// Below this many members in a group the normal approximation is not trusted.
pub const MIN_GROUP: usize = 30;

/// One group's observations of a figure: a value per member (1.0 / 0.0 for a rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub n: usize,
    pub mean: f64,
    /// The sample variance (n − 1 in the denominator).
    pub variance: f64,
}

impl Group {
    /// From each member's value.
    pub fn of(values: &[f64]) -> Group {
        let n = values.len();
        if n == 0 {
            return Group {
                n,
                mean: 0.0,
                variance: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Group { n, mean, variance }
    }

    /// From a count of members with the outcome among `n` (a rate).
    pub fn rate(yes: usize, n: usize) -> Group {
        let p = if n == 0 { 0.0 } else { yes as f64 / n as f64 };
        // For a rate, the Wald standard error uses p(1 − p) / n.
        Group {
            n,
            mean: p,
            variance: p
                * (1.0 - p)
                * if n > 1 {
                    n as f64 / (n - 1) as f64
                } else {
                    0.0
                },
        }
    }
}

/// Treated minus held out, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uplift {
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    /// A group is smaller than [`MIN_GROUP`]: no verdict.
    pub too_few: bool,
}

impl Uplift {
    pub fn between(treated: Group, held_out: Group) -> Uplift {
        let difference = treated.mean - held_out.mean;
        let too_few = treated.n < MIN_GROUP || held_out.n < MIN_GROUP;
        let se = |g: Group| {
            if g.n == 0 {
                0.0
            } else {
                g.variance / g.n as f64
            }
        };
        let half = Z_95 * (se(treated) + se(held_out)).sqrt();
        Uplift {
            difference,
            low: difference - half,
            high: difference + half,
            too_few,
        }
    }

    /// Whether the interval leaves zero out (and the groups are big enough to say so).
    pub fn significant(&self) -> bool {
        !self.too_few && (self.low > 0.0 || self.high < 0.0)
    }

    pub fn covers(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Gamma};

    /// A campaign on `members` with a 10% holdout, stable and random per member as the real
    /// assignment is: whether each bought in the window (base rate 20%, +5 points treated)
    /// and what they spent (gamma, mean $40, +$6 treated).
    fn simulated_campaign(seed: u64, members: usize) -> (Uplift, Uplift) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let spend = Gamma::new(4.0, 10.0).unwrap();
        let (mut bought, mut spent) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
        for _ in 0..members {
            let treated = usize::from(rng.random::<f64>() >= 0.10);
            let rate = if treated == 1 { 0.25 } else { 0.20 };
            bought[treated].push(if rng.random::<f64>() < rate { 1.0 } else { 0.0 });
            let extra = if treated == 1 { 6.0 } else { 0.0 };
            spent[treated].push(spend.sample(&mut rng) + extra);
        }
        (
            Uplift::between(Group::of(&bought[1]), Group::of(&bought[0])),
            Uplift::between(Group::of(&spent[1]), Group::of(&spent[0])),
        )
    }

    #[test]
    fn the_95_percent_interval_covers_a_known_effect_in_at_least_90_of_100_campaigns() {
        let (mut rate_covered, mut spend_covered) = (0, 0);
        for seed in 0..100 {
            let (rate, spend) = simulated_campaign(seed, 4_000);
            rate_covered += usize::from(rate.covers(0.05));
            spend_covered += usize::from(spend.covers(6.0));
        }
        assert!(rate_covered >= 90, "purchase rate: {rate_covered} of 100");
        assert!(
            spend_covered >= 90,
            "spend per member: {spend_covered} of 100"
        );
    }

    #[test]
    fn no_effect_is_mostly_not_significant_and_a_big_one_is() {
        // Two groups from the same distribution: about 5% of intervals leave zero out.
        let mut false_alarms = 0;
        for seed in 0..200 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1_000 + seed);
            let draw = |rng: &mut rand::rngs::StdRng, n: usize| {
                (0..n)
                    .map(|_| f64::from(u8::from(rng.random::<f64>() < 0.2)))
                    .collect::<Vec<_>>()
            };
            let (a, b) = (draw(&mut rng, 900), draw(&mut rng, 100));
            false_alarms +=
                usize::from(Uplift::between(Group::of(&a), Group::of(&b)).significant());
        }
        assert!(false_alarms <= 20, "{false_alarms} of 200 said significant");
        let big = Uplift::between(Group::rate(450, 900), Group::rate(20, 100));
        assert!(big.significant(), "{big:?}");
        assert!((big.difference - 0.30).abs() < 1e-9);
    }

    #[test]
    fn groups_too_small_get_no_verdict() {
        let small = Uplift::between(Group::rate(20, 25), Group::rate(1, 25));
        assert!(small.too_few);
        assert!(!small.significant());
    }

    #[test]
    fn a_rate_read_from_counts_equals_one_read_from_each_member() {
        let values: Vec<f64> = (0..50).map(|i| f64::from(u8::from(i % 5 == 0))).collect();
        let (a, b) = (Group::of(&values), Group::rate(10, 50));
        assert_eq!(a.n, b.n);
        assert!((a.mean - b.mean).abs() < 1e-12);
        assert!((a.variance - b.variance).abs() < 1e-12);
    }
}
