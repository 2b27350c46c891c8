//! Staff and rotation: the schedules with their templates, adding and removing a pool, pausing,
//! resuming or ending a schedule, skipping a date, and the fill's timing. Audited.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use super::rotation::{describe_pool, occurrence_on, parse_date, weekday};
use super::rules::describe_rule_in;
use crate::AppError;
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::drops::rotation::{PoolRow, RotationView, ScheduleRow};
use crate::infra::audit::audit;
use crate::infra::caller::Staff;

fn whole(field: &str, raw: &str, low: i64, high: i64) -> Result<i64, AppError> {
    raw.trim()
        .replace(',', "")
        .parse::<i64>()
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| {
            AppError::invalid(
                field,
                tr().f(
                    "drops.rotation.error.range",
                    &[("low", &low.to_string()), ("high", &high.to_string())],
                ),
            )
        })
}

/// Back to the rotation page after a change (at the schedule changed), its data read afresh.
pub fn back_to(schedule: Option<i64>) {
    let at = schedule
        .map(|id| format!("#schedule-{id}"))
        .unwrap_or_default();
    leptos_axum::redirect(&format!(
        "/staff/rotation?saved={}{at}",
        crate::infra::fresh()
    ));
}

/// A pool as staff posted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPool {
    pub category: Option<String>,
    pub tag: Option<String>,
    pub reward_ids: Option<Vec<i64>>,
    pub picks: i32,
    pub quantity: i32,
    pub points_cost: Option<i64>,
    pub per_member_limit: i32,
    pub early: Option<(String, i32)>,
}

impl NewPool {
    /// `source` is `category:gift`, `tag:travel` or `rewards:12,15,19`.
    pub fn parse(
        source: &str,
        picks: &str,
        quantity: &str,
        points_cost: &str,
        per_member_limit: &str,
        early_tier: &str,
        early_minutes: &str,
    ) -> Result<NewPool, AppError> {
        let tr = tr();
        let bad_source = || AppError::invalid("source", tr.t("drops.rotation.error.source"));
        let (kind, value) = source.trim().split_once(':').ok_or_else(bad_source)?;
        let value = value.trim();
        let (category, tag, reward_ids) = match kind {
            "category" => (
                Some(
                    value
                        .parse::<Category>()
                        .map_err(|_| bad_source())?
                        .slug()
                        .to_owned(),
                ),
                None,
                None,
            ),
            "tag"
                if !value.is_empty()
                    && value.len() <= 30
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                (None, Some(value.to_owned()), None)
            }
            "rewards" => {
                let ids = value
                    .split(',')
                    .map(|id| id.trim().parse::<i64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| bad_source())?;
                if ids.is_empty() {
                    return Err(bad_source());
                }
                (None, None, Some(ids))
            }
            _ => return Err(bad_source()),
        };
        let early = match (early_tier.trim(), early_minutes.trim()) {
            ("", "") => None,
            (tier, minutes) if !tier.is_empty() => Some((
                tier.to_owned(),
                whole("early_minutes", minutes, 1, 1440)? as i32,
            )),
            _ => {
                return Err(AppError::invalid(
                    "early_access_tier",
                    tr.t("drops.invalid.early_both"),
                ));
            }
        };
        Ok(NewPool {
            category,
            tag,
            reward_ids,
            picks: whole("picks", picks, 1, 20)? as i32,
            quantity: whole("quantity", quantity, 1, 100_000)? as i32,
            points_cost: match points_cost.trim() {
                "" => None,
                raw => Some(whole("points_cost", raw, 1, 1_000_000)?),
            },
            per_member_limit: whole("per_member_limit", per_member_limit, 1, 100)? as i32,
            early,
        })
    }
}

async fn schedule_exists(pool: &PgPool, id: i64) -> Result<(), AppError> {
    sqlx::query_scalar!("SELECT id FROM drop_schedules WHERE id = $1", id)
        .fetch_optional(pool)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::not_found(tr().t("drops.rotation.that_schedule")))
}

pub async fn add_pool(caller: &Staff, schedule: i64, p: &NewPool) -> Result<(), AppError> {
    schedule_exists(caller.pool(), schedule).await?;
    let mut tx = caller.pool().begin().await?;
    let (tier, minutes) = p.early.clone().unzip();
    let id = sqlx::query_scalar!(
        r#"INSERT INTO schedule_pools (schedule_id, category, tag, reward_ids, picks, quantity,
                                       points_cost, per_member_limit, early_access_tier, early_minutes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"#,
        schedule,
        p.category,
        p.tag,
        p.reward_ids.as_deref(),
        p.picks,
        p.quantity,
        p.points_cost,
        p.per_member_limit,
        tier,
        minutes
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        match crate::domain::error::server::violated_constraint(&e) {
            Some("schedule_pools_early_access_tier_fkey") => {
                AppError::invalid("early_access_tier", tr().t("drops.invalid.early_tier"))
            }
            _ => e.into(),
        }
    })?;
    audit(
        &mut tx,
        caller.account().id,
        "schedule.pool_add",
        &format!("schedule:{schedule}"),
        None,
        Some(
            json!({ "pool": id, "category": p.category, "tag": p.tag, "rewards": p.reward_ids,
                     "picks": p.picks, "quantity": p.quantity }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_pool(caller: &Staff, pool_id: i64) -> Result<(), AppError> {
    let mut tx = caller.pool().begin().await?;
    let schedule = sqlx::query_scalar!(
        "DELETE FROM schedule_pools WHERE id = $1 RETURNING schedule_id",
        pool_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("drops.rotation.that_pool")))?;
    audit(
        &mut tx,
        caller.account().id,
        "schedule.pool_remove",
        &format!("schedule:{schedule}"),
        Some(json!({ "pool": pool_id })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Pauses (no new drops, no fills), resumes, or ends (for good) schedule `id`.
pub async fn set_state(caller: &Staff, id: i64, state: &str) -> Result<(), AppError> {
    let tr = tr();
    schedule_exists(caller.pool(), id).await?;
    let mut tx = caller.pool().begin().await?;
    let changed = match state {
        "pause" => sqlx::query!(
            "UPDATE drop_schedules SET paused_at = now() WHERE id = $1 AND ended_at IS NULL",
            id
        ),
        "resume" => sqlx::query!(
            "UPDATE drop_schedules SET paused_at = NULL WHERE id = $1 AND ended_at IS NULL",
            id
        ),
        "end" => sqlx::query!(
            "UPDATE drop_schedules SET ended_at = COALESCE(ended_at, now()), paused_at = NULL WHERE id = $1",
            id
        ),
        _ => return Err(AppError::bad_request(tr.t("drops.rotation.error.state"))),
    }
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict {
            message: tr.t("drops.rotation.error.ended").to_owned(),
        });
    }
    audit(
        &mut tx,
        caller.account().id,
        &format!("schedule.{state}"),
        &format!("schedule:{id}"),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Skips `date` (in the schedule's zone): no drop is made for it, and one already made is
/// cancelled the usual way (members who asked to be reminded are told). Returns the cancelled
/// drop, if there was one.
pub async fn skip_date(
    caller: &Staff,
    id: i64,
    date: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let tr = tr();
    let date = parse_date(date)
        .ok_or_else(|| AppError::invalid("date", tr.t("drops.rotation.error.date")))?;
    let schedule = sqlx::query!(
        "SELECT local_time, time_zone FROM drop_schedules WHERE id = $1",
        id
    )
    .fetch_optional(caller.pool())
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("drops.rotation.that_schedule")))?;
    let zone: chrono_tz::Tz = schedule.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let mut tx = caller.pool().begin().await?;
    sqlx::query!(
        "INSERT INTO schedule_skips (schedule_id, local_date) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        id,
        date
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "schedule.skip",
        &format!("schedule:{id}"),
        None,
        Some(json!({ "date": date })),
    )
    .await?;
    tx.commit().await?;
    let starts_at = occurrence_on(zone, date, schedule.local_time);
    let made = sqlx::query_scalar!(
        "SELECT id FROM drops WHERE schedule_id = $1 AND starts_at = $2 AND cancelled_at IS NULL",
        id,
        starts_at
    )
    .fetch_optional(caller.pool())
    .await?;
    if let Some(drop) = made {
        super::commands::cancel(caller, drop, now).await?;
    }
    Ok(made)
}

/// How long before opening the template fills a drop, and within how many drops a reward is
/// not picked again.
pub async fn set_fill(
    caller: &Staff,
    id: i64,
    hours: &str,
    no_repeat: &str,
) -> Result<(), AppError> {
    let hours = whole("fill_hours", hours, 1, 336)? as i32;
    let no_repeat = whole("no_repeat_drops", no_repeat, 0, 52)? as i32;
    schedule_exists(caller.pool(), id).await?;
    let mut tx = caller.pool().begin().await?;
    sqlx::query!(
        "UPDATE drop_schedules SET fill_hours = $2, no_repeat_drops = $3 WHERE id = $1",
        id,
        hours,
        no_repeat
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "schedule.fill",
        &format!("schedule:{id}"),
        None,
        Some(json!({ "fill_hours": hours, "no_repeat_drops": no_repeat })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every schedule with its template and state, for the rotation page.
pub async fn view(pool: &PgPool) -> Result<RotationView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let schedules = sqlx::query!(
        r#"SELECT s.id, s.title, s.weekdays, s.local_time, s.time_zone, s.paused_at, s.ended_at,
                  s.fill_hours, s.no_repeat_drops, s.dry_pools,
                  ARRAY(SELECT to_char(k.local_date, 'YYYY-MM-DD') FROM schedule_skips k
                        WHERE k.schedule_id = s.id ORDER BY k.local_date) AS "skips!",
                  (SELECT max(d.starts_at) FROM drops d WHERE d.schedule_id = s.id AND d.cancelled_at IS NULL) AS last_drop
           FROM drop_schedules s ORDER BY s.ended_at IS NOT NULL, s.id"#
    )
    .fetch_all(pool)
    .await?;
    let pools = sqlx::query!(
        r#"SELECT id, schedule_id, category, tag, reward_ids, picks, quantity, points_cost
           FROM schedule_pools ORDER BY id"#
    )
    .fetch_all(pool)
    .await?;
    let rows = schedules
        .into_iter()
        .map(|s| {
            let days: Vec<chrono::Weekday> =
                s.weekdays.iter().filter_map(|d| weekday(*d)).collect();
            ScheduleRow {
                id: s.id,
                title: s.title,
                rule: describe_rule_in(tr, &days, s.local_time, &s.time_zone),
                state: if s.ended_at.is_some() {
                    tr.t("drops.rotation.state.ended").to_owned()
                } else if s.paused_at.is_some() {
                    tr.t("drops.rotation.state.paused").to_owned()
                } else {
                    tr.t("drops.rotation.state.running").to_owned()
                },
                paused: s.paused_at.is_some(),
                ended: s.ended_at.is_some(),
                fill_hours: s.fill_hours.to_string(),
                no_repeat: s.no_repeat_drops.to_string(),
                skips: s.skips,
                dry: s.dry_pools,
                ahead: s
                    .last_drop
                    .map(|at| tr.f("drops.rotation.ahead", &[("when", &store.format_time(at))])),
                pools: pools
                    .iter()
                    .filter(|p| p.schedule_id == s.id)
                    .map(|p| PoolRow {
                        id: p.id,
                        described: tr.f(
                            "drops.rotation.pool",
                            &[
                                ("picks", &p.picks.to_string()),
                                (
                                    "pool",
                                    &describe_pool(
                                        tr,
                                        p.category.as_deref(),
                                        p.tag.as_deref(),
                                        p.reward_ids.as_ref().map(Vec::len),
                                    ),
                                ),
                                ("quantity", &tr.number(i64::from(p.quantity))),
                            ],
                        ),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(RotationView { schedules: rows })
}

/// The staff home page's warnings: each schedule whose last fill found a pool short.
pub async fn alerts(pool: &PgPool) -> Result<Vec<String>, AppError> {
    let tr = tr();
    Ok(sqlx::query!(
        r#"SELECT title, dry_pools AS "dry!" FROM drop_schedules
           WHERE dry_pools IS NOT NULL AND ended_at IS NULL ORDER BY id"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        tr.f(
            "drops.rotation.alert",
            &[("schedule", &r.title), ("pools", &r.dry)],
        )
    })
    .collect())
}
