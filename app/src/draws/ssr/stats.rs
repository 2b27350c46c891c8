//! What staff see of each draw's presses on "Enter": entries over time, refusals by reason, and
//! bursts that look automated, judged as the post-drop report judges a drop's presses.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::AppError;
use crate::domain::i18n::tr;
use crate::draws::{DrawStats, Tally};
use crate::infra::store::Store;
use crate::reports::ssr::{ACCOUNT_BURST, ADDRESS_BURST};

/// A window's bars: hourly up to two days, then every six hours (at most 28 for a week).
fn bucket_hours(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>) -> i64 {
    if closes_at - opens_at <= Duration::hours(48) {
        1
    } else {
        6
    }
}

fn reason(outcome: &str) -> &'static str {
    let tr = tr();
    match outcome {
        "cancelled" => tr.t("draws.reason.cancelled"),
        "early" => tr.t("draws.reason.early"),
        "closed" => tr.t("draws.reason.closed"),
        "tier" => tr.t("draws.reason.tier"),
        "audience" => tr.t("draws.reason.audience"),
        "unverified" => tr.t("draws.reason.unverified"),
        "account_age" => tr.t("draws.reason.account_age"),
        "no_purchase" => tr.t("draws.reason.no_purchase"),
        _ => tr.t("draws.reason.points"),
    }
}

/// The window of each draw, as the staff list read it.
pub struct Window {
    pub item: i64,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

/// Each listed draw's stats, in three queries for the whole list.
pub async fn stats(
    pool: &PgPool,
    store: &Store,
    windows: &[Window],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, DrawStats>, AppError> {
    let tr = tr();
    let items: Vec<i64> = windows.iter().map(|w| w.item).collect();
    let entries = sqlx::query!(
        r#"SELECT e.drop_item_id,
                  floor(extract(epoch FROM e.created_at - dr.opens_at) / 3600
                        / CASE WHEN dr.closes_at - dr.opens_at <= interval '48 hours' THEN 1 ELSE 6 END)::bigint AS "bucket!",
                  count(*) AS "n!"
           FROM draw_entries e JOIN draws dr ON dr.drop_item_id = e.drop_item_id
           WHERE e.drop_item_id = ANY($1) GROUP BY 1, 2"#,
        &items
    )
    .fetch_all(pool)
    .await?;
    let refusals = sqlx::query!(
        r#"SELECT drop_item_id, outcome, count(*) AS "n!" FROM draw_attempts
           WHERE drop_item_id = ANY($1) AND outcome NOT IN ('entered', 'again')
           GROUP BY 1, 2 ORDER BY 3 DESC, 2"#,
        &items
    )
    .fetch_all(pool)
    .await?;
    let suspects = sqlx::query!(
        r#"WITH per_second AS (
               SELECT t.drop_item_id, 'account' AS kind, a.email AS who, date_trunc('second', t.at) AS s, count(*) AS n
               FROM draw_attempts t JOIN accounts a ON a.id = t.account_id
               WHERE t.drop_item_id = ANY($1) GROUP BY 1, 3, 4
               UNION ALL
               SELECT t.drop_item_id, 'address', t.client_ip, date_trunc('second', t.at), count(*)
               FROM draw_attempts t WHERE t.drop_item_id = ANY($1) GROUP BY 1, 3, 4
           )
           SELECT drop_item_id AS "item!", kind AS "kind!", who AS "who!", max(n) AS "peak!", sum(n)::bigint AS "presses!"
           FROM per_second GROUP BY 1, 2, 3
           HAVING max(n) >= CASE kind WHEN 'account' THEN $2::bigint ELSE $3::bigint END
           ORDER BY 1, 4 DESC, 3"#,
        &items,
        ACCOUNT_BURST,
        ADDRESS_BURST
    )
    .fetch_all(pool)
    .await?;

    let mut out = HashMap::new();
    for w in windows {
        let hours = bucket_hours(w.opens_at, w.closes_at);
        let width = Duration::hours(hours);
        let until = now.min(w.closes_at);
        // Every bar up to the one this moment falls in (a closed window: up to its close).
        let (secs, step) = ((until - w.opens_at).num_seconds(), width.num_seconds());
        let bars = if secs <= 0 {
            0
        } else if until >= w.closes_at {
            (secs + step - 1) / step
        } else {
            secs / step + 1
        };
        let timeline = (0..bars)
            .map(|b| Tally {
                label: store.format_time(w.opens_at + width * b as i32),
                count: entries
                    .iter()
                    .find(|e| e.drop_item_id == w.item && e.bucket == b)
                    .map_or(0, |e| e.n),
            })
            .collect();
        out.insert(
            w.item,
            DrawStats {
                bucket: tr.count("draws.staff.per_hours", hours, &[]),
                timeline,
                refusals: refusals
                    .iter()
                    .filter(|r| r.drop_item_id == w.item)
                    .map(|r| Tally {
                        label: reason(&r.outcome).to_owned(),
                        count: r.n,
                    })
                    .collect(),
                suspects: suspects
                    .iter()
                    .filter(|s| s.item == w.item)
                    .take(20)
                    .map(|s| {
                        let key = if s.kind == "account" {
                            "draws.staff.suspect_account"
                        } else {
                            "draws.staff.suspect_address"
                        };
                        tr.f(
                            key,
                            &[
                                ("who", &s.who),
                                ("peak", &tr.number(s.peak)),
                                ("presses", &tr.number(s.presses)),
                            ],
                        )
                    })
                    .collect(),
            },
        );
    }
    Ok(out)
}
