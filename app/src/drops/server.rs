//! Drop scheduling on the server, where the time-zone database lives (chrono-tz is kept out of
//! the browser bundle).

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};

use super::{
    CalendarDay, DropCalendar, DropState, RewardChoice, SCHEDULE_AHEAD, SchedulePreview, StaffDrop,
    StaffDropDetail, StaffDropItem,
};
use crate::AppError;
use crate::auth::server::Caller;
use crate::error::server::violated_constraint;
use crate::ledger::Points;
use crate::staff::server::audit;
use crate::store::server::Store;

/// The moment a local wall-clock time happens in `zone` on `date`.
///
/// Daylight-saving changes make some local times happen twice (autumn) and some never (spring).
/// A drop at a doubled time opens at the first of the two; a drop at a skipped time opens when
/// the clocks jump, i.e. at the first local time that exists after it.
pub fn local_moment(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Step forward minute by minute to the end of the gap (gaps are at most a few hours).
            (1..=24 * 60)
                .find_map(|m| {
                    zone.from_local_datetime(&(naive + Duration::minutes(m)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
        }
    }
}

/// The next `count` occurrences strictly after `after` of a weekly schedule: the given weekdays
/// at `time` local to `zone`.
pub fn next_occurrences(
    zone: Tz,
    weekdays: &[Weekday],
    time: NaiveTime,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Utc>> {
    if weekdays.is_empty() {
        return Vec::new();
    }
    let mut date = after.with_timezone(&zone).date_naive();
    let mut found = Vec::with_capacity(count);
    while found.len() < count {
        if weekdays.contains(&date.weekday()) {
            let at = local_moment(zone, date, time);
            if at > after {
                found.push(at);
            }
        }
        date = date
            .succ_opt()
            .expect("dates this far out are representable");
    }
    found
}

/// A `datetime-local` value (seconds optional; a space instead of `T` also accepted).
fn parse_local_input(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// The value a `datetime-local` input shows for `at` in `zone`.
fn local_input(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// A drop's title as staff typed it.
pub fn parse_title(title: &str, max: usize) -> Result<String, AppError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::invalid("title", "Give the drop a title."));
    }
    if title.chars().count() > max {
        return Err(AppError::invalid(
            "title",
            format!("Keep the title to {max} characters."),
        ));
    }
    Ok(title.to_owned())
}

/// When a one-off drop opens and closes: in the future, in order, and at most a month long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl DropWindow {
    /// Parses two `datetime-local` values read in `zone`.
    pub fn parse(
        starts: &str,
        ends: &str,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<DropWindow, AppError> {
        let starts = parse_local_input(starts).ok_or_else(|| {
            AppError::invalid(
                "starts_at",
                "Enter when the drop starts as a date and time, e.g. 2026-12-01 09:00.",
            )
        })?;
        let ends = parse_local_input(ends).ok_or_else(|| {
            AppError::invalid(
                "ends_at",
                "Enter when the drop ends as a date and time, e.g. 2026-12-03 09:00.",
            )
        })?;
        let starts_at = local_moment(zone, starts.date(), starts.time());
        let ends_at = local_moment(zone, ends.date(), ends.time());
        // Forms are filled by people: "09:00" typed at 09:00:40 still means now.
        if starts_at < now - Duration::minutes(1) {
            return Err(AppError::invalid(
                "starts_at",
                "The start is in the past. Choose a time from now on.",
            ));
        }
        if ends_at <= starts_at {
            return Err(AppError::invalid(
                "ends_at",
                "The end must be after the start.",
            ));
        }
        if ends_at - starts_at > Duration::days(31) {
            return Err(AppError::invalid(
                "ends_at",
                "A drop can last at most 31 days.",
            ));
        }
        Ok(DropWindow { starts_at, ends_at })
    }
}

/// "Every Tuesday and Thursday at 09:00 America/Mexico_City".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRule {
    pub weekdays: Vec<Weekday>,
    pub time: NaiveTime,
    pub zone: Tz,
}

impl WeeklyRule {
    /// `days` like `tue,thu` (names or three-letter abbreviations), `time` as `HH:MM`, `zone` an
    /// IANA name.
    pub fn parse(days: &str, time: &str, zone: &str) -> Result<WeeklyRule, AppError> {
        let mut weekdays = Vec::new();
        for day in days
            .split([',', ' '])
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let day: Weekday = day.parse().map_err(|_| {
                AppError::invalid(
                    "days",
                    format!(
                        "\u{201c}{day}\u{201d} is not a weekday. Choose from Monday to Sunday."
                    ),
                )
            })?;
            if !weekdays.contains(&day) {
                weekdays.push(day);
            }
        }
        if weekdays.is_empty() {
            return Err(AppError::invalid("days", "Choose at least one weekday."));
        }
        weekdays.sort_by_key(|d| d.num_days_from_monday());
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"))
            .map_err(|_| {
                AppError::invalid("time", "Enter the time as HH:MM in 24 hours, e.g. 09:00.")
            })?;
        let zone: Tz = zone.trim().parse().map_err(|_| {
            AppError::invalid(
                "zone",
                "Enter a time zone by its IANA name, e.g. America/Mexico_City or Europe/Madrid.",
            )
        })?;
        Ok(WeeklyRule {
            weekdays,
            time,
            zone,
        })
    }

    pub fn next(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        next_occurrences(self.zone, &self.weekdays, self.time, after, count)
    }

    pub fn describe(&self) -> String {
        describe_rule(&self.weekdays, self.time, self.zone.name())
    }

    /// ISO weekday numbers (Monday = 1), as `drop_schedules.weekdays` stores them.
    fn iso_days(&self) -> Vec<i16> {
        self.weekdays
            .iter()
            .map(|d| d.number_from_monday() as i16)
            .collect()
    }
}

fn describe_rule(weekdays: &[Weekday], time: NaiveTime, zone: &str) -> String {
    let names: Vec<&str> = weekdays.iter().map(|d| day_name(*d)).collect();
    let names = match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("Every {names} at {} {zone}", time.format("%H:%M"))
}

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A duration in whole hours, 1 to 168 (a week).
pub fn parse_hours(hours: &str) -> Result<Duration, AppError> {
    let message = "A drop lasts between 1 and 168 hours.";
    let n: i64 = hours
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("hours", message))?;
    if !(1..=168).contains(&n) {
        return Err(AppError::invalid("hours", message));
    }
    Ok(Duration::hours(n))
}

/// A reward and how it is offered in a drop, as staff typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDraft {
    pub reward_id: i64,
    pub quantity: i32,
    pub per_member_limit: i32,
    pub points_cost: Option<i64>,
    /// The tier with early access and how many minutes early.
    pub early_access: Option<(String, i32)>,
}

fn whole(s: &str) -> Option<i64> {
    s.trim().replace(',', "").parse().ok()
}

impl ItemDraft {
    pub fn parse(
        reward_id: &str,
        quantity: &str,
        per_member_limit: &str,
        points_cost: &str,
        early_tier: &str,
        early_minutes: &str,
    ) -> Result<ItemDraft, AppError> {
        let reward_id = whole(reward_id)
            .filter(|id| *id > 0)
            .ok_or_else(|| AppError::invalid("reward_id", "Choose a reward."))?;
        let quantity = whole(quantity).ok_or_else(|| {
            AppError::invalid("quantity", "Enter the quantity as a whole number, e.g. 50.")
        })?;
        if quantity < 1 {
            return Err(AppError::invalid(
                "quantity",
                "The quantity must be at least 1.",
            ));
        }
        if quantity > 1_000_000 {
            return Err(AppError::invalid(
                "quantity",
                "The quantity can be at most 1,000,000.",
            ));
        }
        let limit = whole(per_member_limit).ok_or_else(|| {
            AppError::invalid(
                "per_member_limit",
                "Enter how many each member may redeem as a whole number, e.g. 1.",
            )
        })?;
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid(
                "per_member_limit",
                "Each member may redeem between 1 and 1,000.",
            ));
        }
        let points_cost = if points_cost.trim().is_empty() {
            None
        } else {
            Some(
                whole(points_cost)
                    .filter(|c| (1..=1_000_000).contains(c))
                    .ok_or_else(|| {
                        AppError::invalid(
                            "points_cost",
                            "The cost must be a whole number between 1 and 1,000,000 points, or empty for the reward's usual cost.",
                        )
                    })?,
            )
        };
        let early_tier = early_tier.trim();
        let early_access = match (early_tier.is_empty(), early_minutes.trim().is_empty()) {
            (true, true) => None,
            (false, false) => {
                let minutes = whole(early_minutes)
                    .filter(|m| (1..=1440).contains(m))
                    .ok_or_else(|| {
                        AppError::invalid(
                            "early_access_minutes",
                            "Early access starts 1 to 1,440 minutes before the drop.",
                        )
                    })?;
                Some((early_tier.to_owned(), minutes as i32))
            }
            _ => {
                return Err(AppError::invalid(
                    "early_access_minutes",
                    "Give both the tier with early access and how many minutes early, or neither.",
                ));
            }
        };
        Ok(ItemDraft {
            reward_id,
            quantity: quantity as i32,
            per_member_limit: limit as i32,
            points_cost,
            early_access,
        })
    }
}

/// One row of the drop listing query.
struct DropRow {
    id: i64,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    cancelled: bool,
    weekdays: Option<Vec<i16>>,
    local_time: Option<NaiveTime>,
    time_zone: Option<String>,
    items: i64,
    units: i64,
    redeemed: i64,
}

impl DropRow {
    fn into_staff(self, store: &Store, now: DateTime<Utc>) -> StaffDrop {
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

async fn drop_rows(
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
    caller: &Caller,
    view: Option<&str>,
    date: Option<&str>,
) -> Result<DropCalendar, AppError> {
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;
    let now = Utc::now();
    let today = now.with_timezone(&store.zone).date_naive();
    let anchor = date
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .unwrap_or(today);
    let month_view = view != Some("week");
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
            first.format("%B %Y").to_string(),
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
            format!("Week of {}", monday.format("%-d %B %Y")),
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
                label: d.format("%a %-d %b").to_string(),
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
    let store = crate::store::server::load(pool).await?;
    let row = drop_rows(pool, Some(id), None, None)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("That drop"))?;
    let (starts_at, ends_at) = (row.starts_at, row.ends_at);
    let opens = opens_at(pool, id, starts_at).await?;
    let editable = !row.cancelled && now < opens;
    let items = sqlx::query!(
        r#"SELECT di.id, di.reward_id, r.title, di.quantity, di.remaining, di.points_cost, di.per_member_limit,
                  t.name AS "early_tier?", (extract(epoch FROM di.early_access) / 60)::bigint AS early_minutes
           FROM drop_items di JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers t ON t.code = di.early_access_tier
           WHERE di.drop_id = $1 ORDER BY r.title, di.id"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(StaffDropItem {
            id: r.id,
            reward_id: r.reward_id,
            title: r.title,
            quantity: r.quantity,
            remaining: r.remaining,
            points_cost: Points::new(r.points_cost).map_err(|e| AppError::internal("drop item", e))?,
            per_member_limit: r.per_member_limit,
            early_access: r
                .early_tier
                .zip(r.early_minutes)
                .map(|(tier, m)| format!("{tier} members {m} minutes early")),
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let choices = sqlx::query!(
        "SELECT id, title, points_cost FROM rewards WHERE archived_at IS NULL ORDER BY title LIMIT 1000"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(RewardChoice {
            id: r.id,
            title: r.title,
            points_cost: Points::new(r.points_cost).map_err(|e| AppError::internal("reward", e))?,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    Ok(StaffDropDetail {
        drop: row.into_staff(&store, now),
        starts_input: local_input(store.zone, starts_at),
        ends_input: local_input(store.zone, ends_at),
        zone: store.info.time_zone.clone(),
        editable,
        items,
        choices,
    })
}

/// When the first member may redeem: the start, less the longest early access.
async fn opens_at(
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

/// A drop row locked for a change, refusing once it has opened (or was cancelled).
struct LockedDrop {
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    cancelled: bool,
}

impl LockedDrop {
    fn snapshot(&self) -> serde_json::Value {
        json!({ "title": self.title, "starts_at": self.starts_at, "ends_at": self.ends_at, "cancelled": self.cancelled })
    }
}

async fn lock_drop(conn: &mut PgConnection, id: i64) -> Result<LockedDrop, AppError> {
    sqlx::query_as!(
        LockedDrop,
        r#"SELECT title, starts_at, ends_at, cancelled_at IS NOT NULL AS "cancelled!"
           FROM drops WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::not_found("That drop"))
}

/// Refuses changes to a drop once any member could redeem from it.
async fn ensure_not_open(
    conn: &mut PgConnection,
    id: i64,
    drop: &LockedDrop,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), AppError> {
    if drop.cancelled {
        return Err(AppError::Conflict {
            message: format!("This drop was cancelled, so {what}."),
        });
    }
    if now >= opens_at(&mut *conn, id, drop.starts_at).await? {
        return Err(AppError::Conflict {
            message: format!("This drop has already opened, so {what}."),
        });
    }
    Ok(())
}

fn duplicate_title(title: &str) -> AppError {
    AppError::invalid(
        "title",
        format!(
            "A drop called \u{201c}{title}\u{201d} already overlaps these times. Change the title or the times."
        ),
    )
}

pub async fn save(
    caller: &Caller,
    id: Option<i64>,
    title: &str,
    starts: &str,
    ends: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let actor = caller.account()?.id;
    let title = parse_title(title, 120)?;
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;
    let window = DropWindow::parse(starts, ends, store.zone, now)?;
    let mut tx = pool.begin().await?;
    let (before, previous_start) = match id {
        Some(id) => {
            let drop = lock_drop(&mut tx, id).await?;
            ensure_not_open(
                &mut tx,
                id,
                &drop,
                now,
                "its times can no longer be changed",
            )
            .await?;
            (Some(drop.snapshot()), Some(drop.starts_at))
        }
        None => (None, None),
    };
    let constraint = |e: sqlx::Error| match violated_constraint(&e) {
        Some("drops_no_overlapping_duplicate") => duplicate_title(&title),
        _ => e.into(),
    };
    let saved = match id {
        Some(id) => sqlx::query_scalar!(
            "UPDATE drops SET title = $2, starts_at = $3, ends_at = $4 WHERE id = $1 RETURNING id",
            id,
            title,
            window.starts_at,
            window.ends_at
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(constraint)?,
        None => sqlx::query_scalar!(
            "INSERT INTO drops (title, starts_at, ends_at) VALUES ($1, $2, $3) RETURNING id",
            title,
            window.starts_at,
            window.ends_at
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(constraint)?,
    };
    // Its items' early access runs back from the new start: moving the drop closer must not
    // open it for some members there and then.
    let opens = opens_at(&mut *tx, saved, window.starts_at).await?;
    if opens < window.starts_at && now >= opens {
        return Err(AppError::invalid(
            "starts_at",
            "With its early access this drop would already be open for some members. Choose a later start, or give its rewards less early access.",
        ));
    }
    // Members who asked to be reminded planned around the old time: tell them it moved.
    if let Some(previous) = previous_start.filter(|p| *p != window.starts_at) {
        let message = format!(
            "The drop \u{201c}{}\u{201d} has moved: it now opens {} instead of {}.",
            title,
            store.format_time(window.starts_at),
            store.format_time(previous)
        );
        sqlx::query!(
            "INSERT INTO member_notices (account_id, message) SELECT account_id, $2 FROM drop_reminders WHERE drop_id = $1",
            saved,
            message
        )
        .execute(&mut *tx)
        .await?;
    }
    let after = lock_drop(&mut tx, saved).await?.snapshot();
    let action = if before.is_some() {
        "drop.edit"
    } else {
        "drop.create"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("drop:{saved}"),
        before,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Cancels a drop before it opens and tells the members who asked for a reminder; returns how
/// many were told.
pub async fn cancel(caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
    let actor = caller.account()?.id;
    let pool = &caller.state.pool;
    let store = crate::store::server::load(pool).await?;
    let mut tx = pool.begin().await?;
    let drop = lock_drop(&mut tx, id).await?;
    if drop.cancelled {
        return Ok(0);
    }
    ensure_not_open(&mut tx, id, &drop, now, "it can no longer be cancelled").await?;
    sqlx::query!("UPDATE drops SET cancelled_at = $2 WHERE id = $1", id, now)
        .execute(&mut *tx)
        .await?;
    let message = format!(
        "The drop \u{201c}{}\u{201d} planned for {} has been cancelled. Sorry: we'll tell you about the next one.",
        drop.title,
        store.format_time(drop.starts_at)
    );
    let told = sqlx::query!(
        "INSERT INTO member_notices (account_id, message) SELECT account_id, $2 FROM drop_reminders WHERE drop_id = $1",
        id,
        message
    )
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    let after = json!({ "title": drop.title, "starts_at": drop.starts_at, "ends_at": drop.ends_at, "cancelled": true, "members_told": told });
    audit(
        &mut tx,
        actor,
        "drop.cancel",
        &format!("drop:{id}"),
        Some(drop.snapshot()),
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(told)
}

async fn item_snapshot(
    db: impl PgExecutor<'_>,
    drop_id: i64,
    reward_id: i64,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT di.id, di.quantity, di.points_cost, di.per_member_limit, di.early_access_tier,
                  (extract(epoch FROM di.early_access) / 60)::bigint AS early_minutes
           FROM drop_items di WHERE di.drop_id = $1 AND di.reward_id = $2"#,
        drop_id,
        reward_id
    )
    .fetch_optional(db)
    .await?
    .map(|r| {
        json!({
            "item": r.id, "reward": reward_id, "quantity": r.quantity, "points_cost": r.points_cost,
            "per_member_limit": r.per_member_limit, "early_access_tier": r.early_access_tier,
            "early_access_minutes": r.early_minutes,
        })
    }))
}

pub async fn save_item(
    caller: &Caller,
    drop_id: i64,
    item: ItemDraft,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let actor = caller.account()?.id;
    let mut tx = caller.state.pool.begin().await?;
    let drop = lock_drop(&mut tx, drop_id).await?;
    ensure_not_open(
        &mut tx,
        drop_id,
        &drop,
        now,
        "its rewards can no longer be changed",
    )
    .await?;
    let reward = sqlx::query!(
        r#"SELECT points_cost, archived_at IS NOT NULL AS "archived!" FROM rewards WHERE id = $1"#,
        item.reward_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::invalid(
            "reward_id",
            "That reward does not exist. Choose one from the list.",
        )
    })?;
    if reward.archived {
        return Err(AppError::invalid(
            "reward_id",
            "That reward is archived. Choose another.",
        ));
    }
    let before = item_snapshot(&mut *tx, drop_id, item.reward_id).await?;
    let (tier, minutes) = item.early_access.clone().unzip();
    let saved = sqlx::query_scalar!(
        r#"INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost, per_member_limit,
                                   early_access_tier, early_access)
           VALUES ($1, $2, $3, $3, $4, $5, $6, make_interval(mins => $7::int))
           ON CONFLICT ON CONSTRAINT drop_items_reward_once_per_drop DO UPDATE SET
               quantity = EXCLUDED.quantity, remaining = EXCLUDED.remaining,
               points_cost = EXCLUDED.points_cost, per_member_limit = EXCLUDED.per_member_limit,
               early_access_tier = EXCLUDED.early_access_tier, early_access = EXCLUDED.early_access
           RETURNING id"#,
        drop_id,
        item.reward_id,
        item.quantity,
        item.points_cost.unwrap_or(reward.points_cost),
        item.per_member_limit,
        tier,
        minutes
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("drop_items_early_access_tier_fkey") => {
            AppError::invalid("early_access_tier", "Choose one of the tiers.")
        }
        _ => e.into(),
    })?;
    // Early access may now reach back past the present: that would open the drop by editing it.
    ensure_not_open(
        &mut tx,
        drop_id,
        &drop,
        now,
        "early access cannot start in the past",
    )
    .await
    .map_err(|_| {
        AppError::invalid(
            "early_access_minutes",
            "That much early access would start in the past. Choose fewer minutes.",
        )
    })?;
    let after = item_snapshot(&mut *tx, drop_id, item.reward_id).await?;
    let action = if before.is_some() {
        "drop.item.edit"
    } else {
        "drop.item.add"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("drop:{drop_id}"),
        before,
        after,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn remove_item(
    caller: &Caller,
    drop_id: i64,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let actor = caller.account()?.id;
    let mut tx = caller.state.pool.begin().await?;
    let drop = lock_drop(&mut tx, drop_id).await?;
    ensure_not_open(
        &mut tx,
        drop_id,
        &drop,
        now,
        "its rewards can no longer be changed",
    )
    .await?;
    let reward_id = sqlx::query_scalar!(
        "SELECT reward_id FROM drop_items WHERE id = $1 AND drop_id = $2",
        item_id,
        drop_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found("That reward in this drop"))?;
    let before = item_snapshot(&mut *tx, drop_id, reward_id).await?;
    sqlx::query!("DELETE FROM drop_items WHERE id = $1", item_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "drop.item.remove",
        &format!("drop:{drop_id}"),
        before,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How a rule's occurrence is shown in the preview: in the rule's own zone, with UTC beside it
/// so a daylight-saving change is visible.
fn occurrence_label(zone: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{} ({} UTC)",
        at.with_timezone(&zone).format("%a %-d %b %Y, %H:%M %Z"),
        at.format("%H:%M")
    )
}

pub fn preview(
    days: &str,
    time: &str,
    zone: &str,
    now: DateTime<Utc>,
) -> Result<SchedulePreview, AppError> {
    let rule = WeeklyRule::parse(days, time, zone)?;
    Ok(SchedulePreview {
        rule: rule.describe(),
        occurrences: rule
            .next(now, SCHEDULE_AHEAD)
            .into_iter()
            .map(|at| occurrence_label(rule.zone, at))
            .collect(),
    })
}

pub async fn create_schedule(
    caller: &Caller,
    title: &str,
    days: &str,
    time: &str,
    zone: &str,
    hours: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, AppError> {
    let actor = caller.account()?.id;
    // Room for the " · Tue 24 Nov" each occurrence's title gets.
    let title = parse_title(title, 100)?;
    let rule = WeeklyRule::parse(days, time, zone)?;
    let duration = parse_hours(hours)?;
    let mut tx = caller.state.pool.begin().await?;
    let schedule_id = sqlx::query_scalar!(
        r#"INSERT INTO drop_schedules (title, weekdays, local_time, time_zone, duration, created_by)
           VALUES ($1, $2, $3, $4, make_interval(hours => $5::int), $6) RETURNING id"#,
        title,
        &rule.iso_days(),
        rule.time,
        rule.zone.name(),
        duration.num_hours() as i32,
        actor
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut created = Vec::with_capacity(SCHEDULE_AHEAD);
    for starts_at in rule.next(now, SCHEDULE_AHEAD) {
        let name = format!(
            "{title} \u{b7} {}",
            starts_at.with_timezone(&rule.zone).format("%a %-d %b")
        );
        let id = sqlx::query_scalar!(
            "INSERT INTO drops (title, starts_at, ends_at, schedule_id) VALUES ($1, $2, $3, $4) RETURNING id",
            name,
            starts_at,
            starts_at + duration,
            schedule_id
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("drops_no_overlapping_duplicate") => duplicate_title(&name),
            _ => e.into(),
        })?;
        created.push(id);
    }
    audit(
        &mut tx,
        actor,
        "schedule.create",
        &format!("schedule:{schedule_id}"),
        None,
        Some(json!({ "rule": rule.describe(), "hours": duration.num_hours(), "drops": created })),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Madrid;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn tuesday_and_thursday_drops_stay_at_nine_local_across_the_november_change() {
        // 2026-11-01 is the first Sunday of November: New York leaves daylight time.
        let times = next_occurrences(
            New_York,
            &[Weekday::Tue, Weekday::Thu],
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            utc("2026-10-26T00:00:00Z"),
            4,
        );
        assert_eq!(
            times,
            vec![
                utc("2026-10-27T13:00:00Z"), // EDT, UTC-4
                utc("2026-10-29T13:00:00Z"),
                utc("2026-11-03T14:00:00Z"), // EST, UTC-5
                utc("2026-11-05T14:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_drop_inside_the_spring_gap_opens_when_the_clocks_jump() {
        // Madrid skips 02:00-03:00 on 2026-03-29.
        let at = local_moment(
            Madrid,
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(at, utc("2026-03-29T01:00:00Z")); // 03:00 CEST
    }

    #[test]
    fn a_drop_at_a_doubled_autumn_time_opens_at_the_first_one() {
        // Madrid repeats 02:00-03:00 on 2026-10-25; 02:30 CEST is 00:30 UTC.
        let at = local_moment(
            Madrid,
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(at, utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn an_occurrence_exactly_at_the_start_is_not_next() {
        let times = next_occurrences(
            New_York,
            &[Weekday::Tue],
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            utc("2026-11-24T14:00:00Z"),
            1,
        );
        assert_eq!(times, vec![utc("2026-12-01T14:00:00Z")]);
    }

    fn nine() -> NaiveTime {
        NaiveTime::from_hms_opt(9, 0, 0).unwrap()
    }

    #[test]
    fn new_york_drops_stay_at_nine_local_across_the_march_change() {
        // 2026-03-08 is the second Sunday of March: New York moves to daylight time.
        let rule = WeeklyRule::parse("tue,thu", "09:00", "America/New_York").unwrap();
        assert_eq!(
            rule.next(utc("2026-03-02T00:00:00Z"), 4),
            vec![
                utc("2026-03-03T14:00:00Z"), // EST, UTC-5
                utc("2026-03-05T14:00:00Z"),
                utc("2026-03-10T13:00:00Z"), // EDT, UTC-4
                utc("2026-03-12T13:00:00Z"),
            ]
        );
    }

    #[test]
    fn madrid_drops_stay_at_nine_local_across_the_march_change() {
        // 2026-03-29: Madrid moves from CET (UTC+1) to CEST (UTC+2).
        let times = next_occurrences(
            Madrid,
            &[Weekday::Sat, Weekday::Mon],
            nine(),
            utc("2026-03-27T00:00:00Z"),
            3,
        );
        assert_eq!(
            times,
            vec![
                utc("2026-03-28T08:00:00Z"),
                utc("2026-03-30T07:00:00Z"),
                utc("2026-04-04T07:00:00Z"),
            ]
        );
    }

    #[test]
    fn madrid_drops_stay_at_nine_local_across_the_autumn_change() {
        // 2026-10-25: Madrid goes back to CET; 2026-11-01 and after are UTC+1.
        let rule = WeeklyRule::parse("Sunday", "09:00", "Europe/Madrid").unwrap();
        assert_eq!(
            rule.next(utc("2026-10-17T00:00:00Z"), 3),
            vec![
                utc("2026-10-18T07:00:00Z"),
                utc("2026-10-25T08:00:00Z"),
                utc("2026-11-01T08:00:00Z"),
            ]
        );
    }

    #[test]
    fn the_preview_shows_eight_occurrences_in_the_rules_zone_with_utc() {
        let p = preview(
            "thu, tue",
            "09:00",
            "America/Mexico_City",
            utc("2026-11-23T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            p.rule,
            "Every Tuesday and Thursday at 09:00 America/Mexico_City"
        );
        assert_eq!(p.occurrences.len(), 8);
        assert_eq!(p.occurrences[0], "Tue 24 Nov 2026, 09:00 CST (15:00 UTC)");
    }

    fn invalid(e: AppError) -> (String, String) {
        match e {
            AppError::Invalid { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_bad_schedule_field_gets_its_own_message() {
        let cases = [
            (
                ("", "09:00", "Europe/Madrid"),
                ("days", "Choose at least one weekday."),
            ),
            (
                ("tue,funday", "09:00", "Europe/Madrid"),
                (
                    "days",
                    "\u{201c}funday\u{201d} is not a weekday. Choose from Monday to Sunday.",
                ),
            ),
            (
                ("tue", "9am", "Europe/Madrid"),
                ("time", "Enter the time as HH:MM in 24 hours, e.g. 09:00."),
            ),
            (
                ("tue", "09:00", "Mars/Olympus"),
                (
                    "zone",
                    "Enter a time zone by its IANA name, e.g. America/Mexico_City or Europe/Madrid.",
                ),
            ),
        ];
        for ((days, time, zone), (field, message)) in cases {
            assert_eq!(
                invalid(WeeklyRule::parse(days, time, zone).unwrap_err()),
                (field.to_owned(), message.to_owned())
            );
        }
        assert_eq!(
            invalid(parse_hours("0").unwrap_err()).1,
            "A drop lasts between 1 and 168 hours."
        );
    }

    #[test]
    fn each_bad_drop_window_gets_its_own_message() {
        let now = utc("2026-11-23T15:00:00Z"); // 10:00 in New York
        let cases = [
            (
                ("tomorrow", "2026-11-25T09:00"),
                (
                    "starts_at",
                    "Enter when the drop starts as a date and time, e.g. 2026-12-01 09:00.",
                ),
            ),
            (
                ("2026-11-23T09:00", "2026-11-25T09:00"),
                (
                    "starts_at",
                    "The start is in the past. Choose a time from now on.",
                ),
            ),
            (
                ("2026-11-24T09:00", "2026-11-24T08:00"),
                ("ends_at", "The end must be after the start."),
            ),
            (
                ("2026-11-24T09:00", "2027-01-24T09:00"),
                ("ends_at", "A drop can last at most 31 days."),
            ),
        ];
        for ((starts, ends), (field, message)) in cases {
            assert_eq!(
                invalid(DropWindow::parse(starts, ends, New_York, now).unwrap_err()),
                (field.to_owned(), message.to_owned())
            );
        }
        let ok = DropWindow::parse("2026-11-24T09:00", "2026-11-24T21:00", New_York, now).unwrap();
        assert_eq!(ok.starts_at, utc("2026-11-24T14:00:00Z"));
    }

    #[test]
    fn each_bad_drop_item_gets_its_own_message() {
        let cases = [
            (
                ("", "5", "1", "", "", ""),
                ("reward_id", "Choose a reward."),
            ),
            (
                ("7", "0", "1", "", "", ""),
                ("quantity", "The quantity must be at least 1."),
            ),
            (
                ("7", "lots", "1", "", "", ""),
                ("quantity", "Enter the quantity as a whole number, e.g. 50."),
            ),
            (
                ("7", "5", "0", "", "", ""),
                (
                    "per_member_limit",
                    "Each member may redeem between 1 and 1,000.",
                ),
            ),
            (
                ("7", "5", "1", "", "gold", ""),
                (
                    "early_access_minutes",
                    "Give both the tier with early access and how many minutes early, or neither.",
                ),
            ),
        ];
        for ((reward, quantity, limit, cost, tier, minutes), (field, message)) in cases {
            assert_eq!(
                invalid(
                    ItemDraft::parse(reward, quantity, limit, cost, tier, minutes).unwrap_err()
                ),
                (field.to_owned(), message.to_owned())
            );
        }
    }
}
