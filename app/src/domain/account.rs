//! Accounts as both builds know them: roles, tiers, the signed-in viewer, and the parsed forms
//! of what people type when they sign up (email, password, name). Each limit is stated once
//! here and read by the forms' markup and the server's checks alike.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::points::Points;
use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Staff,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in account, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub tier: Tier,
    pub balance: Points,
}

/// An email address, trimmed and lower-cased: the form accounts are stored and looked up in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let tr = crate::domain::i18n::tr();
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| AppError::invalid("email", why);
        if email.is_empty() {
            return Err(invalid(tr.t("forms.email.empty")));
        }
        if email.len() > 254 {
            return Err(invalid(tr.t("forms.email.too_long")));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid(tr.t("forms.email.malformed")));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
            return Err(invalid(tr.t("forms.email.malformed")));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the rules. Length is what matters (NIST 800-63B): at least 10
/// characters, at most 128 so hashing stays bounded.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    pub fn parse(field: &str, raw: String) -> Result<NewPassword, AppError> {
        let tr = crate::domain::i18n::tr();
        let chars = raw.chars().count();
        if chars < Self::MIN {
            return Err(AppError::invalid(
                field,
                tr.f(
                    "forms.password.too_short",
                    &[("min", &tr.number(Self::MIN as i64))],
                ),
            ));
        }
        if chars > Self::MAX {
            return Err(AppError::invalid(
                field,
                tr.f(
                    "forms.password.too_long",
                    &[("max", &tr.number(Self::MAX as i64))],
                ),
            ));
        }
        Ok(NewPassword(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// The longest display name, in characters: the sign-up field and the check both read it.
pub const DISPLAY_NAME_MAX: usize = 80;

/// A display name: what the portal calls the member.
pub fn parse_display_name(raw: &str) -> Result<String, AppError> {
    let tr = crate::domain::i18n::tr();
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AppError::invalid(
            "display_name",
            tr.t("forms.display_name.empty"),
        )),
        n if n > DISPLAY_NAME_MAX => Err(AppError::invalid(
            "display_name",
            tr.f(
                "forms.display_name.too_long",
                &[("max", &tr.number(DISPLAY_NAME_MAX as i64))],
            ),
        )),
        _ => Ok(name.to_owned()),
    }
}

/// A membership tier, lowest first. The `tiers` table holds the same codes (and their spend
/// thresholds and earn rates); the order here is their rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Bronze,
    Silver,
    Gold,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Bronze, Tier::Silver, Tier::Gold];

    /// From its code in the database and in forms (`bronze`, `silver`, `gold`).
    pub fn parse(code: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Tier::Bronze => "bronze",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
        }
    }

    /// The tier's name in the reader's language ("Gold", "Oro").
    pub fn name(self) -> &'static str {
        self.label(crate::domain::i18n::tr())
    }

    pub fn label(self, tr: crate::domain::i18n::Tr) -> &'static str {
        match self {
            Tier::Bronze => tr.t("tiers.bronze"),
            Tier::Silver => tr.t("tiers.silver"),
            Tier::Gold => tr.t("tiers.gold"),
        }
    }

    /// From the name the database and the API use (`Gold`), in any case.
    pub fn parse_name(name: &str) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A role's code (`member`, `staff`, `admin`) as people read it.
pub fn role_label(tr: crate::domain::i18n::Tr, code: &str) -> String {
    match code {
        "member" => tr.t("team.roles.member").to_owned(),
        "staff" => tr.t("team.roles.staff").to_owned(),
        "admin" => tr.t("team.roles.admin").to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Maya@Example.COM ").unwrap().as_str(),
            "maya@example.com"
        );
    }

    #[test]
    fn malformed_emails_say_what_is_expected() {
        for bad in [
            "",
            "maya",
            "maya@",
            "@example.com",
            "maya@example",
            "ma ya@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                matches!(err, AppError::Invalid { ref field, .. } if field == "email"),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            Email::parse("").unwrap_err().to_string(),
            "Enter your email address."
        );
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert_eq!(
            NewPassword::parse("password", "short".into())
                .unwrap_err()
                .to_string(),
            "Use at least 10 characters for your password."
        );
        assert!(NewPassword::parse("password", "long enough pass".into()).is_ok());
    }

    #[test]
    fn tiers_read_back_from_their_codes_in_rank_order() {
        for tier in Tier::ALL {
            assert_eq!(Tier::parse(tier.code()), Some(tier));
        }
        assert_eq!(Tier::parse("platinum"), None);
        assert!(Tier::Bronze < Tier::Silver && Tier::Silver < Tier::Gold);
    }
}
