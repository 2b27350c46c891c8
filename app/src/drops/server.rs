//! Drop scheduling on the server, where the time-zone database lives (chrono-tz is kept out of
//! the browser bundle).

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

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
}
