//! Reading drops: the staff calendar and one drop with its items.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use sqlx::PgExecutor;

use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::drop_state::DropState;
use crate::domain::i18n::{Lang, tr};
use crate::domain::points::Points;
use crate::drops::{
    AudienceChoice, CalendarDay, DropCalendar, RewardChoice, StaffDrop, StaffDropDetail,
    StaffDropItem,
};
use crate::infra::caller::Staff;
use crate::infra::store::Store;

use super::rules::*;

/// One row of the drop listing query.
pub(super) struct DropRow {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    pub(super) cancelled: bool,
    pub(super) weekdays: Option<Vec<i16>>,
    pub(super) local_time: Option<NaiveTime>,
    pub(super) time_zone: Option<String>,
    pub(super) items: i64,
    pub(super) units: i64,
    pub(super) redeemed: i64,
}

impl DropRow {
    pub(super) fn into_staff(self, store: &Store, now: DateTime<Utc>) -> StaffDrop {
        let state = if self.cancelled {
            DropState::Cancelled
        } else if now < self.starts_at {
            DropState::Scheduled
        } else if now < self.ends_at {
            DropState::Live
        } else {
            DropState::Ended
        };
        let local = self.starts_at.with_timezone(&store.zone);
        let schedule = match (self.weekdays, self.local_time, self.time_zone) {
            (Some(days), Some(time), Some(zone)) => {
                let days: Vec<Weekday> = days
                    .iter()
                    .filter_map(|d| Weekday::try_from((*d - 1).clamp(0, 6) as u8).ok())
                    .collect();
                Some(describe_rule(&days, time, &zone))
            }
            _ => None,
        };
        StaffDrop {
            id: self.id,
            title: self.title,
            state,
            starts_label: store.format_time(self.starts_at),
            ends_label: store.format_time(self.ends_at),
            starts_time: local.format("%H:%M").to_string(),
            day: local.format("%Y-%m-%d").to_string(),
            items: self.items,
            units: self.units,
            redeemed: self.redeemed,
            schedule,
        }
    }
}

pub(super) async fn drop_rows(
    db: impl PgExecutor<'_>,
    id: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<DropRow>, AppError> {
    Ok(sqlx::query_as!(
        DropRow,
        r#"SELECT d.id, d.title, d.starts_at, d.ends_at, d.cancelled_at IS NOT NULL AS "cancelled!",
                  s.weekdays AS "weekdays?", s.local_time AS "local_time?", s.time_zone AS "time_zone?",
                  (SELECT count(*) FROM drop_items di WHERE di.drop_id = d.id) AS "items!",
                  (SELECT COALESCE(sum(di.quantity), 0) FROM drop_items di WHERE di.drop_id = d.id)::bigint AS "units!",
                  (SELECT count(*) FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
                   WHERE di.drop_id = d.id AND x.status = 'confirmed') AS "redeemed!"
           FROM drops d LEFT JOIN drop_schedules s ON s.id = d.schedule_id
           WHERE ($1::bigint IS NULL OR d.id = $1)
             AND ($2::timestamptz IS NULL OR d.starts_at >= $2)
             AND ($3::timestamptz IS NULL OR d.starts_at < $3)
           ORDER BY d.starts_at, d.id
           LIMIT 500"#,
        id,
        from,
        to
    )
    .fetch_all(db)
    .await?)
}

pub async fn calendar(
    caller: &Staff,
    view: Option<&str>,
    date: Option<&str>,
) -> Result<DropCalendar, AppError> {
    let pool = caller.pool();
    let store = crate::infra::store::load(pool).await?;
    let now = Utc::now();
    let today = now.with_timezone(&store.zone).date_naive();
    let anchor = date
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .unwrap_or(today);
    let month_view = view != Some("week");
    let tr = tr();
    // "November 2026", "Noviembre de 2026"; "Week of 23 November 2026", "Semana del 23 de
    // noviembre de 2026".
    let (month_format, week_format) = match tr.lang() {
        Lang::En => ("%B %Y", "%-d %B %Y"),
        Lang::Es => ("%B de %Y", "%-d de %B de %Y"),
    };
    let days = |n: u32| Duration::days(i64::from(n));
    let (grid_start, grid_end, range, title, previous, next) = if month_view {
        let first = anchor.with_day(1).unwrap_or(anchor);
        let next_month = (first + Duration::days(32)).with_day(1).unwrap_or(first);
        let previous_month = (first - Duration::days(1)).with_day(1).unwrap_or(first);
        let last = next_month - Duration::days(1);
        let start = first - days(first.weekday().num_days_from_monday());
        let end = last + days(7 - last.weekday().num_days_from_monday());
        (
            start,
            end,
            (first, next_month),
            capitalized(&local_format(tr, &first, month_format)),
            format!("view=month&date={previous_month}"),
            format!("view=month&date={next_month}"),
        )
    } else {
        let monday = anchor - days(anchor.weekday().num_days_from_monday());
        let end = monday + Duration::days(7);
        (
            monday,
            end,
            (monday, end),
            tr.f(
                "drops.calendar.week_of",
                &[("date", &local_format(tr, &monday, week_format))],
            ),
            format!("view=week&date={}", monday - Duration::days(7)),
            format!("view=week&date={end}"),
        )
    };
    let midnight = NaiveTime::MIN;
    let rows = drop_rows(
        pool,
        None,
        Some(local_moment(store.zone, grid_start, midnight)),
        Some(local_moment(store.zone, grid_end, midnight)),
    )
    .await?;
    let drops: Vec<StaffDrop> = rows
        .into_iter()
        .map(|r| r.into_staff(&store, now))
        .collect();
    let days = grid_start
        .iter_days()
        .take_while(|d| *d < grid_end)
        .map(|d| {
            let key = d.format("%Y-%m-%d").to_string();
            CalendarDay {
                label: local_format(tr, &d, "%a %-d %b"),
                in_range: d >= range.0 && d < range.1,
                today: d == today,
                drops: drops.iter().filter(|x| x.day == key).cloned().collect(),
                date: key,
            }
        })
        .collect();
    Ok(DropCalendar {
        month_view,
        title,
        previous,
        next,
        zone: store.info.time_zone.clone(),
        now_input: local_input(store.zone, now),
        days,
    })
}

pub async fn detail(
    pool: &sqlx::PgPool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<StaffDropDetail, AppError> {
    let store = crate::infra::store::load(pool).await?;
    let row = drop_rows(pool, Some(id), None, None)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(tr().t("drops.the_drop")))?;
    let (starts_at, ends_at) = (row.starts_at, row.ends_at);
    let opens = opens_at(pool, id, starts_at).await?;
    let editable = !row.cancelled && now < opens;
    let title_es = sqlx::query_scalar!("SELECT title_es FROM drops WHERE id = $1", id)
        .fetch_one(pool)
        .await?;
    let items = sqlx::query!(
        r#"SELECT di.id, di.reward_id, r.title, di.quantity, di.remaining, di.points_cost AS "points_cost: Points", di.per_member_limit,
                  t.name AS "early_tier?", (extract(epoch FROM di.early_access) / 60)::bigint AS early_minutes,
                  ea.name AS "early_audience?", au.name AS "audience?", di.audience_shown,
                  ec.name AS "early_campaign?", ac.name AS "campaign?"
           FROM drop_items di JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN campaigns ec ON ec.id = di.early_access_campaign_id
           LEFT JOIN campaigns ac ON ac.id = di.campaign_id
           LEFT JOIN tiers t ON t.code = di.early_access_tier
           LEFT JOIN audiences ea ON ea.id = di.early_access_audience_id
           LEFT JOIN audiences au ON au.id = di.audience_id
           WHERE di.drop_id = $1 ORDER BY r.title, di.id"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        let tr = tr();
        Ok(StaffDropItem {
            id: r.id,
            reward_id: r.reward_id,
            title: r.title,
            quantity: r.quantity,
            remaining: r.remaining,
            points_cost: r.points_cost,
            per_member_limit: r.per_member_limit,
            early_access: match (r.early_tier, r.early_audience, r.early_minutes) {
                (None, None, Some(m)) => r.early_campaign.map(|campaign| {
                    tr.count(
                        "drops.items.early_campaign",
                        m,
                        &[("campaign", &campaign)],
                    )
                }),
                (Some(tier), _, Some(m)) => {
                    let tier = Tier::parse_name(&tier).map_or(tier, |t| t.label(tr).to_owned());
                    Some(tr.count("drops.items.early_access", m, &[("tier", &tier)]))
                }
                (None, Some(audience), Some(m)) => Some(tr.count(
                    "drops.items.early_audience",
                    m,
                    &[("audience", &audience)],
                )),
                _ => None,
            },
            audience: r.campaign.map(|campaign| {
                tr.f("drops.items.for_campaign", &[("campaign", &campaign)])
            }).or(r.audience.map(|audience| {
                let key = if r.audience_shown {
                    "drops.items.audience_shown"
                } else {
                    "drops.items.audience_hidden"
                };
                tr.f(key, &[("audience", &audience)])
            })),
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let choices = sqlx::query!(
        r#"SELECT id, title, points_cost AS "points_cost: Points" FROM rewards WHERE archived_at IS NULL ORDER BY title LIMIT 1000"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(RewardChoice {
            id: r.id,
            title: r.title,
            points_cost: r.points_cost,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let audiences = sqlx::query!("SELECT id, name FROM audiences ORDER BY lower(name), id")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| AudienceChoice {
            id: r.id,
            name: r.name,
        })
        .collect();
    Ok(StaffDropDetail {
        drop: row.into_staff(&store, now),
        title_es,
        starts_input: local_input(store.zone, starts_at),
        ends_input: local_input(store.zone, ends_at),
        zone: store.info.time_zone.clone(),
        editable,
        items,
        choices,
        audiences,
    })
}

/// A heading's first letter in capitals: Spanish month names are written in lower case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// When the first member may redeem: the start, less the longest early access.
pub(super) async fn opens_at(
    db: impl PgExecutor<'_>,
    drop_id: i64,
    starts_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let early = sqlx::query_scalar!(
        r#"SELECT COALESCE(max(extract(epoch FROM early_access)), 0)::bigint AS "secs!"
           FROM drop_items WHERE drop_id = $1"#,
        drop_id
    )
    .fetch_one(db)
    .await?;
    Ok(starts_at - Duration::seconds(early))
}
