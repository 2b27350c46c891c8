//! A member's card number: what a till scans (the QR code on the member's phone) or types to
//! name the member. The database makes them (`new_card_number()`, migration 0025); this reads
//! one someone sent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::AppError;

/// Sixteen digits whose last is a Luhn check digit. Spaces and dashes between groups, as the
/// card prints them, are allowed and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardNumber(String);

/// How many digits a card number has.
pub const DIGITS: usize = 16;

impl CardNumber {
    /// `field` names the field the number came in, for the error.
    pub fn parse(raw: &str, field: &'static str) -> Result<CardNumber, AppError> {
        let tr = crate::domain::i18n::tr();
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(field, tr.t("forms.card.malformed")));
        }
        if !luhn_holds(&digits) {
            return Err(AppError::invalid(field, tr.t("forms.card.mistyped")));
        }
        Ok(CardNumber(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// As printed on a card: four groups of four ("6012 3456 7890 1234").
impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// The Luhn check over ASCII digits, check digit last.
fn luhn_holds(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (!i.is_multiple_of(2), d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_reads_with_or_without_its_spaces_and_prints_in_groups_of_four() {
        let card = CardNumber::parse("4539 1488 0343 6467", "card_number").unwrap();
        assert_eq!(card.as_str(), "4539148803436467");
        assert_eq!(card.to_string(), "4539 1488 0343 6467");
        assert_eq!(
            CardNumber::parse("4539-1488-0343-6467", "card_number").unwrap(),
            card
        );
    }

    #[test]
    fn one_mistyped_digit_or_two_swapped_neighbours_are_caught() {
        assert!(CardNumber::parse("4539148803436468", "card_number").is_err());
        assert!(CardNumber::parse("4539148803436476", "card_number").is_err());
        assert!(CardNumber::parse("5439148803436467", "card_number").is_err());
    }

    #[test]
    fn too_few_digits_or_letters_are_not_a_card_number() {
        for raw in [
            "",
            "453914880343646",
            "45391488034364670",
            "4539 1488 0343 646x",
        ] {
            assert!(CardNumber::parse(raw, "card_number").is_err(), "{raw:?}");
        }
    }
}
