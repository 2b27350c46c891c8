//! From a member's purchases to what the models read, exactly as Fader, Hardie & Lee (2005) do:
//! purchases on one calendar day of the store are one purchase occasion (amounts summed); for
//! a cut-off date, x is the number of purchase days after the first, t_x the days from the first
//! purchase day to the last, T the days from the first to the cut-off, both in weeks; the
//! monetary value is the mean amount of the repeat purchase days (the first left out).

use chrono::NaiveDate;

use super::bg_nbd::{BgNbd, History};
use super::gamma_gamma::Spend;

/// One purchase occasion: a day in the store's time zone and what was spent on it, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseDay {
    pub day: NaiveDate,
    pub cents: i64,
}

/// Weeks in an average month, for horizons and discount rates given in months.
pub const WEEKS_PER_MONTH: f64 = 365.25 / 7.0 / 12.0;

/// A member's history and repeat spend at `cutoff`, from their purchase days in order (one
/// entry per day, as the database's grouping gives them). Days after the cut-off are not
/// seen; a member with none before it has no history yet.
pub fn summarize(days: &[PurchaseDay], cutoff: NaiveDate) -> Option<(History, Spend)> {
    let seen: Vec<&PurchaseDay> = days.iter().filter(|d| d.day <= cutoff).collect();
    let (first, last) = (seen.first()?, seen.last()?);
    let weeks = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / 7.0;
    let x = (seen.len() - 1) as f64;
    let repeat_cents: i64 = seen.iter().skip(1).map(|d| d.cents).sum();
    let mean = if x > 0.0 {
        repeat_cents as f64 / 100.0 / x
    } else {
        0.0
    };
    Some((
        History {
            x,
            t_x: weeks(first.day, last.day),
            age: weeks(first.day, cutoff),
        },
        Spend { x, mean },
    ))
}

/// The value of a member's purchases over the next `months`, discounted by `monthly_rate`
/// (0.01 = 1% a month): each month's expected purchases (from BG/NBD, given their history)
/// times their expected spend per purchase (from Gamma-Gamma), brought back to today.
pub fn lifetime_value(
    bg: &BgNbd,
    history: History,
    per_purchase: f64,
    months: u32,
    monthly_rate: f64,
) -> f64 {
    let mut before = 0.0;
    let mut value = 0.0;
    for month in 1..=months {
        let by_then = bg.expected_purchases_given(history, f64::from(month) * WEEKS_PER_MONTH);
        value += (by_then - before) * per_purchase / (1.0 + monthly_rate).powi(month as i32);
        before = by_then;
    }
    value
}
