//! The store the bazaar belongs to: its name, currency and time zone.

use serde::{Deserialize, Serialize};

use crate::AppError;

/// What pages need to know about the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub name: String,
    /// IANA zone name, e.g. `America/New_York`: drop times are scheduled and shown in it.
    pub time_zone: String,
    pub currency: String,
}

/// The most one purchase may be, in cents: anything above is almost certainly a typo.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;

/// "25.40" → 2540, and "0.00" → 0 (history may hold purchases paid with a gift card).
pub fn parse_cents(raw: &str) -> Result<i64, AppError> {
    let tr = crate::domain::i18n::tr();
    let invalid = || {
        AppError::invalid(
            "amount",
            tr.f(
                "api.purchase.amount_format",
                &[("raw", &format!("{raw:?}"))],
            ),
        )
    };
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let whole: i64 = whole.parse().map_err(|_| invalid())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| invalid())?;
    let cents = whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac))
        .ok_or_else(invalid)?;
    if cents > MAX_AMOUNT_CENTS {
        return Err(AppError::invalid(
            "amount",
            tr.f(
                "api.purchase.amount_too_large",
                &[
                    ("raw", raw),
                    ("limit", &(MAX_AMOUNT_CENTS / 100).to_string()),
                ],
            ),
        ));
    }
    Ok(cents)
}

/// A purchase's id in the integration's system: 1-128 printable characters, trimmed.
pub fn parse_external_id(raw: &str) -> Result<String, AppError> {
    let id = raw.trim();
    if id.is_empty() || id.chars().count() > 128 || id.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "external_id",
            crate::domain::i18n::tr().t("api.purchase.external_id_format"),
        ));
    }
    Ok(id.to_owned())
}
