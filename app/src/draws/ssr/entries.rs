//! Entering a draw and withdrawing: the entry holds the points (a `hold` entry, the lots it took
//! recorded), and withdrawing releases them to the same lots. Both in one transaction with the
//! member's account locked, as every change to points is; both safe to repeat.

use chrono::{Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppError;
use crate::domain::i18n::tr;
use crate::domain::points::Points;
use crate::infra::caller::Member;
use crate::infra::ledger::{give_back_lots, lock_balance, take_lots};

/// A member's open entry: its anonymous code, tickets and the points it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub code: String,
    pub tickets: i32,
    pub points: i64,
}

/// `E-` and 10 characters of Crockford's base32: an entry's public, anonymous id.
fn entry_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_le_bytes(Uuid::new_v4().as_bytes()[..8].try_into().expect("8 bytes"));
    let chars: String = (0..10)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("E-{}-{}", &chars[..5], &chars[5..])
}

fn refused(key: &'static str, pairs: &[(&str, &str)]) -> AppError {
    AppError::Conflict {
        message: tr().f(key, pairs),
    }
}

/// A press on "Enter" that did not make an entry: what the member is told, and the reason
/// staff see (`draw_attempts.outcome`; none when the draw is unknown or the database failed).
struct Refusal {
    reason: Option<&'static str>,
    error: AppError,
}

fn no(reason: &'static str, error: AppError) -> Refusal {
    Refusal {
        reason: Some(reason),
        error,
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Refusal {
        Refusal {
            reason: None,
            error,
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Refusal {
        Refusal::from(AppError::from(error))
    }
}

/// Enters member `caller` in the draw of item `item_id`, holding its cost. A press repeated with
/// the same key, or a second press while the entry is open, answers with the entry there is.
/// Every press on a known draw is recorded with how it ended, for staff.
pub async fn enter(caller: &Member, item_id: i64, key: &str) -> Result<Held, AppError> {
    let key = Uuid::parse_str(key.trim())
        .map_err(|_| AppError::bad_request(tr().t("draws.error.bad_key")))?;
    let (outcome, answer) = match try_enter(caller, item_id, key).await {
        Ok((held, outcome)) => (Some(outcome), Ok(held)),
        Err(refusal) => (refusal.reason, Err(refusal.error)),
    };
    if let Some(outcome) = outcome {
        let ip = crate::infra::caller::client_ip(caller.state());
        // The member's answer does not wait on this record, and does not change if it fails.
        if let Err(e) = sqlx::query!(
            "INSERT INTO draw_attempts (drop_item_id, account_id, client_ip, outcome) VALUES ($1, $2, $3, $4)",
            item_id,
            caller.account().id,
            ip,
            outcome
        )
        .execute(caller.pool())
        .await
        {
            tracing::warn!(item = item_id, error = %e, "a draw entry attempt was not recorded");
        }
    }
    answer
}

async fn try_enter(
    caller: &Member,
    item_id: i64,
    key: Uuid,
) -> Result<(Held, &'static str), Refusal> {
    let tr = tr();
    let account = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let balance = lock_balance(&mut tx, account).await?;
    if let Some(held) = existing(&mut tx, account, item_id, key).await? {
        return Ok((held, "again"));
    }
    let now = Utc::now();
    let draw = sqlx::query!(
        r#"SELECT dr.opens_at, dr.closes_at, dr.drawn_at, dr.cancelled_at, dr.require_verified_email,
                  dr.min_account_days, dr.require_purchase, di.points_cost, di.audience_id,
                  mt.rank AS "min_rank?", mt.name AS "min_name?", t.rank AS member_rank,
                  COALESCE((dr.tickets ->> a.tier)::int, 1) AS "tickets!",
                  a.email_verified_at, a.created_at AS joined_at, s.time_zone,
                  EXISTS (SELECT 1 FROM purchases p WHERE p.account_id = a.id AND p.refunded_at IS NULL) AS "bought!",
                  (di.audience_id IS NULL OR EXISTS (
                      SELECT 1 FROM audiences au, audience_facts f
                      WHERE au.id = di.audience_id AND f.account_id = a.id AND fits_audience(f, au.rules))) AS "in_audience!"
           FROM draws dr
           JOIN drop_items di ON di.id = dr.drop_item_id
           JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers mt ON mt.code = COALESCE(di.min_tier, r.min_tier)
           CROSS JOIN accounts a
           JOIN tiers t ON t.code = a.tier
           CROSS JOIN store_settings s
           WHERE dr.drop_item_id = $1 AND a.id = $2"#,
        item_id,
        account
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("draws.that_draw")))?;
    let zone: chrono_tz::Tz = draw.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let when = |at| crate::infra::store::format_time(zone, at);
    if draw.cancelled_at.is_some() {
        return Err(no("cancelled", refused("draws.error.cancelled", &[])));
    }
    if now < draw.opens_at {
        return Err(no(
            "early",
            AppError::NotOpenYet {
                opens: draw.opens_at.to_rfc3339(),
                zone: zone.name().to_owned(),
            },
        ));
    }
    if now >= draw.closes_at || draw.drawn_at.is_some() {
        return Err(no(
            "closed",
            refused("draws.error.closed", &[("when", &when(draw.closes_at))]),
        ));
    }
    if let (Some(rank), Some(name)) = (draw.min_rank, draw.min_name)
        && draw.member_rank < rank
    {
        return Err(no("tier", AppError::TierRequired { tier: name }));
    }
    if !draw.in_audience {
        return Err(no("audience", AppError::AudienceOnly));
    }
    if draw.require_verified_email && draw.email_verified_at.is_none() {
        return Err(no("unverified", refused("draws.error.verify_email", &[])));
    }
    let can_from = draw.joined_at + Duration::days(i64::from(draw.min_account_days));
    if now < can_from {
        return Err(no(
            "account_age",
            AppError::Conflict {
                message: tr.count(
                    "draws.error.account_age",
                    i64::from(draw.min_account_days),
                    &[("when", &when(can_from))],
                ),
            },
        ));
    }
    if draw.require_purchase && !draw.bought {
        return Err(no("no_purchase", refused("draws.error.purchase", &[])));
    }
    if balance < draw.points_cost {
        let error = AppError::NotEnoughPoints {
            needed: Points::new(draw.points_cost).map_err(AppError::from)?,
            have: Points::new(balance).map_err(AppError::from)?,
        };
        return Err(no("points", error));
    }
    let code = entry_code();
    let hold = sqlx::query_scalar!(
        r#"INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
           VALUES ($1, 'hold', $2, 'Points held for a draw', $3) RETURNING id"#,
        account,
        -draw.points_cost,
        code
    )
    .fetch_one(&mut *tx)
    .await?;
    let entry = sqlx::query_scalar!(
        r#"INSERT INTO draw_entries (drop_item_id, account_id, code, tickets, points, idempotency_key, hold_entry_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
        item_id,
        account,
        code,
        draw.tickets,
        draw.points_cost,
        key,
        hold
    )
    .fetch_one(&mut *tx)
    .await?;
    let lots = take_lots(&mut tx, account, draw.points_cost).await?;
    record_lots(&mut tx, entry, &lots).await?;
    tx.commit().await?;
    Ok((
        Held {
            code,
            tickets: draw.tickets,
            points: draw.points_cost,
        },
        "entered",
    ))
}

/// The entry this key made, or the member's open entry in this draw.
async fn existing(
    conn: &mut PgConnection,
    account: i64,
    item_id: i64,
    key: Uuid,
) -> Result<Option<Held>, AppError> {
    let found = sqlx::query!(
        r#"SELECT code, tickets, points FROM draw_entries
           WHERE account_id = $1 AND (idempotency_key = $3 OR (drop_item_id = $2 AND outcome IS NULL))
           ORDER BY idempotency_key = $3 DESC LIMIT 1"#,
        account,
        item_id,
        key
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|r| Held {
        code: r.code,
        tickets: r.tickets,
        points: r.points,
    }))
}

async fn record_lots(
    conn: &mut PgConnection,
    entry: i64,
    lots: &[(i64, i64)],
) -> Result<(), AppError> {
    let (ids, points): (Vec<i64>, Vec<i64>) = lots.iter().copied().unzip();
    sqlx::query!(
        "INSERT INTO draw_entry_lots (entry_id, lot_id, points) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[])",
        entry,
        &ids,
        &points
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases an open entry's hold: its lots get their points back and one `release` entry is
/// written. The caller holds the member's account lock and then ends the entry (`end`).
/// Returns the release entry's id.
pub async fn release_hold(
    conn: &mut PgConnection,
    entry: i64,
    reason: &str,
) -> Result<i64, AppError> {
    let held = sqlx::query!(
        "SELECT account_id, points, code FROM draw_entries WHERE id = $1",
        entry
    )
    .fetch_one(&mut *conn)
    .await?;
    let lots: Vec<(i64, i64)> = sqlx::query!(
        "SELECT lot_id, points FROM draw_entry_lots WHERE entry_id = $1",
        entry
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.lot_id, r.points))
    .collect();
    give_back_lots(conn, &lots).await?;
    let released = sqlx::query_scalar!(
        r#"INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
           VALUES ($1, 'release', $2, $3, $4) RETURNING id"#,
        held.account_id,
        held.points,
        reason,
        held.code
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(released)
}

/// Ends an entry whose hold was released: how (`withdrawn`, `won`, `lost`, `cancelled`), by
/// which release, and a winner's redemption.
pub async fn end(
    conn: &mut PgConnection,
    entry: i64,
    outcome: &str,
    released: i64,
    redemption: Option<i64>,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE draw_entries SET outcome = $2, ended_at = now(), release_entry_id = $3, redemption_id = $4 WHERE id = $1",
        entry,
        outcome,
        released,
        redemption
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases an open entry's hold and ends it with `outcome` (not a win).
pub async fn release(
    conn: &mut PgConnection,
    entry: i64,
    outcome: &str,
    reason: &str,
) -> Result<(), AppError> {
    let released = release_hold(conn, entry, reason).await?;
    end(conn, entry, outcome, released, None).await
}

/// Withdraws the member's open entry in the draw of `item_id` while the window is open: the
/// points come back. Withdrawing when there is no open entry changes nothing.
pub async fn withdraw(caller: &Member, item_id: i64) -> Result<(), AppError> {
    let account = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    lock_balance(&mut tx, account).await?;
    let open = sqlx::query!(
        r#"SELECT e.id, dr.closes_at, dr.drawn_at IS NOT NULL AS "drawn!", s.time_zone
           FROM draw_entries e JOIN draws dr ON dr.drop_item_id = e.drop_item_id
           CROSS JOIN store_settings s
           WHERE e.drop_item_id = $1 AND e.account_id = $2 AND e.outcome IS NULL
           FOR UPDATE OF e"#,
        item_id,
        account
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(open) = open else {
        return Ok(());
    };
    if open.drawn || Utc::now() >= open.closes_at {
        let zone: chrono_tz::Tz = open.time_zone.parse().unwrap_or(chrono_tz::UTC);
        return Err(refused(
            "draws.error.closed",
            &[(
                "when",
                &crate::infra::store::format_time(zone, open.closes_at),
            )],
        ));
    }
    release(&mut tx, open.id, "withdrawn", "Draw entry withdrawn").await?;
    tx.commit().await?;
    Ok(())
}
