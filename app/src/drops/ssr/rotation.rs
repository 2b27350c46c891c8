//! Rotation that runs itself (issue 26, part 0): schedules keep eight weeks of drops ahead, and
//! a schedule's template fills each occurrence a set time before it opens. Both run from every
//! server's hourly jobs (one server at a time, by advisory lock) and are safe to run twice: an
//! occurrence is made once (`drops_schedule_occurrence_unique`), and a drop is filled once (its
//! row taken `FOR UPDATE SKIP LOCKED`, `filled_at` set in the same transaction).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use sqlx::PgPool;

use crate::AppError;
use crate::domain::category::Category;
use crate::domain::i18n::Tr;

use super::rules::{local_format, next_occurrences};

/// How far ahead every running schedule keeps its drops.
pub const WEEKS_AHEAD: i64 = 8;

pub(super) fn weekday(iso: i16) -> Option<Weekday> {
    match iso {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        7 => Some(Weekday::Sun),
        _ => None,
    }
}

/// The store's default language: what work outside a request writes titles and notes in.
fn store_tr() -> Tr {
    crate::infra::mail::reader(None, "UTC").0
}

/// Makes every running schedule's missing occurrences up to `WEEKS_AHEAD` weeks after `now`,
/// leaving out dates staff skipped. Returns how many drops it made.
pub async fn keep_rolling(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, AppError> {
    let schedules = sqlx::query!(
        r#"SELECT id, title, weekdays, local_time, time_zone,
                  (extract(epoch FROM duration))::bigint AS "duration_secs!",
                  ARRAY(SELECT local_date FROM schedule_skips k WHERE k.schedule_id = s.id) AS "skips!"
           FROM drop_schedules s WHERE paused_at IS NULL AND ended_at IS NULL ORDER BY id"#
    )
    .fetch_all(pool)
    .await?;
    let tr = store_tr();
    let mut made = 0;
    for s in schedules {
        let zone: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let days: Vec<Weekday> = s.weekdays.iter().filter_map(|d| weekday(*d)).collect();
        let horizon = now + Duration::weeks(WEEKS_AHEAD);
        let count = days.len() * (WEEKS_AHEAD as usize + 1);
        let (mut titles, mut starts) = (Vec::new(), Vec::new());
        for starts_at in next_occurrences(zone, &days, s.local_time, now, count) {
            let local = starts_at.with_timezone(&zone);
            if starts_at > horizon || s.skips.contains(&local.date_naive()) {
                continue;
            }
            titles.push(format!(
                "{} \u{b7} {}",
                s.title,
                local_format(tr, &local, "%a %-d %b")
            ));
            starts.push(starts_at);
        }
        let inserted = sqlx::query!(
            r#"INSERT INTO drops (title, starts_at, ends_at, schedule_id)
               SELECT t.title, t.starts_at, t.starts_at + make_interval(secs => $3::float8), $4
               FROM unnest($1::text[], $2::timestamptz[]) AS t(title, starts_at)
               ON CONFLICT (schedule_id, starts_at) DO NOTHING"#,
            &titles,
            &starts,
            s.duration_secs as f64,
            s.id
        )
        .execute(pool)
        .await?;
        made += inserted.rows_affected();
    }
    Ok(made)
}

/// One pool of a template as the fill reads it.
struct Pool {
    category: Option<String>,
    tag: Option<String>,
    reward_ids: Option<Vec<i64>>,
    picks: i32,
    quantity: i32,
    points_cost: Option<i64>,
    per_member_limit: i32,
    early_access_tier: Option<String>,
    early_minutes: Option<i32>,
}

/// A pool in words, for the dry-pool note: "Gifts", "#travel", "3 chosen rewards".
pub fn describe_pool(
    tr: Tr,
    category: Option<&str>,
    tag: Option<&str>,
    rewards: Option<usize>,
) -> String {
    match (
        category.and_then(|c| c.parse::<Category>().ok()),
        tag,
        rewards,
    ) {
        (Some(c), _, _) => c.label().to_owned(),
        (_, Some(tag), _) => format!("#{tag}"),
        (_, _, Some(n)) => tr.count("drops.rotation.chosen", n as i64, &[]),
        _ => String::new(),
    }
}

/// Fills every occurrence due (its schedule has a template, it opens within the schedule's fill
/// time, not filled yet, not cancelled). Returns how many drops it filled.
pub async fn fill_due(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let due = sqlx::query_scalar!(
        r#"SELECT d.id FROM drops d JOIN drop_schedules s ON s.id = d.schedule_id
           WHERE d.filled_at IS NULL AND d.cancelled_at IS NULL AND d.starts_at > $1
             AND d.starts_at <= $1 + make_interval(hours => s.fill_hours)
             AND s.paused_at IS NULL AND s.ended_at IS NULL
             AND EXISTS (SELECT 1 FROM schedule_pools p WHERE p.schedule_id = s.id)
           ORDER BY d.starts_at"#,
        now
    )
    .fetch_all(pool)
    .await?;
    let mut filled = 0;
    for drop_id in due {
        if fill_one(pool, drop_id, now).await? {
            filled += 1;
        }
    }
    Ok(filled)
}

/// Fills drop `drop_id` from its schedule's template, unless another server is filling it or it
/// is filled already. Each pool picks at random among the rewards it covers that are not
/// archived, not already in this drop, and not in the schedule's last `no_repeat_drops` drops.
pub async fn fill_one(pool: &PgPool, drop_id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
    let tr = store_tr();
    let mut tx = pool.begin().await?;
    let drop = sqlx::query!(
        r#"SELECT d.schedule_id AS "schedule_id!", d.starts_at, s.no_repeat_drops
           FROM drops d JOIN drop_schedules s ON s.id = d.schedule_id
           WHERE d.id = $1 AND d.filled_at IS NULL AND d.cancelled_at IS NULL
           FOR UPDATE OF d SKIP LOCKED"#,
        drop_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(drop) = drop else {
        return Ok(false);
    };
    let pools = sqlx::query_as!(
        Pool,
        r#"SELECT category, tag, reward_ids, picks, quantity, points_cost, per_member_limit,
                  early_access_tier, early_minutes
           FROM schedule_pools WHERE schedule_id = $1 ORDER BY id"#,
        drop.schedule_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut dry = Vec::new();
    for p in &pools {
        let picked = sqlx::query_scalar!(
            r#"SELECT r.id FROM rewards r
               WHERE r.archived_at IS NULL
                 AND ($2::text IS NULL OR r.category = $2)
                 AND ($3::text IS NULL OR $3 = ANY (r.tags))
                 AND ($4::bigint[] IS NULL OR r.id = ANY ($4))
                 AND NOT EXISTS (SELECT 1 FROM drop_items di WHERE di.drop_id = $1 AND di.reward_id = r.id)
                 AND NOT EXISTS (
                     SELECT 1 FROM drop_items di
                     JOIN (SELECT d.id FROM drops d
                           WHERE d.schedule_id = $5 AND d.starts_at < $6 AND d.cancelled_at IS NULL
                           ORDER BY d.starts_at DESC LIMIT $7) recent ON recent.id = di.drop_id
                     WHERE di.reward_id = r.id)
               ORDER BY random() LIMIT $8"#,
            drop_id,
            p.category,
            p.tag,
            p.reward_ids.as_deref(),
            drop.schedule_id,
            drop.starts_at,
            i64::from(drop.no_repeat_drops),
            i64::from(p.picks)
        )
        .fetch_all(&mut *tx)
        .await?;
        if picked.len() < p.picks as usize {
            dry.push(tr.f(
                "drops.rotation.dry_pool",
                &[
                    (
                        "pool",
                        &describe_pool(
                            tr,
                            p.category.as_deref(),
                            p.tag.as_deref(),
                            p.reward_ids.as_ref().map(Vec::len),
                        ),
                    ),
                    ("found", &picked.len().to_string()),
                    ("wanted", &p.picks.to_string()),
                ],
            ));
        }
        sqlx::query!(
            r#"INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost,
                                       per_member_limit, early_access_tier, early_access)
               SELECT $1, r.id, $3, $3, COALESCE($4, r.points_cost), $5, $6,
                      CASE WHEN $7::int IS NULL THEN NULL ELSE make_interval(mins => $7::int) END
               FROM rewards r WHERE r.id = ANY ($2)"#,
            drop_id,
            &picked,
            p.quantity,
            p.points_cost,
            p.per_member_limit,
            p.early_access_tier,
            p.early_minutes
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE drops SET filled_at = $2 WHERE id = $1",
        drop_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let note = (!dry.is_empty()).then(|| dry.join(" · "));
    sqlx::query!(
        "UPDATE drop_schedules SET dry_pools = $2 WHERE id = $1",
        drop.schedule_id,
        note
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A date in a schedule's zone, as staff type it (`2026-12-25`).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// The moment a schedule's occurrence on `date` starts (for cancelling a skipped one).
pub fn occurrence_on(zone: chrono_tz::Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    super::rules::local_moment(zone, date, time)
}
