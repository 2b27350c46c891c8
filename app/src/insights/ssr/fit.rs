//! Maximum likelihood by `argmin`'s Nelder–Mead simplex, over the parameters' logarithms: every
//! parameter of the models is positive, and searching in logs keeps it so without bounds and
//! evens out scales as different as r ≈ 0.2 and α ≈ 4.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;

/// A model fitted to members' histories.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted<M> {
    pub model: M,
    /// The log-likelihood at the fitted parameters (summed over members).
    pub log_likelihood: f64,
    /// How many members the fit saw.
    pub members: u64,
}

/// The minimum found: the parameters (not in logs) and the cost there.
pub struct Minimum<const N: usize> {
    pub params: [f64; N],
    pub cost: f64,
}

/// Restarts of the simplex from the best point so far: Nelder–Mead can stall on a ridge, and
/// a fresh simplex around the same point moves on if there is anywhere to go.
const RESTARTS: usize = 4;
const MAX_ITERS: u64 = 5_000;

struct Problem<F, const N: usize> {
    cost: F,
}

impl<const N: usize, F: Fn(&[f64; N]) -> f64> CostFunction for Problem<F, N> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, logs: &Self::Param) -> Result<f64, Error> {
        let mut params = [0.0; N];
        for (p, l) in params.iter_mut().zip(logs) {
            *p = l.exp();
        }
        let cost = (self.cost)(&params);
        // Outside where the likelihood is defined (a parameter overflowing, a ≈ 1 in a
        // forecast), say "worse than anywhere" rather than handing the simplex a NaN.
        Ok(if cost.is_finite() { cost } else { f64::MAX })
    }
}

/// The parameters minimising `cost` (a negative log-likelihood), searched from `start`.
pub fn minimize<const N: usize>(start: [f64; N], cost: impl Fn(&[f64; N]) -> f64) -> Minimum<N> {
    let problem = Problem::<_, N> { cost };
    let mut best: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let mut best_cost = problem.cost(&best).unwrap_or(f64::MAX);
    for _ in 0..RESTARTS {
        let mut simplex = vec![best.clone()];
        for i in 0..N {
            let mut vertex = best.clone();
            vertex[i] += 0.5;
            simplex.push(vertex);
        }
        let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(1e-10) else {
            break;
        };
        let Ok(result) = Executor::new(
            Problem::<_, N> {
                cost: &problem.cost,
            },
            solver,
        )
        .configure(|state| state.max_iters(MAX_ITERS))
        .run() else {
            break;
        };
        let state = result.state();
        let (Some(found), cost) = (state.get_best_param(), state.get_best_cost()) else {
            break;
        };
        let improved = best_cost - cost;
        if cost < best_cost {
            best = found.clone();
            best_cost = cost;
        }
        if improved < 1e-10 {
            break;
        }
    }
    let mut params = [0.0; N];
    for (p, l) in params.iter_mut().zip(&best) {
        *p = l.exp();
    }
    Minimum {
        params,
        cost: best_cost,
    }
}
