//! The redeem transaction. Lock order, everywhere: the member's account row, then the item row.
//! One order means concurrent redemptions and cancellations queue instead of deadlocking.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{RedeemOffer, Redemption};
use crate::AppError;
use crate::auth::server::Caller;
use crate::error::server::violated_constraint;
use crate::ledger::Points;
use crate::ledger::server::{Credit, Debit, credit, debit, expiry_period, lock_balance};
use crate::store::server::Store;

/// Everything the checks need about one drop item, for one member.
struct ItemFacts {
    title: String,
    description: String,
    category: String,
    reward_id: i64,
    drop_title: String,
    remaining: i32,
    cost: i64,
    limit: i32,
    /// When this member may start redeeming (earlier with early access).
    opens_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    cancelled: bool,
    required_tier: Option<(i16, String)>,
    member_rank: i16,
    already: i64,
}

async fn facts(
    conn: &mut PgConnection,
    account_id: i64,
    item_id: i64,
) -> Result<ItemFacts, AppError> {
    let row = sqlx::query!(
        r#"SELECT r.title, r.description, r.category, r.id AS reward_id, d.title AS drop_title,
                  di.remaining, di.points_cost, di.per_member_limit,
                  d.starts_at, d.ends_at, d.cancelled_at IS NOT NULL AS "cancelled!",
                  mt.rank AS "min_rank?", mt.name AS "min_name?",
                  ea.rank AS "early_rank?", (extract(epoch FROM di.early_access))::bigint AS early_secs,
                  me.rank AS member_rank,
                  (SELECT count(*) FROM redemptions x
                   WHERE x.drop_item_id = di.id AND x.account_id = $2 AND x.status = 'confirmed') AS "already!"
           FROM drop_items di
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers mt ON mt.code = di.min_tier
           LEFT JOIN tiers ea ON ea.code = di.early_access_tier
           JOIN accounts a ON a.id = $2
           JOIN tiers me ON me.code = a.tier
           WHERE di.id = $1"#,
        item_id,
        account_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::not_found("That reward"))?;
    let early = match (row.early_rank, row.early_secs) {
        (Some(rank), Some(secs)) if row.member_rank >= rank => Duration::seconds(secs),
        _ => Duration::zero(),
    };
    Ok(ItemFacts {
        title: row.title,
        description: row.description,
        category: row.category,
        reward_id: row.reward_id,
        drop_title: row.drop_title,
        remaining: row.remaining,
        cost: row.points_cost,
        limit: row.per_member_limit,
        opens_at: row.starts_at - early,
        ends_at: row.ends_at,
        cancelled: row.cancelled,
        required_tier: row.min_rank.zip(row.min_name),
        member_rank: row.member_rank,
        already: row.already,
    })
}

/// Why this member cannot redeem this item now, checked in the order a member would want to hear
/// it: when, who, whether any are left, how many they had, whether they can afford it.
fn blocked(f: &ItemFacts, balance: i64, now: DateTime<Utc>, store: &Store) -> Option<AppError> {
    if now < f.opens_at {
        return Some(AppError::NotOpenYet {
            opens: format!("at {}", store.format_time(f.opens_at)),
        });
    }
    if f.cancelled || now >= f.ends_at {
        return Some(AppError::DropClosed);
    }
    if let Some((rank, name)) = &f.required_tier
        && f.member_rank < *rank
    {
        return Some(AppError::TierRequired { tier: name.clone() });
    }
    if f.remaining <= 0 {
        return Some(AppError::SoldOut);
    }
    if f.already >= i64::from(f.limit) {
        return Some(AppError::LimitReached { limit: f.limit });
    }
    if balance < f.cost {
        return Some(AppError::NotEnoughPoints {
            needed: Points::new(f.cost).unwrap_or(Points::ZERO),
            have: Points::new(balance).unwrap_or(Points::ZERO),
        });
    }
    None
}

fn points(n: i64) -> Result<Points, AppError> {
    Points::new(n).map_err(|e| AppError::internal("redemption", e))
}

pub async fn preview(
    caller: &Caller,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<RedeemOffer, AppError> {
    let me = caller.account()?;
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;
    let mut conn = pool.acquire().await?;
    let f = facts(&mut conn, me.id, item_id).await?;
    let photo = sqlx::query_scalar!(
        "SELECT updated_at FROM reward_images WHERE reward_id = $1",
        f.reward_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(RedeemOffer {
        drop_item_id: item_id,
        blocked: blocked(&f, me.balance.get(), now, &store),
        image_url: crate::rewards::image_url(f.reward_id, photo),
        category: f
            .category
            .parse()
            .map_err(|e| AppError::internal("redemption", e))?,
        reward_title: f.title,
        description: f.description,
        drop_title: f.drop_title,
        cost: points(f.cost)?,
        remaining: f.remaining,
        balance: me.balance,
        idempotency_key: Uuid::new_v4().to_string(),
    })
}

pub async fn redeem(
    caller: &Caller,
    item_id: i64,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Redemption, AppError> {
    let me = caller.account()?;
    let key = Uuid::parse_str(key).map_err(|_| {
        AppError::bad_request(
            "This redemption request is malformed. Please reload the page and try again.",
        )
    })?;
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;

    let mut tx = pool.begin().await?;
    let balance = lock_balance(&mut tx, me.id).await?;
    // A retry of a press that already succeeded: the same answer, nothing new.
    if let Some((code, existing_item)) = sqlx::query!(
        "SELECT code, drop_item_id FROM redemptions WHERE account_id = $1 AND idempotency_key = $2",
        me.id,
        key
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.code, r.drop_item_id))
    {
        tx.rollback().await?;
        if existing_item != item_id {
            return Err(AppError::Conflict {
                message: "This request was already used to redeem a different reward. Please reload the page and try again.".into(),
            });
        }
        return one(caller, &code, now).await;
    }
    let f = facts(&mut tx, me.id, item_id).await?;
    if let Some(error) = blocked(&f, balance, now, &store) {
        return Err(error);
    }
    // The decisive check: a unit is taken only if one is left, whatever anyone else read.
    let taken = sqlx::query_scalar!(
        "UPDATE drop_items SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0 RETURNING remaining",
        item_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_none() {
        return Err(AppError::SoldOut);
    }
    let code = new_code();
    let entry = debit(
        &mut tx,
        me.id,
        Debit::Redeem,
        f.cost,
        &format!("Redeemed: {}", f.title),
        Some(&code),
    )
    .await?;
    sqlx::query!(
        r#"INSERT INTO redemptions (code, account_id, drop_item_id, points, idempotency_key, ledger_entry_id)
           VALUES ($1, $2, $3, $4, $5, $6)"#,
        code,
        me.id,
        item_id,
        f.cost,
        key,
        entry
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        // A 40-bit random code colliding is rare enough that asking for a retry is fine.
        Some("redemptions_code_unique") => AppError::Unreachable,
        _ => e.into(),
    })?;
    tx.commit().await?;
    one(caller, &code, now).await
}

pub async fn one(caller: &Caller, code: &str, now: DateTime<Utc>) -> Result<Redemption, AppError> {
    let me = caller.account()?;
    let all = list(caller, me.id, Some(code), now).await?;
    all.into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("That redemption"))
}

pub async fn mine(caller: &Caller, now: DateTime<Utc>) -> Result<Vec<Redemption>, AppError> {
    let me = caller.account()?;
    list(caller, me.id, None, now).await
}

/// The member's redemptions (or one of them). Always filtered by the session's account, so a
/// code belonging to someone else is simply not found.
async fn list(
    caller: &Caller,
    account_id: i64,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Redemption>, AppError> {
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;
    let rows = sqlx::query!(
        r#"SELECT x.code, x.drop_item_id, x.points, x.status, x.created_at, r.title, a.balance,
                  d.ends_at, (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!"
           FROM redemptions x
           JOIN drop_items di ON di.id = x.drop_item_id
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           JOIN accounts a ON a.id = x.account_id
           CROSS JOIN store_settings s
           WHERE x.account_id = $1 AND ($2::text IS NULL OR x.code = $2)
           ORDER BY x.created_at DESC
           LIMIT 50"#,
        account_id,
        code
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let cancelled = r.status == "cancelled";
            let until = (r.created_at + Duration::seconds(r.window_secs)).min(r.ends_at);
            Ok(Redemption {
                code: r.code,
                reward_title: r.title,
                drop_item_id: r.drop_item_id,
                points: points(r.points)?,
                cancelled,
                created_label: store.format_time(r.created_at),
                created_at: r.created_at,
                balance: points(r.balance)?,
                cancel_until: (!cancelled && now < until).then(|| store.format_time(until)),
            })
        })
        .collect()
}

pub async fn cancel(
    caller: &Caller,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Redemption, AppError> {
    let me = caller.account()?;
    cancel_as(&caller.state.pool, me.id, code, now, CancelBy::Member).await?;
    one(caller, code, now).await
}

/// Who cancels a redemption, which decides the rules.
pub enum CancelBy<'a> {
    /// The member: within the grace period and while the drop is open.
    Member,
    /// Staff on the member's behalf, at any time, with a reason for the audit trail.
    Staff { actor_id: i64, reason: &'a str },
}

/// Cancels `code` of `account_id`: points back as a refund entry, the unit back in stock, in one
/// transaction. Cancelling a cancelled redemption changes nothing.
pub async fn cancel_as(
    pool: &sqlx::PgPool,
    account_id: i64,
    code: &str,
    now: DateTime<Utc>,
    by: CancelBy<'_>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let balance_before = lock_balance(&mut tx, account_id).await?;
    let r = sqlx::query!(
        r#"SELECT x.id, x.drop_item_id, x.points, x.status, x.created_at, d.ends_at, r.title,
                  (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!"
           FROM redemptions x
           JOIN drop_items di ON di.id = x.drop_item_id
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           CROSS JOIN store_settings s
           WHERE x.code = $1 AND x.account_id = $2
           FOR UPDATE OF x"#,
        code,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found("That redemption"))?;
    if r.status == "cancelled" {
        tx.rollback().await?;
        return Ok(());
    }
    if let CancelBy::Member = by {
        let minutes = r.window_secs / 60;
        if now >= r.created_at + Duration::seconds(r.window_secs) {
            return Err(AppError::CannotCancel {
                message: format!(
                    "This redemption can no longer be cancelled: cancelling is possible for {minutes} minutes after redeeming."
                ),
            });
        }
        if now >= r.ends_at {
            return Err(AppError::CannotCancel {
                message: "This drop has closed, so its redemptions can no longer be cancelled."
                    .into(),
            });
        }
    }
    sqlx::query!(
        "UPDATE drop_items SET remaining = remaining + 1 WHERE id = $1",
        r.drop_item_id
    )
    .execute(&mut *tx)
    .await?;
    // Refunded points last as long as freshly earned ones.
    let expires_at = now + expiry_period(&mut *tx).await?;
    let refund = credit(
        &mut tx,
        account_id,
        Credit::Refund,
        r.points,
        &format!("Cancelled: {}", r.title),
        Some(code),
        None,
        expires_at,
    )
    .await?;
    sqlx::query!(
        "UPDATE redemptions SET status = 'cancelled', cancelled_at = $2, refund_entry_id = $3 WHERE id = $1",
        r.id,
        now,
        refund
    )
    .execute(&mut *tx)
    .await?;
    if let CancelBy::Staff { actor_id, reason } = by {
        crate::staff::server::audit(
            &mut tx,
            actor_id,
            "redemption.cancel",
            &format!("account:{account_id}"),
            Some(serde_json::json!({ "code": code, "status": "confirmed", "balance": balance_before })),
            Some(serde_json::json!({
                "code": code, "status": "cancelled", "balance": balance_before + r.points,
                "refunded": r.points, "reason": reason,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Logs one press of a Redeem button for the post-drop report. The log is telemetry: written
/// after the redeem transaction (whose failures roll back), without waiting for its WAL flush,
/// and a failure to write it never fails the member's request.
pub async fn record_attempt(caller: &Caller, item_id: i64, result: &Result<Redemption, AppError>) {
    let outcome = match result {
        Ok(_) => "redeemed",
        Err(AppError::SoldOut) => "sold_out",
        Err(AppError::NotEnoughPoints { .. }) => "not_enough_points",
        Err(AppError::LimitReached { .. }) => "limit_reached",
        Err(AppError::TierRequired { .. }) => "tier_required",
        Err(AppError::NotOpenYet { .. }) => "not_open",
        Err(AppError::DropClosed) => "closed",
        Err(AppError::RateLimited { .. } | AppError::Busy) => "busy",
        // Not a real item (nothing to count it against) or not a real member.
        Err(AppError::NotFound { .. } | AppError::Unauthenticated) => return,
        Err(_) => "other",
    };
    let Some(account_id) = caller.viewer.as_ref().map(|v| v.id) else {
        return;
    };
    let ip = crate::auth::server::client_ip().await;
    let write = async {
        let mut tx = caller.state.pool.begin().await?;
        sqlx::query!("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "INSERT INTO redemption_attempts (drop_item_id, account_id, client_ip, outcome) VALUES ($1, $2, $3, $4)",
            item_id,
            account_id,
            ip,
            outcome
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    };
    if let Err(error) = write.await {
        tracing::warn!(%error, item_id, outcome, "could not log a redemption attempt");
    }
}

/// `RB-7K3M-Q9XD`: 40 random bits in Crockford's base32 (no I, L, O or U to misread).
fn new_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_le_bytes(Uuid::new_v4().as_bytes()[..8].try_into().expect("8 bytes"));
    let chars: String = (0..8)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("RB-{}-{}", &chars[..4], &chars[4..])
}
