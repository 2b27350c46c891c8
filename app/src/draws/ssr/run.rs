//! The draw itself: at the close of a draw's window, one transaction fixes and publishes the
//! entry list, its hash and the seed, picks the winners (`algorithm::draw`), gives each winner
//! a redemption (their hold released and the reward redeemed) and releases every other hold,
//! and tells each member. Idempotent and run once across servers: the draw's row is taken with
//! `FOR UPDATE SKIP LOCKED`, and a server that dies mid-draw leaves nothing written (its
//! transaction rolls back, the lock lapses, the next look draws it).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::algorithm::{self, Entry};
use super::entries::{end, release, release_hold};
use crate::AppError;
use crate::infra::ledger::{consume_lots_for_redemptions, lock_balance};
use crate::infra::mail::reader;

/// Draws every draw whose window has closed by `now`; returns how many were drawn.
pub async fn draw_due(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let due = sqlx::query_scalar!(
        "SELECT drop_item_id FROM draws WHERE drawn_at IS NULL AND cancelled_at IS NULL AND closes_at <= $1 ORDER BY closes_at",
        now
    )
    .fetch_all(pool)
    .await?;
    let mut drawn = 0;
    for item in due {
        if draw_one(pool, item).await? {
            drawn += 1;
        }
    }
    Ok(drawn)
}

/// Draws item `item`'s draw if no other server is drawing it and it is still to be drawn.
pub async fn draw_one(pool: &PgPool, item: i64) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let draw = sqlx::query!(
        r#"SELECT dr.seed, di.remaining, di.points_cost, r.title, r.title_es
           FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id
           JOIN rewards r ON r.id = di.reward_id
           WHERE dr.drop_item_id = $1 AND dr.drawn_at IS NULL AND dr.cancelled_at IS NULL
           FOR UPDATE OF dr, di SKIP LOCKED"#,
        item
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(draw) = draw else {
        return Ok(false);
    };
    let entries = sqlx::query!(
        r#"SELECT e.id, e.account_id, e.code, e.tickets, e.points, a.language
           FROM draw_entries e JOIN accounts a ON a.id = e.account_id
           WHERE e.drop_item_id = $1 AND e.outcome IS NULL ORDER BY e.id"#,
        item
    )
    .fetch_all(&mut *tx)
    .await?;
    let published: Vec<Entry> = entries
        .iter()
        .map(|e| Entry {
            code: e.code.clone(),
            tickets: u32::try_from(e.tickets).unwrap_or(1),
        })
        .collect();
    let quantity = usize::try_from(draw.remaining).unwrap_or(0);
    let winners: Vec<String> = algorithm::draw(&draw.seed, &published, quantity)
        .into_iter()
        .map(|p| p.winner)
        .collect();
    // Members' rows in id order, as every writer of points takes them: never a deadlock with a
    // redemption batch.
    let mut accounts: Vec<i64> = entries.iter().map(|e| e.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    for account in &accounts {
        lock_balance(&mut tx, *account).await?;
    }
    let store_zone = sqlx::query_scalar!("SELECT time_zone FROM store_settings")
        .fetch_one(&mut *tx)
        .await?;
    for e in &entries {
        let (tr, _) = reader(e.language.as_deref(), &store_zone);
        let title = match (tr.lang().code(), &draw.title_es) {
            ("es", Some(es)) => es.clone(),
            _ => draw.title.clone(),
        };
        if winners.contains(&e.code) {
            let released = release_hold(&mut tx, e.id, "Draw won: hold released").await?;
            let redemption = redeem(&mut tx, item, e.account_id, e.points, &title).await?;
            end(&mut tx, e.id, "won", released, Some(redemption.0)).await?;
            notice(
                &mut tx,
                e.account_id,
                &tr.f(
                    "draws.notice.won",
                    &[("reward", &title), ("code", &redemption.1)],
                ),
            )
            .await?;
        } else {
            release(&mut tx, e.id, "lost", "Draw not won: points back").await?;
            let points = tr.points(crate::domain::points::Points::new(e.points)?);
            notice(
                &mut tx,
                e.account_id,
                &tr.f(
                    "draws.notice.lost",
                    &[("reward", &title), ("points", &points)],
                ),
            )
            .await?;
        }
    }
    let list = algorithm::entry_list(&published);
    sqlx::query!(
        "UPDATE draws SET entry_list = $2, entries_hash = $3, drawn_at = now() WHERE drop_item_id = $1",
        item,
        list,
        algorithm::hex(&algorithm::entries_hash(&published))
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A winner's redemption: the usual code, a `redeem` entry drawing on the lots the release just
/// refilled (soonest expiry first), one unit of the item's stock. Returns its id and code.
async fn redeem(
    conn: &mut PgConnection,
    item: i64,
    account: i64,
    points: i64,
    title: &str,
) -> Result<(i64, String), AppError> {
    let code = crate::redemptions::ssr::new_code();
    let entry = sqlx::query_scalar!(
        r#"INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
           VALUES ($1, 'redeem', $2, $3, $4) RETURNING id"#,
        account,
        -points,
        format!("Redeemed: {title}"),
        code
    )
    .fetch_one(&mut *conn)
    .await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO redemptions (code, account_id, drop_item_id, points, idempotency_key, ledger_entry_id)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"#,
        code,
        account,
        item,
        points,
        Uuid::new_v4(),
        entry
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE drop_items SET remaining = remaining - 1 WHERE id = $1",
        item
    )
    .execute(&mut *conn)
    .await?;
    consume_lots_for_redemptions(conn, &[account], std::slice::from_ref(&code), &[points]).await?;
    Ok((id, code))
}

async fn notice(conn: &mut PgConnection, account: i64, message: &str) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO member_notices (account_id, message) VALUES ($1, $2)",
        account,
        message
    )
    .execute(conn)
    .await?;
    Ok(())
}
