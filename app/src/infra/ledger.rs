//! The points ledger on the server. Every change to a member's points is one entry; the cached
//! balance follows in the same transaction (a trigger), and lots track what expires when.
//!
//! Locking rule: anything that changes an account's points or lots first locks the account row
//! (`lock_balance`). Concurrent spends on one member therefore queue instead of both reading the
//! same balance, and the lots of one account are only ever touched by one transaction at a time.

use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, PgConnection, PgExecutor, Postgres, Type};

use crate::AppError;
use crate::domain::points::Points;

/// Points are stored as `bigint`; a query reads them as `Points` directly
/// (`SELECT balance AS "balance: Points"`), and a negative value fails the read.
impl Type<Postgres> for Points {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <i64 as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Points {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Points::new(<i64 as Decode<Postgres>>::decode(value)?)?)
    }
}

impl Encode<'_, Postgres> for Points {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as Encode<Postgres>>::encode_by_ref(&self.get(), buf)
    }
}

/// The kinds of entry that take points away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debit {
    Redeem,
    Expire,
    Adjust,
}

impl Debit {
    fn kind(self) -> &'static str {
        match self {
            Debit::Redeem => "redeem",
            Debit::Expire => "expire",
            Debit::Adjust => "adjust",
        }
    }
}

/// The kinds of entry that add points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    Earn,
    Refund,
    Adjust,
}

impl Credit {
    fn kind(self) -> &'static str {
        match self {
            Credit::Earn => "earn",
            Credit::Refund => "refund",
            Credit::Adjust => "adjust",
        }
    }
}

/// Locks the account for a points change and returns its balance.
pub async fn lock_balance(conn: &mut PgConnection, account_id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "SELECT balance FROM accounts WHERE id = $1 FOR UPDATE",
        account_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::not_found(crate::domain::i18n::tr().t("forms.the_member")))
}

/// How long earned points last, from the store's settings.
pub async fn expiry_period(db: impl PgExecutor<'_>) -> Result<Duration, AppError> {
    let micros = sqlx::query_scalar!(
        r#"SELECT (extract(epoch FROM points_expire_after) * 1000000)::bigint AS "micros!" FROM store_settings"#
    )
    .fetch_optional(db)
    .await?
    .unwrap_or(365 * 24 * 3600 * 1_000_000);
    Ok(Duration::microseconds(micros))
}

/// Adds `points` to the account as one entry and one lot expiring at `expires_at`.
/// The caller holds the account lock.
#[expect(
    clippy::too_many_arguments,
    reason = "each is a column of the entry; a struct would only rename them"
)]
pub async fn credit(
    conn: &mut PgConnection,
    account_id: i64,
    kind: Credit,
    points: i64,
    reason: &str,
    reference: Option<&str>,
    purchase_id: Option<i64>,
    expires_at: DateTime<Utc>,
) -> Result<i64, AppError> {
    let entry_id = sqlx::query_scalar!(
        r#"WITH entry AS (
               INSERT INTO ledger_entries (account_id, kind, points, reason, reference, purchase_id)
               VALUES ($1, $2, $3, $4, $5, $6)
               RETURNING id, account_id, points
           )
           INSERT INTO point_lots (account_id, entry_id, points, remaining, expires_at)
           SELECT account_id, id, points, points, $7 FROM entry
           RETURNING entry_id"#,
        account_id,
        kind.kind(),
        points,
        reason,
        reference,
        purchase_id,
        expires_at
    )
    .fetch_one(conn)
    .await?;
    Ok(entry_id)
}

/// Takes `points` from the account as one entry, drawing on the soonest-expiring lots first.
/// The caller holds the account lock and has checked the balance; the balance CHECK is the
/// last line of defence if it did not.
pub async fn debit(
    conn: &mut PgConnection,
    account_id: i64,
    kind: Debit,
    points: i64,
    reason: &str,
    reference: Option<&str>,
) -> Result<i64, AppError> {
    let entry_id = sqlx::query_scalar!(
        r#"INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
        account_id,
        kind.kind(),
        -points,
        reason,
        reference
    )
    .fetch_one(&mut *conn)
    .await?;
    consume_lots(conn, &[account_id], &[points]).await?;
    Ok(entry_id)
}

/// A purchase being taken back (refunded by the till, or its import undone).
pub struct Reversal<'a> {
    pub account_id: i64,
    pub purchase_id: i64,
    pub points_earned: i64,
    /// Why, as the member's statement shows it ("Purchase refunded").
    pub reason: &'a str,
    /// The purchase's id at the store, on the ledger entry.
    pub reference: &'a str,
}

/// Takes back what a purchase earned, as far as the member's `balance` allows (points already
/// spent stay spent: the shortfall is recorded on the purchase as `points_unrecovered`, so staff
/// can see it), and marks the purchase refunded. The caller holds the account lock, has checked
/// the purchase is not refunded yet, and recalculates the tier once it has taken back all it
/// means to. Returns the points taken back.
pub async fn reverse_purchase(
    conn: &mut PgConnection,
    balance: i64,
    purchase: Reversal<'_>,
) -> Result<i64, AppError> {
    let reversed = purchase.points_earned.min(balance).max(0);
    if reversed > 0 {
        debit(
            conn,
            purchase.account_id,
            Debit::Adjust,
            reversed,
            purchase.reason,
            Some(purchase.reference),
        )
        .await?;
    }
    sqlx::query!(
        "UPDATE purchases SET refunded_at = now(), points_reversed = $2, points_unrecovered = $3 WHERE id = $1",
        purchase.purchase_id,
        reversed,
        purchase.points_earned - reversed
    )
    .execute(&mut *conn)
    .await?;
    Ok(reversed)
}

/// Reduces open lots by `points[i]` for `accounts[i]`, soonest expiry first. An account may
/// appear more than once (several redemptions in one batch); its amounts add up.
pub(crate) async fn consume_lots(
    conn: &mut PgConnection,
    accounts: &[i64],
    points: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH need AS (
               SELECT account_id, sum(points)::bigint AS points
               FROM unnest($1::bigint[], $2::bigint[]) AS t(account_id, points)
               GROUP BY account_id
           ),
           ordered AS (
               SELECT p.id, p.remaining, n.points AS need,
                      (sum(p.remaining) OVER (PARTITION BY p.account_id ORDER BY p.expires_at, p.id)
                       - p.remaining)::bigint AS before
               FROM point_lots p JOIN need n ON n.account_id = p.account_id
               WHERE p.remaining > 0
           )
           UPDATE point_lots p
           SET remaining = p.remaining - LEAST(o.remaining, o.need - o.before)
           FROM ordered o
           WHERE p.id = o.id AND o.before < o.need"#,
        accounts,
        points
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Draws on open lots for redemptions just written, soonest expiry first, and records which
/// lots each redemption (by code) drew on and how much, so a cancellation can give the points
/// back to the same lots (`restore`). A member with several redemptions in the batch draws in
/// the order given. One statement: the batch holds a drop's hottest rows while it runs.
pub(crate) async fn consume_lots_for_redemptions(
    conn: &mut PgConnection,
    accounts: &[i64],
    codes: &[String],
    points: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH need AS (
               SELECT account_id, code, points,
                      (sum(points) OVER (PARTITION BY account_id ORDER BY ord) - points)::bigint AS start
               FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(account_id, code, points, ord)
           ),
           lots AS (
               SELECT p.id, p.account_id, p.remaining,
                      (sum(p.remaining) OVER (PARTITION BY p.account_id ORDER BY p.expires_at, p.id)
                       - p.remaining)::bigint AS start
               FROM point_lots p
               WHERE p.account_id = ANY($1) AND p.remaining > 0
           ),
           drawn AS (
               SELECT n.code, l.id AS lot_id,
                      (LEAST(n.start + n.points, l.start + l.remaining) - GREATEST(n.start, l.start))::bigint AS points
               FROM need n JOIN lots l ON l.account_id = n.account_id
               WHERE l.start < n.start + n.points AND n.start < l.start + l.remaining
           ),
           emptied AS (
               UPDATE point_lots p SET remaining = p.remaining - d.points
               FROM (SELECT lot_id, sum(points)::bigint AS points FROM drawn GROUP BY lot_id) d
               WHERE p.id = d.lot_id
           )
           INSERT INTO redemption_lots (redemption_id, lot_id, points)
           SELECT r.id, d.lot_id, d.points FROM drawn d JOIN redemptions r ON r.code = d.code"#,
        accounts,
        codes,
        points
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a cancelled redemption's points back to the lots it drew on, each with its original
/// expiry (a lot already past it is expired again by the next expiry run), as one `refund`
/// entry. Returns the entry and the points restored: less than the redemption's when it was
/// made before lots were recorded, and the caller credits the rest as a fresh lot.
/// The caller holds the account lock.
pub async fn restore(
    conn: &mut PgConnection,
    account_id: i64,
    redemption_id: i64,
    reason: &str,
    reference: &str,
) -> Result<Option<(i64, i64)>, AppError> {
    let restored = sqlx::query_scalar!(
        r#"WITH back AS (
               UPDATE point_lots p SET remaining = p.remaining + rl.points
               FROM redemption_lots rl
               WHERE rl.redemption_id = $1 AND p.id = rl.lot_id
               RETURNING rl.points
           )
           SELECT COALESCE(sum(points), 0)::bigint AS "restored!" FROM back"#,
        redemption_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if restored == 0 {
        return Ok(None);
    }
    let entry = sqlx::query_scalar!(
        r#"INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
           VALUES ($1, 'refund', $2, $3, $4) RETURNING id"#,
        account_id,
        restored,
        reason,
        reference
    )
    .fetch_one(conn)
    .await?;
    Ok(Some((entry, restored)))
}

/// Expires every lot due by `now`: per account, one `expire` entry for the total, lots emptied.
/// Safe to run on several servers at once: accounts being expired elsewhere are skipped.
pub async fn expire_due(pool: &sqlx::PgPool, now: DateTime<Utc>) -> Result<u64, AppError> {
    let accounts = sqlx::query_scalar!(
        "SELECT DISTINCT account_id FROM point_lots WHERE remaining > 0 AND expires_at <= $1",
        now
    )
    .fetch_all(pool)
    .await?;
    let mut expired = 0;
    for account_id in accounts {
        let mut tx = pool.begin().await?;
        let locked = sqlx::query_scalar!(
            "SELECT id FROM accounts WHERE id = $1 FOR UPDATE SKIP LOCKED",
            account_id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            continue;
        }
        let total: i64 = sqlx::query_scalar!(
            r#"WITH due AS (
                   SELECT id, remaining FROM point_lots
                   WHERE account_id = $1 AND remaining > 0 AND expires_at <= $2
               ), emptied AS (
                   UPDATE point_lots p SET remaining = 0 FROM due WHERE p.id = due.id
                   RETURNING due.remaining
               )
               SELECT COALESCE(sum(remaining), 0)::bigint AS "total!" FROM emptied"#,
            account_id,
            now
        )
        .fetch_one(&mut *tx)
        .await?;
        if total > 0 {
            sqlx::query!(
                r#"INSERT INTO ledger_entries (account_id, kind, points, reason)
                   VALUES ($1, 'expire', $2, 'Points expired')"#,
                account_id,
                -total
            )
            .execute(&mut *tx)
            .await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    Ok(expired)
}

/// The tier a rolling 12-month spend earns, and sets it on the account.
pub async fn recalculate_tier(
    conn: &mut PgConnection,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let tier = sqlx::query_scalar!(
        r#"UPDATE accounts a SET tier = (
               SELECT t.code FROM tiers t
               WHERE t.min_spend_cents <= (
                   SELECT COALESCE(sum(p.amount_cents), 0) FROM purchases p
                   WHERE p.account_id = a.id AND p.refunded_at IS NULL
                     AND p.purchased_at > $2::timestamptz - interval '12 months')
               ORDER BY t.rank DESC LIMIT 1)
           WHERE a.id = $1
           RETURNING tier"#,
        account_id,
        now
    )
    .fetch_one(conn)
    .await?;
    Ok(tier)
}

/// The daily pass: spend falls out of the 12-month window, so tiers can drop without a purchase.
/// In slices of accounts, each its own short transaction that locks its accounts in id order,
/// as redemption batches do: the pass never deadlocks with a batch, and never holds a drop's
/// members for longer than one slice.
pub async fn recalculate_all_tiers(
    pool: &sqlx::PgPool,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    const SLICE: i64 = 1000;
    let mut changed = 0;
    let mut after = 0i64;
    loop {
        let mut tx = pool.begin().await?;
        let slice = sqlx::query!(
            r#"WITH locked AS (
                   SELECT id FROM accounts WHERE id > $2 ORDER BY id LIMIT $3 FOR NO KEY UPDATE
               ), target AS (
                   SELECT l.id, (SELECT t.code FROM tiers t
                                 WHERE t.min_spend_cents <= COALESCE((
                                     SELECT sum(p.amount_cents) FROM purchases p
                                     WHERE p.account_id = l.id AND p.refunded_at IS NULL
                                       AND p.purchased_at > $1::timestamptz - interval '12 months'), 0)
                                 ORDER BY t.rank DESC LIMIT 1) AS tier
                   FROM locked l
               ), updated AS (
                   UPDATE accounts a SET tier = target.tier
                   FROM target WHERE a.id = target.id AND a.tier IS DISTINCT FROM target.tier
                   RETURNING a.id
               )
               SELECT (SELECT max(id) FROM locked) AS last,
                      (SELECT count(*) FROM updated) AS "changed!""#,
            now,
            after,
            SLICE
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        changed += slice.changed as u64;
        match slice.last {
            Some(last) => after = last,
            None => return Ok(changed),
        }
    }
}

/// Takes `points` from the account's open lots, soonest expiry first, and says which lots gave
/// how much: what a draw entry's hold records, so its release can give each lot back. The
/// caller holds the account lock and has checked the balance.
pub async fn take_lots(
    conn: &mut PgConnection,
    account_id: i64,
    points: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let taken = sqlx::query!(
        r#"WITH lots AS (
               SELECT p.id, p.remaining,
                      (sum(p.remaining) OVER (ORDER BY p.expires_at, p.id) - p.remaining)::bigint AS start
               FROM point_lots p WHERE p.account_id = $1 AND p.remaining > 0
           ), drawn AS (
               SELECT id, LEAST(remaining, $2 - start)::bigint AS points FROM lots WHERE start < $2
           )
           UPDATE point_lots p SET remaining = p.remaining - d.points
           FROM drawn d WHERE p.id = d.id
           RETURNING p.id, d.points AS "points!""#,
        account_id,
        points
    )
    .fetch_all(conn)
    .await?;
    Ok(taken.into_iter().map(|r| (r.id, r.points)).collect())
}

/// Gives points back to the lots they were taken from (`take_lots`), each with its original
/// expiry: a lot whose expiry passed meanwhile is expired by the next expiry run, as it would
/// have been had it never been taken. The caller holds the account lock and writes the entry.
pub async fn give_back_lots(conn: &mut PgConnection, lots: &[(i64, i64)]) -> Result<(), AppError> {
    let (ids, points): (Vec<i64>, Vec<i64>) = lots.iter().copied().unzip();
    sqlx::query!(
        r#"UPDATE point_lots p SET remaining = p.remaining + b.points
           FROM unnest($1::bigint[], $2::bigint[]) AS b(id, points)
           WHERE p.id = b.id"#,
        &ids,
        &points
    )
    .execute(conn)
    .await?;
    Ok(())
}
