//! Staff and draws: giving a drop's reward by draw (the seed made and committed to at once),
//! the list with entries and the published data, and cancelling a draw before it is drawn.

use serde_json::json;
use sqlx::PgPool;

use super::entries::release;
use super::stats::Window;
use crate::AppError;
use crate::domain::i18n::tr;
use crate::draws::{ItemChoice, StaffDraw, StaffDrawsView};
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::infra::ledger::lock_balance;

/// The longest entry window: a week.
pub const HOURS_MAX: i64 = 168;
/// The most tickets a tier may give an entry (`draw_entries_tickets_range`).
pub const TICKETS_MAX: i64 = 10;
/// The oldest an account may be asked to be: ten years (`draws_account_days_range`).
pub const ACCOUNT_DAYS_MAX: i64 = 3650;

/// A draw as staff asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawRules {
    pub item: i64,
    pub hours: i64,
    pub gold_tickets: i64,
    pub silver_tickets: i64,
    pub verified_email: bool,
    pub account_days: i64,
    pub purchase: bool,
}

fn whole(field: &str, raw: &str, low: i64, high: i64, key: &'static str) -> Result<i64, AppError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| {
            AppError::invalid(
                field,
                tr().f(
                    key,
                    &[("low", &low.to_string()), ("high", &high.to_string())],
                ),
            )
        })
}

impl DrawRules {
    pub fn parse(
        item: &str,
        hours: &str,
        gold_tickets: &str,
        silver_tickets: &str,
        verified_email: bool,
        account_days: &str,
        purchase: bool,
    ) -> Result<DrawRules, AppError> {
        let item = item
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid("item", tr().t("draws.error.no_item")))?;
        Ok(DrawRules {
            item,
            hours: whole("hours", hours, 1, HOURS_MAX, "draws.error.hours")?,
            gold_tickets: whole(
                "gold_tickets",
                gold_tickets,
                1,
                TICKETS_MAX,
                "draws.error.tickets",
            )?,
            silver_tickets: whole(
                "silver_tickets",
                silver_tickets,
                1,
                TICKETS_MAX,
                "draws.error.tickets",
            )?,
            verified_email,
            account_days: match account_days.trim() {
                "" => 0,
                raw => whole(
                    "account_days",
                    raw,
                    0,
                    ACCOUNT_DAYS_MAX,
                    "draws.error.account_days",
                )?,
            },
            purchase,
        })
    }
}

/// A fresh secret seed: 32 bytes from the operating system.
fn new_seed() -> Vec<u8> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut seed = vec![0u8; 32];
    OsRng.fill_bytes(&mut seed);
    seed
}

/// Gives item `rules.item` by draw: its window opens with its drop and lasts `hours`. Only a
/// reward of a drop not open yet, given first come first served, can become a draw.
pub async fn create(caller: &Staff, rules: &DrawRules) -> Result<(), AppError> {
    let tr = tr();
    let mut tx = caller.pool().begin().await?;
    let item = sqlx::query!(
        r#"SELECT d.starts_at, r.title FROM drop_items di
           JOIN drops d ON d.id = di.drop_id JOIN rewards r ON r.id = di.reward_id
           WHERE di.id = $1 AND di.allocation = 'first_come' AND d.cancelled_at IS NULL
             AND d.starts_at > now()
           FOR UPDATE OF di"#,
        rules.item
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("item", tr.t("draws.error.no_item")))?;
    let seed = new_seed();
    let commitment = super::algorithm::commitment(&seed);
    let tickets = json!({ "gold": rules.gold_tickets, "silver": rules.silver_tickets });
    sqlx::query!(
        "UPDATE drop_items SET allocation = 'draw' WHERE id = $1",
        rules.item
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO draws (drop_item_id, opens_at, closes_at, seed, commitment, tickets,
                              require_verified_email, min_account_days, require_purchase)
           VALUES ($1, $2::timestamptz, $2::timestamptz + make_interval(hours => $3), $4, $5, $6, $7, $8, $9)"#,
        rules.item,
        item.starts_at,
        rules.hours as i32,
        seed,
        commitment,
        tickets,
        rules.verified_email,
        rules.account_days as i32,
        rules.purchase
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "draw.create",
        &format!("drop_item:{}", rules.item),
        None,
        Some(json!({
            "reward": item.title, "hours": rules.hours, "tickets": tickets,
            "verified_email": rules.verified_email, "account_days": rules.account_days,
            "purchase": rules.purchase, "commitment": commitment,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels the draw of item `item` before it is drawn: every open entry's points come back in
/// this transaction, each member is told.
pub async fn cancel(caller: &Staff, item: i64) -> Result<(), AppError> {
    let tr = tr();
    let mut tx = caller.pool().begin().await?;
    let draw = sqlx::query!(
        r#"SELECT dr.drawn_at IS NOT NULL AS "drawn!", dr.cancelled_at IS NOT NULL AS "cancelled!", r.title
           FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id JOIN rewards r ON r.id = di.reward_id
           WHERE dr.drop_item_id = $1 FOR UPDATE OF dr"#,
        item
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("draws.that_draw")))?;
    if draw.drawn {
        return Err(AppError::Conflict {
            message: tr.t("draws.error.already_drawn").to_owned(),
        });
    }
    if draw.cancelled {
        return Ok(());
    }
    let open = sqlx::query!(
        r#"SELECT e.id, e.account_id, e.points, a.language FROM draw_entries e
           JOIN accounts a ON a.id = e.account_id
           WHERE e.drop_item_id = $1 AND e.outcome IS NULL ORDER BY e.account_id"#,
        item
    )
    .fetch_all(&mut *tx)
    .await?;
    for e in &open {
        lock_balance(&mut tx, e.account_id).await?;
        release(&mut tx, e.id, "cancelled", "Draw cancelled: points back").await?;
        let (reader, _) = crate::infra::mail::reader(e.language.as_deref(), "UTC");
        let points = reader.points(crate::domain::points::Points::new(e.points)?);
        sqlx::query!(
            "INSERT INTO member_notices (account_id, message) VALUES ($1, $2)",
            e.account_id,
            reader.f(
                "draws.notice.cancelled",
                &[("reward", &draw.title), ("points", &points)]
            )
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE draws SET cancelled_at = now() WHERE drop_item_id = $1",
        item
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "draw.cancel",
        &format!("drop_item:{item}"),
        None,
        Some(json!({ "reward": draw.title, "entries_released": open.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Draws listed, newest first: each carries its presses' stats.
const LISTED: i64 = 50;

/// The latest draws, newest first, and the rewards that could become one.
pub async fn view(pool: &PgPool) -> Result<StaffDrawsView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let rows = sqlx::query!(
        r#"SELECT dr.drop_item_id, r.title, dr.opens_at, dr.closes_at, dr.commitment, dr.drawn_at,
                  dr.cancelled_at, di.quantity,
                  (SELECT count(*) FROM draw_entries e WHERE e.drop_item_id = dr.drop_item_id
                     AND (e.outcome IS NULL OR e.outcome IN ('won', 'lost'))) AS "entries!",
                  ARRAY(SELECT e.code FROM draw_entries e WHERE e.drop_item_id = dr.drop_item_id
                        AND e.outcome = 'won' ORDER BY e.code) AS "winners!"
           FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id
           JOIN rewards r ON r.id = di.reward_id
           ORDER BY dr.opens_at DESC, dr.drop_item_id DESC LIMIT $1"#,
        LISTED
    )
    .fetch_all(pool)
    .await?;
    let windows: Vec<Window> = rows
        .iter()
        .map(|r| Window {
            item: r.drop_item_id,
            opens_at: r.opens_at,
            closes_at: r.closes_at,
        })
        .collect();
    let mut stats = super::stats::stats(pool, &store, &windows, chrono::Utc::now()).await?;
    let draws = rows
        .into_iter()
        .map(|r| StaffDraw {
            stats: stats.remove(&r.drop_item_id).unwrap_or_default(),
            item_id: r.drop_item_id,
            title: r.title,
            window: tr.f(
                "draws.window.soon",
                &[
                    ("opens", &store.format_time(r.opens_at)),
                    ("closes", &store.format_time(r.closes_at)),
                ],
            ),
            counts: tr.f(
                "draws.counts",
                &[
                    (
                        "winners",
                        &tr.count("draws.winners", i64::from(r.quantity), &[]),
                    ),
                    ("entries", &tr.count("draws.entries", r.entries, &[])),
                ],
            ),
            commitment: r.commitment,
            state: match (r.drawn_at, r.cancelled_at) {
                (Some(at), _) => tr.f("draws.window.drawn", &[("when", &store.format_time(at))]),
                (_, Some(_)) => tr.t("draws.window.cancelled").to_owned(),
                _ => tr.t("draws.staff.waiting").to_owned(),
            },
            can_cancel: r.drawn_at.is_none() && r.cancelled_at.is_none(),
            winners: r.winners,
        })
        .collect();
    let items = sqlx::query!(
        r#"SELECT di.id, r.title, d.title AS drop_title, d.starts_at FROM drop_items di
           JOIN drops d ON d.id = di.drop_id JOIN rewards r ON r.id = di.reward_id
           WHERE di.allocation = 'first_come' AND d.cancelled_at IS NULL AND d.starts_at > now()
           ORDER BY d.starts_at, r.title LIMIT 200"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| ItemChoice {
        id: r.id,
        label: tr.f(
            "draws.staff.item",
            &[
                ("reward", &r.title),
                ("drop", &r.drop_title),
                ("when", &store.format_time(r.starts_at)),
            ],
        ),
    })
    .collect();
    Ok(StaffDrawsView { draws, items })
}
