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
                ItemDraft::parse(reward, quantity, limit, cost, tier, minutes, "", "").unwrap_err()
            ),
            (field.to_owned(), message.to_owned())
        );
    }
}
