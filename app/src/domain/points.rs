//! Points and the ledger that records every change to them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative number of points: a balance, a cost, an amount earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Points(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("points cannot be negative (got {0})")]
pub struct NegativePoints(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub fn new(value: i64) -> Result<Self, NegativePoints> {
        if value < 0 {
            Err(NegativePoints(value))
        } else {
            Ok(Self(value))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Points {
    type Error = NegativePoints;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Points> for i64 {
    fn from(value: Points) -> Self {
        value.0
    }
}

impl fmt::Display for Points {
    /// `1,250 pts`: grouped digits read faster on a small screen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} pts", grouped(self.0))
    }
}

/// `1250` → `1,250`: grouped digits read faster on a small screen.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_display_groups_thousands() {
        assert_eq!(Points::new(0).unwrap().to_string(), "0 pts");
        assert_eq!(Points::new(950).unwrap().to_string(), "950 pts");
        assert_eq!(Points::new(1250).unwrap().to_string(), "1,250 pts");
        assert_eq!(Points::new(1_000_000).unwrap().to_string(), "1,000,000 pts");
    }

    #[test]
    fn points_reject_negative_values() {
        assert_eq!(Points::new(-1), Err(NegativePoints(-1)));
    }
}
