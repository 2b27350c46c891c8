//! The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The Gamma-Gamma model of
//! monetary value"): a member's purchase amounts are gamma-distributed with shape p and a rate
//! ν that is itself gamma-distributed across members (shape q, rate γ). Fitted on members with
//! at least one repeat purchase, from the number x of repeat purchase days and their mean
//! amount m_x (the first purchase left out, as the note does).

use super::fit::{Fitted, minimize};
use super::special::ln_gamma;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// One member's repeat purchases: how many (x > 0) and their mean amount (in currency units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    pub x: f64,
    pub mean: f64,
}

impl GammaGamma {
    /// The log-likelihood of a member's mean repeat amount given how many repeat purchases it
    /// averages (the note's equation 3, in logs).
    pub fn log_likelihood(&self, s: Spend) -> f64 {
        let Self { p, q, gamma } = *self;
        let (x, m) = (s.x, s.mean);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + q * gamma.ln()
            + (p * x - 1.0) * m.ln()
            + p * x * x.ln()
            - (p * x + q) * (gamma + m * x).ln()
    }

    /// The expected amount of this member's future purchases (the note's equation 5): a
    /// weighted mean of the population's mean and their own.
    pub fn expected_spend(&self, s: Spend) -> f64 {
        let Self { p, q, gamma } = *self;
        if s.x == 0.0 {
            return p * gamma / (q - 1.0);
        }
        p * (gamma + s.x * s.mean) / (p * s.x + q - 1.0)
    }

    /// Maximum-likelihood parameters; members with no repeat purchase or a mean of zero (gift
    /// cards) tell nothing about amounts and are left out by the caller.
    pub fn fit(spends: &[(Spend, u64)]) -> Fitted<GammaGamma> {
        let members: u64 = spends.iter().map(|(_, n)| n).sum();
        // Per member, so the simplex's tolerance means the same for a store of any size.
        let per_member = 1.0 / members.max(1) as f64;
        let fitted = minimize([1.0, 1.0, 1.0], |p| {
            let model = GammaGamma {
                p: p[0],
                q: p[1],
                gamma: p[2],
            };
            -spends
                .iter()
                .map(|(s, n)| *n as f64 * model.log_likelihood(*s))
                .sum::<f64>()
                * per_member
        });
        let [p, q, gamma] = fitted.params;
        Fitted {
            model: GammaGamma { p, q, gamma },
            log_likelihood: -fitted.cost * members as f64,
            members,
        }
    }
}
