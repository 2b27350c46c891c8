//! The rules that need no database: why a press is refused, how a refusal is recorded, and
//! the codes members show at the counter.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queries::*;
use crate::AppError;
use crate::domain::points::Points;

/// Why a member cannot redeem an item now, checked in the order a member would want to hear
/// it: when, who, whether any are left, how many they had, whether they can afford it.
/// `remaining` and `held` count presses settled earlier in the same batch.
pub(super) fn blocked(
    item: &Item,
    member: &MemberRow,
    remaining: i32,
    held: i64,
    now: DateTime<Utc>,
) -> Option<AppError> {
    // A cancelled drop will not open: saying when it would have is a promise it breaks.
    if item.cancelled {
        return Some(AppError::DropClosed);
    }
    if item.drawn {
        return Some(AppError::Conflict {
            message: crate::domain::i18n::tr()
                .t("draws.error.not_redeemable")
                .to_owned(),
        });
    }
    let opens_at = item.opens_for(member);
    if now < opens_at {
        return Some(AppError::NotOpenYet {
            opens: opens_at.to_rfc3339(),
            zone: item.zone.name().to_owned(),
        });
    }
    if now >= item.ends_at {
        return Some(AppError::DropClosed);
    }
    if let Some((rank, name)) = &item.required_tier
        && member.rank < *rank
    {
        return Some(AppError::TierRequired { tier: name.clone() });
    }
    if item
        .audience
        .is_some_and(|audience| !member.audiences.contains(&audience))
        || item
            .campaign
            .is_some_and(|campaign| !member.campaigns.contains(&campaign))
    {
        return Some(AppError::AudienceOnly);
    }
    if remaining <= 0 {
        return Some(AppError::SoldOut);
    }
    if held >= i64::from(item.limit) {
        return Some(AppError::LimitReached { limit: item.limit });
    }
    if member.balance < item.cost {
        return Some(AppError::NotEnoughPoints {
            needed: Points::new(item.cost).unwrap_or(Points::ZERO),
            have: Points::new(member.balance).unwrap_or(Points::ZERO),
        });
    }
    None
}

/// How a refused press is counted in the post-drop report; `None` for presses with nothing to
/// count them against (not a real item, not a real member).
pub(super) fn attempt_outcome(refusal: &AppError) -> Option<&'static str> {
    Some(match refusal {
        AppError::SoldOut => "sold_out",
        AppError::NotEnoughPoints { .. } => "not_enough_points",
        AppError::LimitReached { .. } => "limit_reached",
        AppError::TierRequired { .. } => "tier_required",
        AppError::AudienceOnly => "audience_only",
        AppError::NotOpenYet { .. } => "not_open",
        AppError::DropClosed => "closed",
        AppError::RateLimited { .. } | AppError::Busy => "busy",
        AppError::NotFound { .. } | AppError::Unauthenticated => return None,
        _ => "other",
    })
}

/// `RB-7K3M-Q9XD`: a redemption's code.
pub fn new_code() -> String {
    code_with_prefix("RB")
}

/// `{prefix}-7K3M-Q9XD`: 40 random bits in Crockford's base32 (no I, L, O or U to misread).
/// Other codes members show in store (a campaign's gift) use it with a prefix of their own.
pub fn code_with_prefix(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_le_bytes(Uuid::new_v4().as_bytes()[..8].try_into().expect("8 bytes"));
    let chars: String = (0..8)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{prefix}-{}-{}", &chars[..4], &chars[4..])
}
