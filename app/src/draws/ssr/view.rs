//! A draw's page and its check, as the server writes them in the reader's words.

use chrono::Utc;
use sqlx::PgPool;

use super::algorithm::{self, Entry};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::draws::{CheckStep, DrawCheck, DrawView, MyEntry, Published};

/// A draw's row with its reward, in the reader's language.
struct Row {
    title: String,
    description: String,
    cost: i64,
    quantity: i32,
    opens_at: chrono::DateTime<Utc>,
    closes_at: chrono::DateTime<Utc>,
    drawn_at: Option<chrono::DateTime<Utc>>,
    cancelled: bool,
    seed: Vec<u8>,
    commitment: String,
    tickets: serde_json::Value,
    verified: bool,
    account_days: i32,
    purchase: bool,
    entry_list: Option<String>,
    entries_hash: Option<String>,
    zone: chrono_tz::Tz,
}

async fn row(pool: &PgPool, item: i64) -> Result<Row, AppError> {
    let tr = tr();
    let spanish = tr.lang().code() == "es";
    let r = sqlx::query!(
        r#"SELECT r.title, r.title_es, r.description, r.description_es, di.points_cost, di.quantity,
                  dr.opens_at, dr.closes_at, dr.drawn_at, dr.cancelled_at IS NOT NULL AS "cancelled!",
                  dr.seed, dr.commitment, dr.tickets, dr.require_verified_email, dr.min_account_days,
                  dr.require_purchase, dr.entry_list, dr.entries_hash, s.time_zone
           FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id
           JOIN rewards r ON r.id = di.reward_id CROSS JOIN store_settings s
           WHERE dr.drop_item_id = $1"#,
        item
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("draws.that_draw")))?;
    Ok(Row {
        title: if spanish {
            r.title_es.unwrap_or(r.title.clone())
        } else {
            r.title
        },
        description: if spanish {
            r.description_es.unwrap_or(r.description.clone())
        } else {
            r.description
        },
        cost: r.points_cost,
        quantity: r.quantity,
        opens_at: r.opens_at,
        closes_at: r.closes_at,
        drawn_at: r.drawn_at,
        cancelled: r.cancelled,
        seed: r.seed,
        commitment: r.commitment,
        tickets: r.tickets,
        verified: r.require_verified_email,
        account_days: r.min_account_days,
        purchase: r.require_purchase,
        entry_list: r.entry_list,
        entries_hash: r.entries_hash,
        zone: r.time_zone.parse().unwrap_or(chrono_tz::UTC),
    })
}

/// The published entry list read back.
fn entries_of(list: &str) -> Vec<Entry> {
    list.lines()
        .filter_map(|line| {
            let (code, tickets) = line.split_once(',')?;
            Some(Entry {
                code: code.to_owned(),
                tickets: tickets.parse().ok()?,
            })
        })
        .collect()
}

/// What was published once drawn, with the winners in the order they were picked.
fn published(row: &Row) -> Option<Published> {
    let (list, hash) = (row.entry_list.as_ref()?, row.entries_hash.as_ref()?);
    row.drawn_at?;
    let winners = algorithm::draw(&row.seed, &entries_of(list), row.quantity as usize)
        .into_iter()
        .map(|p| p.winner)
        .collect();
    Some(Published {
        seed: algorithm::hex(&row.seed),
        entries_hash: hash.clone(),
        entry_list: list.clone(),
        winners,
    })
}

/// Entries that count (open, or drawn won or lost) and their tickets.
struct Tally {
    entries: i64,
    tickets: i64,
}

async fn tally(pool: &PgPool, item: i64) -> Result<Tally, AppError> {
    let t = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE outcome IS NULL OR outcome IN ('won', 'lost')) AS "entries!",
                  COALESCE(sum(tickets) FILTER (WHERE outcome IS NULL OR outcome IN ('won', 'lost')), 0)::bigint AS "tickets!"
           FROM draw_entries WHERE drop_item_id = $1"#,
        item
    )
    .fetch_one(pool)
    .await?;
    Ok(Tally {
        entries: t.entries,
        tickets: t.tickets,
    })
}

/// "12 winners · 340 entries".
fn counts_line(quantity: i32, entries: i64) -> String {
    let tr = tr();
    tr.f(
        "draws.counts",
        &[
            (
                "winners",
                &tr.count("draws.winners", i64::from(quantity), &[]),
            ),
            ("entries", &tr.count("draws.entries", entries, &[])),
        ],
    )
}

/// The entry count alone, as the open page re-reads it.
pub async fn live_counts(pool: &PgPool, item: i64) -> Result<String, AppError> {
    let quantity = sqlx::query_scalar!(
        "SELECT di.quantity FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id WHERE dr.drop_item_id = $1",
        item
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("draws.that_draw")))?;
    Ok(counts_line(quantity, tally(pool, item).await?.entries))
}

pub async fn draw(pool: &PgPool, viewer: Option<i64>, item: i64) -> Result<DrawView, AppError> {
    let tr = tr();
    let row = row(pool, item).await?;
    let when = |at| crate::infra::store::format_time(row.zone, at);
    let now = Utc::now();
    let open =
        !row.cancelled && row.drawn_at.is_none() && now >= row.opens_at && now < row.closes_at;
    let window = if row.cancelled {
        tr.t("draws.window.cancelled").to_owned()
    } else if let Some(at) = row.drawn_at {
        tr.f("draws.window.drawn", &[("when", &when(at))])
    } else if now < row.opens_at {
        tr.f(
            "draws.window.soon",
            &[
                ("opens", &when(row.opens_at)),
                ("closes", &when(row.closes_at)),
            ],
        )
    } else if now < row.closes_at {
        tr.f("draws.window.open", &[("closes", &when(row.closes_at))])
    } else {
        tr.f("draws.window.closed", &[("when", &when(row.closes_at))])
    };
    let counts = tally(pool, item).await?;
    let mut rules = Vec::new();
    for (code, tier) in [("gold", "tiers.gold"), ("silver", "tiers.silver")] {
        if let Some(n) = row
            .tickets
            .get(code)
            .and_then(|n| n.as_i64())
            .filter(|n| *n > 1)
        {
            rules.push(tr.count("draws.rules.tickets", n, &[("tier", tr.t(tier))]));
        }
    }
    if rules.is_empty() {
        rules.push(tr.t("draws.rules.one_ticket").to_owned());
    }
    if row.verified {
        rules.push(tr.t("draws.rules.verified").to_owned());
    }
    if row.account_days > 0 {
        rules.push(tr.count("draws.rules.account_days", i64::from(row.account_days), &[]));
    }
    if row.purchase {
        rules.push(tr.t("draws.rules.purchase").to_owned());
    }
    let cost = tr.points(crate::domain::points::Points::new(row.cost)?);
    let mine = match viewer {
        None => None,
        Some(account) => sqlx::query!(
            r#"SELECT e.code, e.tickets, e.outcome, x.code AS "redemption?"
               FROM draw_entries e LEFT JOIN redemptions x ON x.id = e.redemption_id
               WHERE e.drop_item_id = $1 AND e.account_id = $2
               ORDER BY e.outcome IS NULL DESC, e.id DESC LIMIT 1"#,
            item,
            account
        )
        .fetch_optional(pool)
        .await?
        .map(|e| {
            let tickets = tr.count("draws.tickets", i64::from(e.tickets), &[]);
            let status = match e.outcome.as_deref() {
                None => tr.f(
                    "draws.mine.held",
                    &[("points", &cost), ("tickets", &tickets)],
                ),
                Some("won") => tr.t("draws.mine.won").to_owned(),
                Some("lost") => tr.f("draws.mine.lost", &[("points", &cost)]),
                Some("cancelled") => tr.f("draws.mine.cancelled", &[("points", &cost)]),
                _ => tr.f("draws.mine.withdrawn", &[("points", &cost)]),
            };
            (
                e.tickets,
                MyEntry {
                    code: e.code,
                    status,
                    redemption: e.redemption,
                    open: e.outcome.is_none(),
                },
            )
        }),
    };
    let reminded = match viewer {
        Some(account) if !row.cancelled && row.drawn_at.is_none() && now < row.closes_at => Some(
            sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM draw_reminders WHERE drop_item_id = $1 AND account_id = $2) AS "on!""#,
                item,
                account
            )
            .fetch_one(pool)
            .await?,
        ),
        _ => None,
    };
    // The member's chance once the entries are known: their tickets' share of all tickets,
    // times the winners, at most certain. (Picking without replacement makes it a little
    // higher; "about" says so.)
    let odds = match (&mine, now >= row.closes_at && !row.cancelled) {
        (Some((tickets, entry)), true) if entry.open || row.drawn_at.is_some() => {
            let share = (f64::from(*tickets) / counts.tickets.max(1) as f64
                * f64::from(row.quantity))
            .min(1.0);
            Some(tr.f(
                "draws.odds",
                &[("n", &tr.number((share * 100.0).round() as i64))],
            ))
        }
        _ => None,
    };
    Ok(DrawView {
        item_id: item,
        title: row.title.clone(),
        description: row.description.clone(),
        cost,
        window,
        counts: counts_line(row.quantity, counts.entries),
        rules,
        commitment: row.commitment.clone(),
        open,
        signed_in: viewer.is_some(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        mine: mine.map(|(_, entry)| entry),
        reminded,
        remind_hours: super::reminders::LEAD_HOURS,
        odds,
        published: published(&row),
    })
}

/// The check: the commitment against the seed, the list against its hash, and the winners
/// recomputed step by step from the published data alone.
pub async fn check(pool: &PgPool, item: i64) -> Result<DrawCheck, AppError> {
    let tr = tr();
    let row = row(pool, item).await?;
    let published = published(&row);
    let (commitment_holds, hash_holds, steps, same_winners) = match &published {
        None => (false, false, Vec::new(), false),
        Some(p) => {
            let entries = entries_of(&p.entry_list);
            let picks = algorithm::draw(&row.seed, &entries, row.quantity as usize);
            let named: Vec<String> = sqlx::query_scalar!(
                "SELECT code FROM draw_entries WHERE drop_item_id = $1 AND outcome = 'won' ORDER BY code",
                item
            )
            .fetch_all(pool)
            .await?;
            let mut recomputed: Vec<String> = picks.iter().map(|p| p.winner.clone()).collect();
            recomputed.sort();
            (
                algorithm::commitment(&row.seed) == row.commitment,
                algorithm::hex(&algorithm::entries_hash(&entries)) == p.entries_hash,
                picks
                    .into_iter()
                    .map(|p| CheckStep {
                        number: p.number.to_string(),
                        total: tr.number(p.total as i64),
                        winner: p.winner,
                    })
                    .collect(),
                recomputed == named,
            )
        }
    };
    Ok(DrawCheck {
        item_id: item,
        title: row.title.clone(),
        commitment: row.commitment.clone(),
        commitment_holds,
        hash_holds,
        steps,
        same_winners,
        published,
    })
}
