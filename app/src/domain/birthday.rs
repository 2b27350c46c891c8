//! A member's birthday as they tell it on "What you love": a day and a month, never a year (the
//! portal needs the day for a gift, not an age).

use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;

/// A real day of a year: 29 February is one (a member born then has a birthday too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birthday {
    month: u8,
    day: u8,
}

impl Birthday {
    /// The days `month` can have, in a leap year.
    fn days_in(month: u8) -> u8 {
        match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Reads the form's two choices: both empty is "no birthday" (cleared); one without the
    /// other, or a day the month does not have, is refused with a message for the member.
    pub fn parse(month: &str, day: &str) -> Result<Option<Birthday>, AppError> {
        let tr = tr();
        let (month, day) = match (month.trim(), day.trim()) {
            ("", "") => return Ok(None),
            ("", _) => {
                return Err(AppError::invalid(
                    "birthday_month",
                    tr.t("account.likes.birthday_month_missing"),
                ));
            }
            (_, "") => {
                return Err(AppError::invalid(
                    "birthday_day",
                    tr.t("account.likes.birthday_day_missing"),
                ));
            }
            pair => pair,
        };
        let month: u8 = month
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(|| {
                AppError::invalid(
                    "birthday_month",
                    tr.t("account.likes.birthday_month_missing"),
                )
            })?;
        let day: u8 = day
            .parse()
            .ok()
            .filter(|d| (1..=Self::days_in(month)).contains(d))
            .ok_or_else(|| {
                AppError::invalid(
                    "birthday_day",
                    tr.count(
                        "account.likes.birthday_no_such_day",
                        i64::from(Self::days_in(month)),
                        &[],
                    ),
                )
            })?;
        Ok(Some(Birthday { month, day }))
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }
}

#[cfg(test)]
mod tests {
    use super::Birthday;

    #[test]
    fn a_birthday_is_a_real_day_and_29_february_is_one() {
        let b = Birthday::parse("2", "29").unwrap().unwrap();
        assert_eq!((b.month(), b.day()), (2, 29));
        assert_eq!(Birthday::parse("", "").unwrap(), None);
        let refused = |m: &str, d: &str| Birthday::parse(m, d).unwrap_err().to_string();
        assert_eq!(refused("2", "30"), "That month has only 29 days.");
        assert_eq!(refused("4", "31"), "That month has only 30 days.");
        assert_eq!(refused("", "3"), "Choose the month of your birthday too.");
        assert_eq!(refused("3", ""), "Choose the day of your birthday too.");
        assert_eq!(refused("13", "1"), "Choose the month of your birthday too.");
    }
}
