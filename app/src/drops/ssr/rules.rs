//! The rules of scheduling that need no database: local times across daylight-saving
//! changes, weekly rules, and reading what staff type. Unit-tested below.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::AppError;
use crate::drops::{SCHEDULE_AHEAD, SchedulePreview};

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
pub(super) fn parse_local_input(s: &str) -> Option<NaiveDateTime> {
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
pub(super) fn local_input(zone: Tz, at: DateTime<Utc>) -> String {
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
    pub(super) fn iso_days(&self) -> Vec<i16> {
        self.weekdays
            .iter()
            .map(|d| d.number_from_monday() as i16)
            .collect()
    }
}

pub(super) fn describe_rule(weekdays: &[Weekday], time: NaiveTime, zone: &str) -> String {
    let names: Vec<&str> = weekdays.iter().map(|d| day_name(*d)).collect();
    let names = match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("Every {names} at {} {zone}", time.format("%H:%M"))
}

pub(super) fn day_name(day: Weekday) -> &'static str {
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

pub(super) fn whole(s: &str) -> Option<i64> {
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

/// How a rule's occurrence is shown in the preview: in the rule's own zone, with UTC beside it
/// so a daylight-saving change is visible.
pub(super) fn occurrence_label(zone: Tz, at: DateTime<Utc>) -> String {
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

#[cfg(test)]
mod tests;
