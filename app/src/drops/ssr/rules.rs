//! The rules of scheduling that need no database: local times across daylight-saving
//! changes, weekly rules, and reading what staff type. Unit-tested below.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::AppError;
use crate::domain::i18n::{Locale, Tr, tr};
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

/// `date` written with chrono's `format` in the reader's language: English keeps chrono's own
/// names ("Tue 24 Nov"); Spanish uses its locale's, without the full stops chrono's Spanish
/// abbreviations end in ("mar 24 nov"), as `domain::i18n::format_date` writes dates.
pub(crate) fn local_format<D: LocalizedFormat>(tr: Tr, date: &D, format: &str) -> String {
    match tr.locale() {
        Locale::En => date.plain(format),
        Locale::EsMx => date
            .localized(format, chrono::Locale::es_MX)
            .replace('.', ""),
        Locale::EsEs => date
            .localized(format, chrono::Locale::es_ES)
            .replace('.', ""),
    }
}

/// What [`local_format`] needs of a date or a moment in a zone.
pub(super) trait LocalizedFormat {
    fn plain(&self, format: &str) -> String;
    fn localized(&self, format: &str, locale: chrono::Locale) -> String;
}

impl LocalizedFormat for NaiveDate {
    fn plain(&self, format: &str) -> String {
        self.format(format).to_string()
    }
    fn localized(&self, format: &str, locale: chrono::Locale) -> String {
        self.format_localized(format, locale).to_string()
    }
}

impl LocalizedFormat for DateTime<Tz> {
    fn plain(&self, format: &str) -> String {
        self.format(format).to_string()
    }
    fn localized(&self, format: &str, locale: chrono::Locale) -> String {
        self.format_localized(format, locale).to_string()
    }
}

/// A drop's title as staff typed it.
pub fn parse_title(title: &str, max: usize) -> Result<String, AppError> {
    let tr = tr();
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::invalid(
            "title",
            tr.t("drops.invalid.title_empty"),
        ));
    }
    if title.chars().count() > max {
        return Err(AppError::invalid(
            "title",
            tr.f(
                "drops.invalid.title_too_long",
                &[("max", &tr.number(max as i64))],
            ),
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
        let tr = tr();
        let starts = parse_local_input(starts)
            .ok_or_else(|| AppError::invalid("starts_at", tr.t("drops.invalid.starts_format")))?;
        let ends = parse_local_input(ends)
            .ok_or_else(|| AppError::invalid("ends_at", tr.t("drops.invalid.ends_format")))?;
        let starts_at = local_moment(zone, starts.date(), starts.time());
        let ends_at = local_moment(zone, ends.date(), ends.time());
        // Forms are filled by people: "09:00" typed at 09:00:40 still means now.
        if starts_at < now - Duration::minutes(1) {
            return Err(AppError::invalid(
                "starts_at",
                tr.t("drops.invalid.starts_past"),
            ));
        }
        if ends_at <= starts_at {
            return Err(AppError::invalid(
                "ends_at",
                tr.t("drops.invalid.ends_before_start"),
            ));
        }
        if ends_at - starts_at > Duration::days(31) {
            return Err(AppError::invalid("ends_at", tr.t("drops.invalid.too_long")));
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
        let tr = tr();
        let mut weekdays = Vec::new();
        for day in days
            .split([',', ' '])
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let day: Weekday = day.parse().map_err(|_| {
                AppError::invalid("days", tr.f("drops.invalid.not_weekday", &[("day", day)]))
            })?;
            if !weekdays.contains(&day) {
                weekdays.push(day);
            }
        }
        if weekdays.is_empty() {
            return Err(AppError::invalid("days", tr.t("drops.invalid.no_weekday")));
        }
        weekdays.sort_by_key(|d| d.num_days_from_monday());
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"))
            .map_err(|_| AppError::invalid("time", tr.t("drops.invalid.time_format")))?;
        let zone: Tz = zone
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("zone", tr.t("drops.invalid.zone")))?;
        Ok(WeeklyRule {
            weekdays,
            time,
            zone,
        })
    }

    pub fn next(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        next_occurrences(self.zone, &self.weekdays, self.time, after, count)
    }

    /// The rule in the reader's language.
    pub fn describe(&self) -> String {
        self.describe_in(tr())
    }

    pub fn describe_in(&self, tr: Tr) -> String {
        describe_rule_in(tr, &self.weekdays, self.time, self.zone.name())
    }

    /// ISO weekday numbers (Monday = 1), as `drop_schedules.weekdays` stores them.
    pub(super) fn iso_days(&self) -> Vec<i16> {
        self.weekdays
            .iter()
            .map(|d| d.number_from_monday() as i16)
            .collect()
    }
}

/// "Every Tuesday and Thursday at 09:00 America/Mexico_City", in the reader's language.
pub(super) fn describe_rule(weekdays: &[Weekday], time: NaiveTime, zone: &str) -> String {
    describe_rule_in(tr(), weekdays, time, zone)
}

pub(super) fn describe_rule_in(
    tr: Tr,
    weekdays: &[Weekday],
    time: NaiveTime,
    zone: &str,
) -> String {
    let names: Vec<&str> = weekdays.iter().map(|d| day_name(tr, *d)).collect();
    let names = match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => tr.f(
            "drops.rule.and",
            &[("rest", &rest.join(", ")), ("last", last)],
        ),
    };
    tr.f(
        "drops.rule.every",
        &[
            ("days", &names),
            ("time", &time.format("%H:%M").to_string()),
            ("zone", zone),
        ],
    )
}

/// A weekday's name as a sentence reads it ("Tuesday", "martes").
pub(super) fn day_name(tr: Tr, day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => tr.t("drops.rule.days.mon"),
        Weekday::Tue => tr.t("drops.rule.days.tue"),
        Weekday::Wed => tr.t("drops.rule.days.wed"),
        Weekday::Thu => tr.t("drops.rule.days.thu"),
        Weekday::Fri => tr.t("drops.rule.days.fri"),
        Weekday::Sat => tr.t("drops.rule.days.sat"),
        Weekday::Sun => tr.t("drops.rule.days.sun"),
    }
}

/// A duration in whole hours, 1 to 168 (a week).
pub fn parse_hours(hours: &str) -> Result<Duration, AppError> {
    let message = tr().t("drops.invalid.hours");
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
    /// Who has early access (a tier and those above it, or an audience) and how many minutes.
    pub early_access: Option<(EarlyFor, i32)>,
    /// The audience the item is for only, and whether others see it (greyed) or not at all.
    pub audience: Option<(i64, bool)>,
}

/// Who an item's early access is for, as the form's "Early access" choice posts it: a tier's
/// code, or `audience-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyFor {
    Tier(String),
    Audience(i64),
}

pub(super) fn whole(s: &str) -> Option<i64> {
    s.trim().replace(',', "").parse().ok()
}

impl ItemDraft {
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field of the item form"
    )]
    pub fn parse(
        reward_id: &str,
        quantity: &str,
        per_member_limit: &str,
        points_cost: &str,
        early_tier: &str,
        early_minutes: &str,
        audience: &str,
        audience_shown: &str,
    ) -> Result<ItemDraft, AppError> {
        let tr = tr();
        let reward_id = whole(reward_id)
            .filter(|id| *id > 0)
            .ok_or_else(|| AppError::invalid("reward_id", tr.t("drops.invalid.reward")))?;
        let quantity = whole(quantity)
            .ok_or_else(|| AppError::invalid("quantity", tr.t("drops.invalid.quantity_format")))?;
        if quantity < 1 {
            return Err(AppError::invalid(
                "quantity",
                tr.t("drops.invalid.quantity_min"),
            ));
        }
        if quantity > 1_000_000 {
            return Err(AppError::invalid(
                "quantity",
                tr.f(
                    "drops.invalid.quantity_max",
                    &[("max", &tr.number(1_000_000))],
                ),
            ));
        }
        let limit = whole(per_member_limit).ok_or_else(|| {
            AppError::invalid("per_member_limit", tr.t("drops.invalid.limit_format"))
        })?;
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid(
                "per_member_limit",
                tr.f("drops.invalid.limit_range", &[("max", &tr.number(1000))]),
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
                            tr.f("drops.invalid.cost", &[("max", &tr.number(1_000_000))]),
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
                            tr.f("drops.invalid.early_minutes", &[("max", &tr.number(1440))]),
                        )
                    })?;
                let who = match early_tier.strip_prefix(crate::drops::AUDIENCE_PREFIX) {
                    Some(id) => {
                        EarlyFor::Audience(whole(id).filter(|id| *id > 0).ok_or_else(|| {
                            AppError::invalid("early_access_tier", tr.t("drops.invalid.audience"))
                        })?)
                    }
                    None => EarlyFor::Tier(early_tier.to_owned()),
                };
                Some((who, minutes as i32))
            }
            _ => {
                return Err(AppError::invalid(
                    "early_access_minutes",
                    tr.t("drops.invalid.early_both"),
                ));
            }
        };
        let audience = match audience.trim() {
            "" => None,
            id => {
                let id = whole(id)
                    .filter(|id| *id > 0)
                    .ok_or_else(|| AppError::invalid("audience", tr.t("drops.invalid.audience")))?;
                // Greyed with a kind reason unless staff chose to keep it out of sight.
                Some((id, audience_shown.trim() != "hidden"))
            }
        };
        Ok(ItemDraft {
            reward_id,
            quantity: quantity as i32,
            per_member_limit: limit as i32,
            points_cost,
            early_access,
            audience,
        })
    }
}

/// How a rule's occurrence is shown in the preview: in the rule's own zone, with UTC beside it
/// so a daylight-saving change is visible.
pub(super) fn occurrence_label(zone: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{} ({} UTC)",
        local_format(tr(), &at.with_timezone(&zone), "%a %-d %b %Y, %H:%M %Z"),
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
