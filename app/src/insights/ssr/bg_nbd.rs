//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
//! while active, a member's repeat purchases follow a Poisson process whose rate λ is
//! gamma-distributed across members (shape r, rate α); after each purchase the member becomes
//! inactive with probability p, beta-distributed across members (a, b).
//!
//! Time is in weeks everywhere: a member's recency and age, the forecast horizon, α.

use super::fit::{Fitted, minimize};
use super::special::{hyp2f1, ln_beta, ln_gamma};

/// What the model knows of one member at a cut-off: `x` repeat purchase days, `t_x` weeks
/// from the first purchase day to the last, `age` (the paper's T) weeks from the first purchase
/// day to the cut-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    pub x: f64,
    pub t_x: f64,
    pub age: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    /// The log-likelihood of one member's history (the paper's equation 6, in logs, with the
    /// two terms added by log-sum-exp so neither underflows).
    pub fn log_likelihood(&self, h: History) -> f64 {
        self.common_term(h.x) + self.history_term(h)
    }

    /// The part of the log-likelihood that depends on x alone: computed once per distinct x
    /// when fitting, since its four log-gamma calls cost more than the rest.
    fn common_term(&self, x: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_beta(a, b + x) - ln_beta(a, b)
    }

    fn history_term(&self, h: History) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = h.x;
        let still = -(r + x) * (alpha + h.age).ln();
        if x == 0.0 {
            return still;
        }
        let dropped = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + h.t_x).ln();
        let top = still.max(dropped);
        top + ((still - top).exp() + (dropped - top).exp()).ln()
    }

    /// The log-likelihood of many members' histories, each with how many members share it.
    pub fn total_log_likelihood(&self, histories: &[(History, u64)]) -> f64 {
        let mut common = (f64::NAN, 0.0);
        histories
            .iter()
            .map(|(h, n)| {
                if common.0 != h.x {
                    common = (h.x, self.common_term(h.x));
                }
                *n as f64 * (common.1 + self.history_term(*h))
            })
            .sum()
    }

    /// The expected number of repeat purchases by a new member in their first `t` weeks
    /// (equation 7).
    pub fn expected_purchases(&self, t: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        if t <= 0.0 {
            return 0.0;
        }
        let z = t / (alpha + t);
        (a + b - 1.0) / (a - 1.0)
            * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }

    /// The probability that a new member makes exactly `x` repeat purchases in their first `t`
    /// weeks (the paper's equation 8): the calibration histogram's expected counts.
    pub fn probability_of(&self, x: u32, t: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        if t <= 0.0 {
            return if x == 0 { 1.0 } else { 0.0 };
        }
        let xf = f64::from(x);
        let (stay, go) = ((alpha / (alpha + t)).ln(), (t / (alpha + t)).ln());
        // Γ(r + j) / (Γ(r) j!) · (t / (α + t))^j, in logs.
        let term = |j: f64| ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + j * go;
        let mut p = (ln_beta(a, b + xf) - ln_beta(a, b) + term(xf) + r * stay).exp();
        if x > 0 {
            let below: f64 = (0..x).map(|j| term(f64::from(j)).exp()).sum();
            p += (ln_beta(a + 1.0, b + xf - 1.0) - ln_beta(a, b)).exp()
                * (1.0 - (r * stay).exp() * below);
        }
        p
    }

    /// The probability that a member with this history is still active (the paper's
    /// P(τ > T), from the appendix of Fader, Hardie & Lee's note on P(alive)).
    pub fn p_alive(&self, h: History) -> f64 {
        if h.x == 0.0 {
            return 1.0;
        }
        1.0 / (1.0 + self.dropout_odds(h))
    }

    /// The expected number of purchases in the next `t` weeks by a member with this history
    /// (equation 10).
    pub fn expected_purchases_given(&self, h: History, t: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        if t <= 0.0 {
            return 0.0;
        }
        let x = h.x;
        let z = t / (alpha + h.age + t);
        let ratio = ((alpha + h.age) / (alpha + h.age + t)).powf(r + x);
        let active = (a + b + x - 1.0) / (a - 1.0)
            * (1.0 - ratio * hyp2f1(r + x, b + x, a + b + x - 1.0, z));
        let odds = if x > 0.0 { self.dropout_odds(h) } else { 0.0 };
        active / (1.0 + odds)
    }

    /// a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x), in logs until the end so a long
    /// silence does not overflow.
    fn dropout_odds(&self, h: History) -> f64 {
        let Self { r, alpha, a, b } = *self;
        (a.ln() - (b + h.x - 1.0).ln() + (r + h.x) * ((alpha + h.age).ln() - (alpha + h.t_x).ln()))
            .exp()
    }

    /// Maximum-likelihood parameters for members' histories, each given with how many members
    /// share it (members with the same (x, t_x, T) add the same term, so a million members
    /// fit as fast as their distinct triples).
    pub fn fit(histories: &[(History, u64)]) -> Fitted<BgNbd> {
        let members: u64 = histories.iter().map(|(_, n)| n).sum();
        // In order of x, so each x's common term is computed once per evaluation.
        let mut histories = histories.to_vec();
        histories.sort_by(|(one, _), (other, _)| one.x.total_cmp(&other.x));
        // Per member, so the simplex's tolerance means the same for a store of any size.
        let per_member = 1.0 / members.max(1) as f64;
        let fitted = minimize([0.1, 1.0, 1.0, 1.0], |p| {
            let model = BgNbd {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            };
            -model.total_log_likelihood(&histories) * per_member
        });
        let [r, alpha, a, b] = fitted.params;
        Fitted {
            model: BgNbd { r, alpha, a, b },
            log_likelihood: -fitted.cost * members as f64,
            members,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameters Fader, Hardie & Lee (2005) fitted on the CDNOW sample.
    const CDNOW: BgNbd = BgNbd {
        r: 0.242593,
        alpha: 4.413532,
        a: 0.792886,
        b: 2.425752,
    };

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 5e-5, "got {got}, want {want}");
    }

    #[test]
    fn a_new_members_expected_purchases_match_the_papers_figures() {
        for (weeks, want) in [
            (1.0, 0.0532),
            (3.0, 0.1506),
            (31.8571, 1.0405),
            (78.0, 1.8580),
        ] {
            close(CDNOW.expected_purchases(weeks), want);
        }
    }

    #[test]
    fn a_member_with_two_repeat_purchases_matches_the_papers_worked_example() {
        let h = History {
            x: 2.0,
            t_x: 30.43,
            age: 38.86,
        };
        close(CDNOW.p_alive(h), 0.7266);
        close(CDNOW.expected_purchases_given(h, 39.0), 1.2259);
    }

    #[test]
    fn the_chances_of_each_count_add_up_to_one_and_to_the_expected_count() {
        for weeks in [1.0, 39.0, 78.0] {
            let p: Vec<f64> = (0..400).map(|x| CDNOW.probability_of(x, weeks)).collect();
            let total: f64 = p.iter().sum();
            let mean: f64 = p.iter().enumerate().map(|(x, p)| x as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-6, "{weeks}: {total}");
            close(mean, CDNOW.expected_purchases(weeks));
        }
    }

    #[test]
    fn a_member_who_bought_once_is_alive_and_a_long_silence_is_not_an_overflow() {
        let once = History {
            x: 0.0,
            t_x: 0.0,
            age: 50.0,
        };
        assert_eq!(CDNOW.p_alive(once), 1.0);
        let silent = History {
            x: 400.0,
            t_x: 1.0,
            age: 5000.0,
        };
        let p = CDNOW.p_alive(silent);
        assert!(p.is_finite() && p < 1e-6, "{p}");
        assert!(CDNOW.log_likelihood(silent).is_finite());
    }
}
