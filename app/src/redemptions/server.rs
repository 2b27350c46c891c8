//! Redeeming on the server: the checks, the batched redeem transaction, reading redemptions
//! back, and cancelling. Lock order, everywhere: account rows (by id), then item rows (by id).
//! One order means concurrent batches, on any server, and cancellations queue instead of
//! deadlocking.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{RedeemOffer, Redemption};
use crate::AppError;
use crate::auth::server::Caller;
use crate::error::server::violated_constraint;
use crate::ledger::Points;
use crate::ledger::server::{Credit, credit, expiry_period, lock_balance};
use crate::store::server::format_time;

/// What the checks need about one drop item.
struct Item {
    title: String,
    description: String,
    category: String,
    reward_id: i64,
    drop_title: String,
    remaining: i32,
    cost: i64,
    limit: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    cancelled: bool,
    required_tier: Option<(i16, String)>,
    early_access: Option<(i16, Duration)>,
    /// How long after redeeming a member may still cancel.
    cancel_window: Duration,
    /// The store's time zone, for the times in answers.
    zone: chrono_tz::Tz,
}

impl Item {
    /// When a member of tier `rank` may start redeeming (earlier with early access).
    fn opens_for(&self, rank: i16) -> DateTime<Utc> {
        match self.early_access {
            Some((early_rank, early)) if rank >= early_rank => self.starts_at - early,
            _ => self.starts_at,
        }
    }
}

/// Where one member stands: their tier and balance.
struct Member {
    rank: i16,
    balance: i64,
}

/// The tier an item requires is its own if it has one, else its reward's: a minimum tier set in
/// the catalog holds in every drop the reward is put in.
async fn items(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Item>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT di.id, r.title, r.description, r.category, r.id AS reward_id, d.title AS drop_title,
                  di.remaining, di.points_cost, di.per_member_limit,
                  d.starts_at, d.ends_at, d.cancelled_at IS NOT NULL AS "cancelled!",
                  mt.rank AS "min_rank?", mt.name AS "min_name?",
                  ea.rank AS "early_rank?", (extract(epoch FROM di.early_access))::bigint AS early_secs,
                  (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!",
                  s.time_zone
           FROM drop_items di
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers mt ON mt.code = COALESCE(di.min_tier, r.min_tier)
           LEFT JOIN tiers ea ON ea.code = di.early_access_tier
           CROSS JOIN store_settings s
           WHERE di.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let zone = r.time_zone.parse().map_err(|e: chrono_tz::ParseError| {
                sqlx::Error::Decode(format!("store time zone: {e}").into())
            })?;
            let item = Item {
                title: r.title,
                description: r.description,
                category: r.category,
                reward_id: r.reward_id,
                drop_title: r.drop_title,
                remaining: r.remaining,
                cost: r.points_cost,
                limit: r.per_member_limit,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                cancelled: r.cancelled,
                required_tier: r.min_rank.zip(r.min_name),
                early_access: r.early_rank.zip(r.early_secs.map(Duration::seconds)),
                cancel_window: Duration::seconds(r.window_secs),
                zone,
            };
            Ok((r.id, item))
        })
        .collect()
}

async fn members(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Member>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT a.id, a.balance, t.rank FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = ANY($1)",
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let member = Member {
                rank: r.rank,
                balance: r.balance,
            };
            (r.id, member)
        })
        .collect())
}

/// What a batch needs to know about its members' earlier redemptions.
struct Earlier {
    /// (member, item) → confirmed redemptions.
    held: std::collections::HashMap<(i64, i64), i64>,
    /// (member, key) → the redemption that key made: its code and item.
    by_key: std::collections::HashMap<(i64, Uuid), (String, i64)>,
}

/// How many units each (member, item) pair holds, and the redemptions made with each (member,
/// key). Each is read by its key, so a batch reads a row per press however many redemptions
/// its members hold.
async fn earlier(
    conn: &mut PgConnection,
    holders: &[(i64, i64)],
    keyed: &[(i64, Uuid)],
) -> Result<Earlier, sqlx::Error> {
    let (held_accounts, held_items): (Vec<i64>, Vec<i64>) = holders.iter().copied().unzip();
    let (key_accounts, keys): (Vec<i64>, Vec<Uuid>) = keyed.iter().copied().unzip();
    let rows = sqlx::query!(
        r#"SELECT h.account_id AS "account_id!", h.drop_item_id AS "drop_item_id!", h.held AS "held!",
                  NULL::uuid AS "key?", NULL::text AS "code?"
           FROM holdings h
           JOIN unnest($1::bigint[], $2::bigint[]) AS p(account_id, drop_item_id)
             ON h.account_id = p.account_id AND h.drop_item_id = p.drop_item_id
           UNION ALL
           SELECT r.account_id, r.drop_item_id, 0, r.idempotency_key, r.code
           FROM redemptions r
           JOIN unnest($3::bigint[], $4::uuid[]) AS p(account_id, key)
             ON r.account_id = p.account_id AND r.idempotency_key = p.key"#,
        &held_accounts,
        &held_items,
        &key_accounts,
        &keys
    )
    .fetch_all(conn)
    .await?;
    let mut earlier = Earlier {
        held: Default::default(),
        by_key: Default::default(),
    };
    for r in rows {
        match (r.key, r.code) {
            (Some(key), Some(code)) => {
                earlier
                    .by_key
                    .insert((r.account_id, key), (code, r.drop_item_id));
            }
            _ => {
                earlier
                    .held
                    .insert((r.account_id, r.drop_item_id), i64::from(r.held));
            }
        }
    }
    Ok(earlier)
}

/// Why a member cannot redeem an item now, checked in the order a member would want to hear
/// it: when, who, whether any are left, how many they had, whether they can afford it.
/// `remaining` and `held` count presses settled earlier in the same batch.
fn blocked(
    item: &Item,
    member: &Member,
    remaining: i32,
    held: i64,
    now: DateTime<Utc>,
) -> Option<AppError> {
    // A cancelled drop will not open: saying when it would have is a promise it breaks.
    if item.cancelled {
        return Some(AppError::DropClosed);
    }
    let opens_at = item.opens_for(member.rank);
    if now < opens_at {
        return Some(AppError::NotOpenYet {
            opens: format!("at {}", format_time(item.zone, opens_at)),
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
    let mut conn = pool.acquire().await?;
    let item = items(&mut conn, &[item_id])
        .await?
        .remove(&item_id)
        .ok_or_else(|| AppError::not_found("That reward"))?;
    let member = members(&mut conn, &[me.id])
        .await?
        .remove(&me.id)
        .ok_or_else(|| AppError::not_found("That member"))?;
    let held = earlier(&mut conn, &[(me.id, item_id)], &[])
        .await?
        .held
        .get(&(me.id, item_id))
        .copied()
        .unwrap_or(0);
    let photo = sqlx::query_scalar!(
        "SELECT updated_at FROM reward_images WHERE reward_id = $1",
        item.reward_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(RedeemOffer {
        drop_item_id: item_id,
        blocked: blocked(&item, &member, item.remaining, held, now),
        image_url: crate::rewards::image_url(item.reward_id, photo),
        category: item
            .category
            .parse()
            .map_err(|e| AppError::internal("redemption", e))?,
        cost: points(item.cost)?,
        remaining: item.remaining,
        reward_title: item.title,
        description: item.description,
        drop_title: item.drop_title,
        balance: me.balance,
        idempotency_key: Uuid::new_v4().to_string(),
    })
}

/// One press of "Confirm", as the writer gets it.
#[derive(Debug, Clone)]
pub struct Press {
    pub account_id: i64,
    pub item_id: i64,
    pub key: Uuid,
    pub client_ip: String,
    /// When it was pressed: the drop's window is judged at this moment, not when its batch
    /// runs, so a press made before closing time counts.
    pub at: DateTime<Utc>,
    /// It waited in line longer than allowed: answered "busy" without touching anything.
    pub late: bool,
}

/// What a press came to, when it was not refused.
#[derive(Debug, Clone)]
pub enum Settled {
    /// A new redemption, committed.
    Made(Redemption),
    /// The key was used before: the redemption it made, and that redemption's item.
    Repeat { code: String, item_id: i64 },
}

/// Redeems one unit of a drop item for the caller, through the line and the writer.
pub async fn redeem(caller: &Caller, item_id: i64, key: &str) -> Result<Redemption, AppError> {
    let me = caller.account()?;
    let Ok(key) = Uuid::parse_str(key) else {
        let refused = AppError::bad_request(
            "This redemption request is malformed. Please reload the page and try again.",
        );
        record_attempt(caller, item_id, &refused).await;
        return Err(refused);
    };
    let press = Press {
        account_id: me.id,
        item_id,
        key,
        client_ip: crate::auth::server::client_ip().await,
        at: Utc::now(),
        late: false,
    };
    let answer = match caller
        .state
        .admission
        .redeem(&caller.state.pool, press)
        .await
    {
        Ok(answer) => answer,
        Err(super::admission::TurnedAway) => {
            record_attempt(caller, item_id, &AppError::Busy).await;
            return Err(AppError::Busy);
        }
    };
    match answer? {
        Settled::Made(redemption) => Ok(redemption),
        // A retry of a press that already succeeded: the same answer, nothing new.
        Settled::Repeat { code, item_id: was } if was == item_id => {
            one(caller, &code, Utc::now()).await
        }
        Settled::Repeat { .. } => Err(AppError::Conflict {
            message: "This request was already used to redeem a different reward. Please reload the page and try again.".into(),
        }),
    }
}

/// Settles a batch of presses in one transaction and answers each, in order. Presses are taken
/// in arrival order, so within a batch the first press of a member is the one that counts
/// against stock, their limit and their balance first.
///
/// An error here (the database gone) fails every press of the batch, and none was written.
pub async fn settle(
    pool: sqlx::PgPool,
    presses: Vec<Press>,
) -> Result<Vec<Result<Settled, AppError>>, AppError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_settle(&pool, &presses, Utc::now()).await {
            Err(error) if tries < 3 && worth_retrying(&error) => {
                tracing::warn!(%error, tries, "retrying a redemption batch");
            }
            answers => return Ok(answers?),
        }
    }
}

/// A deadlock with another server's batch (both sides are rolled back whole) or one of the
/// 40-bit codes colliding: trying the batch again, with fresh codes, succeeds.
fn worth_retrying(error: &sqlx::Error) -> bool {
    let db = error.as_database_error();
    db.and_then(|e| e.code()).as_deref() == Some("40P01")
        || violated_constraint(error) == Some("redemptions_code_unique")
}

/// One unit taken: who, what, and the answer it makes.
struct Taken {
    account_id: i64,
    item_id: i64,
    key: Uuid,
    code: String,
    points: i64,
    reason: String,
    balance_after: i64,
}

async fn try_settle(
    pool: &sqlx::PgPool,
    presses: &[Press],
    now: DateTime<Utc>,
) -> Result<Vec<Result<Settled, AppError>>, sqlx::Error> {
    use std::collections::HashMap;
    // Every account and item the batch names, late presses included: the attempt log refers
    // to them too, and its foreign-key checks must find rows this batch already holds rather
    // than take new locks out of order.
    let mut accounts: Vec<i64> = presses.iter().map(|p| p.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut item_ids: Vec<i64> = presses.iter().map(|p| p.item_id).collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    let mut holders: Vec<(i64, i64)> = presses.iter().map(|p| (p.account_id, p.item_id)).collect();
    holders.sort_unstable();
    holders.dedup();
    let keyed: Vec<(i64, Uuid)> = presses.iter().map(|p| (p.account_id, p.key)).collect();

    // A drop's whole crowd waits on this batch (its item's row stays locked until the commit),
    // so it makes as few round trips as the work allows: nine, begin and commit included.
    let mut tx = pool.begin().await?;
    // Lock order, as everywhere: accounts (by id), then items (by id). Reads come after both
    // locks, in statements of their own, so they see whatever the transactions we waited for
    // committed (a locking read that joins would re-check a row changed meanwhile against the
    // other tables' old rows, e.g. a member whose tier just changed). NO KEY UPDATE is what an
    // UPDATE of these rows takes anyway: it queues behind other writers and `lock_balance` but
    // lets other transactions' foreign-key checks through.
    sqlx::query!(
        "SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &accounts
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!(
        "SELECT id FROM drop_items WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &item_ids
    )
    .fetch_all(&mut *tx)
    .await?;
    let items = items(&mut tx, &item_ids).await?;
    let mut members = members(&mut tx, &accounts).await?;
    let mut earlier = earlier(&mut tx, &holders, &keyed).await?;

    let mut remaining: HashMap<i64, i32> = items
        .iter()
        .map(|(id, item)| (*id, item.remaining))
        .collect();
    let mut taken: Vec<Taken> = Vec::new();
    // What each press came to: a unit taken (index into `taken`), a repeat, or a refusal.
    enum Outcome {
        Taken(usize),
        Repeat(String, i64),
        Refused(AppError),
    }
    let mut outcomes = Vec::with_capacity(presses.len());
    for press in presses {
        let outcome = if press.late {
            Outcome::Refused(AppError::Busy)
        } else if let Some((code, item)) = earlier.by_key.get(&(press.account_id, press.key)) {
            Outcome::Repeat(code.clone(), *item)
        } else if let (Some(item), Some(member)) = (
            items.get(&press.item_id),
            members.get_mut(&press.account_id),
        ) {
            let held = earlier
                .held
                .entry((press.account_id, press.item_id))
                .or_default();
            let left = remaining.entry(press.item_id).or_default();
            match blocked(item, member, *left, *held, press.at) {
                Some(refusal) => Outcome::Refused(refusal),
                None => {
                    *left -= 1;
                    *held += 1;
                    member.balance -= item.cost;
                    let code = new_code();
                    // A repeat of this key later in the same batch gets the same answer.
                    earlier
                        .by_key
                        .insert((press.account_id, press.key), (code.clone(), press.item_id));
                    taken.push(Taken {
                        account_id: press.account_id,
                        item_id: press.item_id,
                        key: press.key,
                        code,
                        points: item.cost,
                        reason: format!("Redeemed: {}", item.title),
                        balance_after: member.balance,
                    });
                    Outcome::Taken(taken.len() - 1)
                }
            }
        } else if items.contains_key(&press.item_id) {
            // Signed in, but the account is gone.
            Outcome::Refused(AppError::Unauthenticated)
        } else {
            Outcome::Refused(AppError::not_found("That reward"))
        };
        outcomes.push(outcome);
    }

    let mut attempts = Attempts::default();
    for (press, outcome) in presses.iter().zip(&outcomes) {
        // Only presses naming a real item and member can be logged (foreign keys); a made-up
        // item id must not fail everyone else's batch.
        if !items.contains_key(&press.item_id) || !members.contains_key(&press.account_id) {
            continue;
        }
        let label = match outcome {
            Outcome::Taken(_) => "redeemed",
            Outcome::Repeat(..) => "repeated",
            Outcome::Refused(refusal) => match attempt_outcome(refusal) {
                Some(label) => label,
                None => continue,
            },
        };
        attempts.items.push(press.item_id);
        attempts.accounts.push(press.account_id);
        attempts.ips.push(press.client_ip.clone());
        attempts.outcomes.push(label.to_owned());
    }
    let created = write_batch(&mut tx, &taken, &attempts).await?;
    tx.commit().await?;

    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Refused(refusal) => Err(refusal),
            Outcome::Repeat(code, item_id) => Ok(Settled::Repeat { code, item_id }),
            Outcome::Taken(n) => {
                let t = &taken[n];
                let item = &items[&t.item_id];
                let created_at = created.get(&t.code).copied().unwrap_or(now);
                let until = (created_at + item.cancel_window).min(item.ends_at);
                Ok(Settled::Made(Redemption {
                    code: t.code.clone(),
                    reward_title: item.title.clone(),
                    drop_item_id: t.item_id,
                    points: points(t.points)?,
                    cancelled: false,
                    created_label: format_time(item.zone, created_at),
                    created_at,
                    balance: points(t.balance_after)?,
                    cancel_until: (now < until).then(|| format_time(item.zone, until)),
                }))
            }
        })
        .collect())
}

/// The batch's presses as the post-drop report counts them, one column per field.
#[derive(Default)]
struct Attempts {
    items: Vec<i64>,
    accounts: Vec<i64>,
    ips: Vec<String>,
    outcomes: Vec<String>,
}

/// Writes the batch: stock down per item, one ledger entry and one redemption per unit taken,
/// every attempt logged (one statement), then lots consumed per member. Returns each
/// redemption's creation time by code.
async fn write_batch(
    tx: &mut PgConnection,
    taken: &[Taken],
    attempts: &Attempts,
) -> Result<std::collections::HashMap<String, DateTime<Utc>>, sqlx::Error> {
    let column = |f: fn(&Taken) -> i64| taken.iter().map(f).collect::<Vec<i64>>();
    let (accounts, item_ids, costs) = (
        column(|t| t.account_id),
        column(|t| t.item_id),
        column(|t| t.points),
    );
    let keys: Vec<Uuid> = taken.iter().map(|t| t.key).collect();
    let codes: Vec<String> = taken.iter().map(|t| t.code.clone()).collect();
    let reasons: Vec<String> = taken.iter().map(|t| t.reason.clone()).collect();
    // The decisive check stays in the database: stock never goes below zero (CHECK), and each
    // balance is guarded by its own CHECK, whatever this server computed. The parts touch
    // different tables, so one statement (one round trip) does them all.
    let created = sqlx::query!(
        r#"WITH made AS (
               SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[], $5::bigint[], $6::text[])
                   AS t(account_id, item_id, key, code, points, reason)
           ),
           stock AS (
               UPDATE drop_items di SET remaining = di.remaining - t.n
               FROM (SELECT item_id, count(*)::int AS n FROM made GROUP BY item_id) t
               WHERE di.id = t.item_id
           ),
           entries AS (
               INSERT INTO ledger_entries (account_id, kind, points, reason, reference)
               SELECT account_id, 'redeem', -points, reason, code FROM made
               RETURNING id, reference
           ),
           attempts AS (
               INSERT INTO redemption_attempts (drop_item_id, account_id, client_ip, outcome)
               SELECT * FROM unnest($7::bigint[], $8::bigint[], $9::text[], $10::text[])
           )
           INSERT INTO redemptions (code, account_id, drop_item_id, points, idempotency_key, ledger_entry_id)
           SELECT m.code, m.account_id, m.item_id, m.points, m.key, e.id
           FROM made m JOIN entries e ON e.reference = m.code
           RETURNING code, created_at"#,
        &accounts,
        &item_ids,
        &keys,
        &codes,
        &costs,
        &reasons,
        &attempts.items,
        &attempts.accounts,
        &attempts.ips,
        &attempts.outcomes
    )
    .fetch_all(&mut *tx)
    .await?;
    if !taken.is_empty() {
        crate::ledger::server::consume_lots(&mut *tx, &accounts, &costs).await?;
    }
    Ok(created
        .into_iter()
        .map(|r| (r.code, r.created_at))
        .collect())
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

/// How a refused press is counted in the post-drop report; `None` for presses with nothing to
/// count them against (not a real item, not a real member).
fn attempt_outcome(refusal: &AppError) -> Option<&'static str> {
    Some(match refusal {
        AppError::SoldOut => "sold_out",
        AppError::NotEnoughPoints { .. } => "not_enough_points",
        AppError::LimitReached { .. } => "limit_reached",
        AppError::TierRequired { .. } => "tier_required",
        AppError::NotOpenYet { .. } => "not_open",
        AppError::DropClosed => "closed",
        AppError::RateLimited { .. } | AppError::Busy => "busy",
        AppError::NotFound { .. } | AppError::Unauthenticated => return None,
        _ => "other",
    })
}

/// Logs a press refused before it reached the writer (which logs the rest in its batch). The
/// log is telemetry: written without waiting for its WAL flush, and a failure to write it
/// never fails the member's request.
async fn record_attempt(caller: &Caller, item_id: i64, refusal: &AppError) {
    let Some(outcome) = attempt_outcome(refusal) else {
        return;
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
