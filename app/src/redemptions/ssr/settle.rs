//! The batched redeem transaction: everything waiting in the line settled in one commit.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::admission::{Admission, TurnedAway};
use super::queries::*;
use super::rules::*;
use crate::AppError;
use crate::domain::error::server::violated_constraint;
use crate::domain::points::Points;
use crate::infra::caller::Member;
use crate::infra::store::format_time;
use crate::redemptions::Redemption;

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
pub async fn redeem(caller: &Member, item_id: i64, key: &str) -> Result<Redemption, AppError> {
    let me = caller.account();
    let tr = crate::domain::i18n::tr();
    let Ok(key) = Uuid::parse_str(key) else {
        let refused = AppError::bad_request(tr.t("redemptions.malformed"));
        record_attempt(caller, item_id, &refused).await;
        return Err(refused);
    };
    let press = Press {
        account_id: me.id,
        item_id,
        key,
        client_ip: crate::infra::caller::client_ip(caller.state()),
        at: Utc::now(),
        late: false,
    };
    // The server provides the line beside the app's state: it belongs to this feature.
    let line = leptos::prelude::use_context::<Admission>().ok_or_else(|| {
        AppError::internal("request context", "the redemption line was not provided")
    })?;
    let answer = match line.redeem(caller.pool(), press).await {
        Ok((answer, timing)) => {
            crate::kit::page_status::set_server_timing(&timing.header());
            answer
        }
        Err(TurnedAway::Busy) => {
            line.note_busy(
                item_id,
                me.id,
                crate::infra::caller::client_ip(caller.state()),
            );
            return Err(AppError::Busy);
        }
        // Not logged: it is the same member's press again, already on its way.
        Err(TurnedAway::AlreadyPressing) => return Err(AppError::AlreadyPressing),
    };
    // The writer answers outside this request, in the store's language: what it could not find
    // is named again in the member's.
    let answer = answer.map_err(|refusal| match refusal {
        AppError::NotFound { .. } => AppError::not_found(tr.t("redemptions.the_reward")),
        refusal => refusal,
    });
    match answer? {
        Settled::Made(redemption) => Ok(redemption),
        // A retry of a press that already succeeded: the same answer, nothing new.
        Settled::Repeat { code, item_id: was } if was == item_id => {
            one(caller, &code, Utc::now()).await
        }
        Settled::Repeat { .. } => Err(AppError::Conflict {
            message: tr.t("redemptions.key_used_for_another").into(),
        }),
    }
}

/// Settles a batch of presses in one transaction and answers each, in order. Presses are taken
/// in arrival order, so within a batch the first press of a member is the one that counts
/// against stock, their limit and their balance first.
///
/// An error here (the database gone) fails every press of the batch, and none was written.
/// Also returns how long the (last) commit took: its wait for the WAL flush.
pub async fn settle(
    pool: sqlx::PgPool,
    presses: Vec<Press>,
) -> Result<(Vec<Result<Settled, AppError>>, std::time::Duration), AppError> {
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
pub(super) fn worth_retrying(error: &sqlx::Error) -> bool {
    let db = error.as_database_error();
    db.and_then(|e| e.code()).as_deref() == Some("40P01")
        || violated_constraint(error) == Some("redemptions_code_unique")
}

/// One unit taken: who, what, and the answer it makes.
pub(super) struct Taken {
    pub(super) account_id: i64,
    pub(super) item_id: i64,
    pub(super) key: Uuid,
    pub(super) code: String,
    pub(super) points: i64,
    pub(super) reason: String,
    pub(super) balance_after: i64,
}

pub(super) async fn try_settle(
    pool: &sqlx::PgPool,
    presses: &[Press],
    now: DateTime<Utc>,
) -> Result<(Vec<Result<Settled, AppError>>, std::time::Duration), sqlx::Error> {
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
    let audiences: Vec<i64> = items.values().flat_map(Item::audiences).collect();
    let campaigns: Vec<i64> = items.values().flat_map(Item::campaigns).collect();
    let mut members = members(&mut tx, &accounts, &audiences, &campaigns).await?;
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
            Outcome::Refused(AppError::not_found(
                crate::domain::i18n::tr().t("redemptions.the_reward"),
            ))
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
    let committing = std::time::Instant::now();
    tx.commit().await?;
    let commit = committing.elapsed();

    let answers = outcomes
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
                    points: Points::new(t.points)?,
                    cancelled: false,
                    created_label: format_time(item.zone, created_at),
                    created_at,
                    balance: Points::new(t.balance_after)?,
                    cancel_until: (now < until).then(|| format_time(item.zone, until)),
                    question: None,
                }))
            }
        })
        .collect();
    Ok((answers, commit))
}

/// The batch's presses as the post-drop report counts them, one column per field.
#[derive(Default)]
pub(super) struct Attempts {
    pub(super) items: Vec<i64>,
    pub(super) accounts: Vec<i64>,
    pub(super) ips: Vec<String>,
    pub(super) outcomes: Vec<String>,
}

/// Writes the batch: stock down per item, one ledger entry and one redemption per unit taken,
/// every attempt logged (one statement), then lots consumed per member. Returns each
/// redemption's creation time by code.
pub(super) async fn write_batch(
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
        crate::infra::ledger::consume_lots_for_redemptions(&mut *tx, &accounts, &codes, &costs)
            .await?;
    }
    Ok(created
        .into_iter()
        .map(|r| (r.code, r.created_at))
        .collect())
}

/// Logs a press refused before it reached the writer (which logs the rest in its batch). The
/// log is telemetry: written without waiting for its WAL flush, and a failure to write it
/// never fails the member's request.
pub(super) async fn record_attempt(caller: &Member, item_id: i64, refusal: &AppError) {
    let Some(outcome) = attempt_outcome(refusal) else {
        return;
    };
    let account_id = caller.account().id;
    let ip = crate::infra::caller::client_ip(caller.state());
    let write = async {
        let mut tx = caller.pool().begin().await?;
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
