//! The special functions the models need: the log-gamma function (from `libm`) and the Gauss
//! hypergeometric function ₂F₁ by its power series.

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// ln B(a, b), the log of the beta function.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Terms of the series summed at most; with 0 ≤ z < 1 and the models' parameters the series
/// converges within a few hundred terms unless z is very close to 1.
const MAX_TERMS: usize = 100_000;

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for positive a, b, c and 0 ≤ z < 1, by its
/// power series Σ (a)ₙ(b)ₙ / (c)ₙ · zⁿ/n!. Where Euler's transformation
/// ₂F₁(a, b; c; z) = (1 − z)^(c − a − b) ₂F₁(c − a, c − b; c; z) gives a series whose terms
/// start smaller, that one is summed instead: the models meet it when c is close to a + b.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    debug_assert!((0.0..1.0).contains(&z), "z = {z}");
    if z == 0.0 {
        return 1.0;
    }
    let (ea, eb) = (c - a, c - b);
    if (ea * eb).abs() < (a * b).abs() {
        return (1.0 - z).powf(c - a - b) * series(ea, eb, c, z);
    }
    series(a, b, c, z)
}

fn series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        // Stop once the terms no longer change the sum; a term of exactly zero (a or b a
        // non-positive integer, after Euler's transformation) ends a terminating series.
        if term.abs() <= f64::EPSILON * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyp2f1_agrees_with_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        for z in [0.1_f64, 0.5, 0.9, 0.99] {
            let exact: f64 = -(1.0 - z).ln() / z;
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z) - exact).abs() < 1e-9 * exact,
                "z = {z}"
            );
        }
        // ₂F₁(a, b; b; z) = (1 − z)^(−a)
        let exact = 0.3_f64.powf(-0.7);
        assert!((hyp2f1(0.7, 2.5, 2.5, 0.7) - exact).abs() < 1e-9);
    }
}
