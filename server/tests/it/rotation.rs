//! Rotation that runs itself (issue 26, part 0): a schedule's template fills each drop with the
//! right mix and no repeats, the schedule keeps eight weeks ahead past its first eight drops, a
//! pool that runs dry is reported on the staff home page, the fill runs once when two servers
//! try, staff changes to a filled drop stick, and staff pause, skip and end schedules.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::support::{self, TestApp, field_error};

/// A schedule every day at 09:00 New York, two hours long, made through the staff form; its id.
async fn daily_schedule(app: &TestApp, staff: &str) -> i64 {
    let made = app
        .create_schedule(
            staff,
            "Daily picks",
            "mon,tue,wed,thu,fri,sat,sun",
            "09:00",
            "America/New_York",
            "2",
        )
        .await;
    assert!(made.status.is_success(), "{}", made.body);
    sqlx::query_scalar("SELECT id FROM drop_schedules ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn rewards(pool: &PgPool, prefix: &str, category: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(support::reward(pool, &format!("{prefix} {i}"), category, 100).await);
    }
    ids
}

async fn add_pool(app: &TestApp, staff: &str, schedule: i64, source: &str, picks: &str) {
    let added = app
        .add_pool(
            staff,
            &[
                ("schedule", &schedule.to_string()),
                ("source", source),
                ("picks", picks),
                ("quantity", "10"),
                ("points_cost", ""),
                ("per_member_limit", "1"),
            ],
        )
        .await;
    assert!(added.status.is_success(), "{}", added.body);
}

/// The schedule's drops, soonest first: (id, starts_at, its rewards' categories and ids).
async fn drops(pool: &PgPool, schedule: i64) -> Vec<(i64, DateTime<Utc>, Vec<String>, Vec<i64>)> {
    sqlx::query_as(
        "SELECT d.id, d.starts_at,
                ARRAY(SELECT r.category FROM drop_items di JOIN rewards r ON r.id = di.reward_id
                      WHERE di.drop_id = d.id ORDER BY r.category),
                ARRAY(SELECT di.reward_id FROM drop_items di WHERE di.drop_id = d.id ORDER BY di.reward_id)
         FROM drops d WHERE d.schedule_id = $1 AND d.cancelled_at IS NULL ORDER BY d.starts_at",
    )
    .bind(schedule)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_template_fills_each_drop_with_its_mix_and_no_reward_twice_within_three_drops(
    pool: PgPool,
) {
    let (app, staff) = support::staff_console(&pool).await;
    let schedule = daily_schedule(&app, &staff).await;
    rewards(&pool, "Gift", "gift", 8).await;
    // Enough for a drop and the three before it, never more: the rule is what spreads them.
    rewards(&pool, "Tasting", "experience", 4).await;
    let archived = support::reward(&pool, "Old gift", "gift", 100).await;
    sqlx::query("UPDATE rewards SET archived_at = now() WHERE id = $1")
        .bind(archived)
        .execute(&pool)
        .await
        .unwrap();
    add_pool(&app, &staff, schedule, "category:gift", "2").await;
    add_pool(&app, &staff, schedule, "category:experience", "1").await;
    let set = app.set_fill(&staff, schedule, "48", "3").await;
    assert!(set.status.is_success(), "{}", set.body);

    // Day by day, each drop is filled two days before it opens.
    let first = drops(&pool, schedule).await[0].1;
    for day in 0..6 {
        let now = first + Duration::days(day) - Duration::hours(47);
        assert_eq!(
            app::drops::ssr::fill_due(&pool, now).await.unwrap(),
            1,
            "day {day}"
        );
    }
    let filled = drops(&pool, schedule).await;
    for (n, (_, _, categories, ids)) in filled.iter().take(6).enumerate() {
        assert_eq!(categories, &["experience", "gift", "gift"], "drop {n}");
        assert!(!ids.contains(&archived));
        // Not in the three drops before it.
        for earlier in filled[n.saturating_sub(3)..n].iter() {
            assert!(
                ids.iter().all(|id| !earlier.3.contains(id)),
                "drop {n} repeats a reward of {:?}",
                earlier.3
            );
        }
    }
    // The seventh is not due yet.
    assert!(filled[6].3.is_empty());
}

#[sqlx::test]
async fn a_schedule_keeps_eight_weeks_ahead_past_its_first_eight_drops_and_skips_a_holiday(
    pool: PgPool,
) {
    let (app, staff) = support::staff_console(&pool).await;
    let schedule = daily_schedule(&app, &staff).await;
    assert_eq!(drops(&pool, schedule).await.len(), 8, "made at once");
    let now = Utc::now();
    app::drops::ssr::keep_rolling(&pool, now).await.unwrap();
    let ahead = drops(&pool, schedule).await;
    assert!(ahead.len() >= 56, "{} drops", ahead.len());
    assert!(ahead.last().unwrap().1 > now + Duration::weeks(8) - Duration::days(1));
    // Ten weeks on, it has kept rolling; running it twice makes nothing more.
    let later = now + Duration::weeks(10);
    app::drops::ssr::keep_rolling(&pool, later).await.unwrap();
    assert_eq!(
        app::drops::ssr::keep_rolling(&pool, later).await.unwrap(),
        0
    );
    let rolled = drops(&pool, schedule).await;
    assert!(rolled.last().unwrap().1 > later + Duration::weeks(8) - Duration::days(1));

    // A skipped date: its drop is cancelled and not made again.
    let holiday = (ahead[20].1.with_timezone(&chrono_tz::America::New_York))
        .date_naive()
        .to_string();
    let skipped = app.skip_date(&staff, schedule, &holiday).await;
    assert!(skipped.status.is_success(), "{}", skipped.body);
    app::drops::ssr::keep_rolling(&pool, now).await.unwrap();
    let after: Vec<DateTime<Utc>> = drops(&pool, schedule).await.iter().map(|d| d.1).collect();
    assert!(!after.contains(&ahead[20].1));
    let bad = app.skip_date(&staff, schedule, "Christmas").await;
    assert_eq!(
        field_error(&bad),
        (
            "date".to_owned(),
            "Enter the date to skip as a date, e.g. 2026-12-25.".to_owned()
        )
    );

    // Paused, it makes nothing; ended, it makes nothing and cannot be resumed.
    assert!(
        app.set_schedule_state(&staff, schedule, "pause")
            .await
            .status
            .is_success()
    );
    assert_eq!(
        app::drops::ssr::keep_rolling(&pool, now + Duration::weeks(20))
            .await
            .unwrap(),
        0
    );
    assert!(
        app.set_schedule_state(&staff, schedule, "end")
            .await
            .status
            .is_success()
    );
    let resume = app.set_schedule_state(&staff, schedule, "resume").await;
    assert_eq!(resume.status, 409);
    assert_eq!(
        resume.app_error().to_string(),
        "This schedule has ended; it cannot be changed."
    );
    let actions = support::audit_actions(&pool).await;
    for action in ["schedule.skip", "schedule.pause", "schedule.end"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
}

#[sqlx::test]
async fn a_pool_that_runs_dry_is_reported_on_the_staff_home_page(pool: PgPool) {
    let (app, staff) = support::staff_console(&pool).await;
    let schedule = daily_schedule(&app, &staff).await;
    rewards(&pool, "Gift", "gift", 1).await;
    add_pool(&app, &staff, schedule, "category:gift", "2").await;
    // Filled two hours ahead: only the first drop is due.
    assert!(
        app.set_fill(&staff, schedule, "2", "4")
            .await
            .status
            .is_success()
    );
    let first = drops(&pool, schedule).await[0].1;
    app::drops::ssr::fill_due(&pool, first - Duration::hours(1))
        .await
        .unwrap();
    let alerts = app.rotation_alerts(&staff).await.json();
    assert_eq!(
        alerts,
        serde_json::json!([
            "Rotation “Daily picks” ran short filling its last drop — Gifts: found 1 of 2. Add rewards to those pools or change the template."
        ])
    );
    let page = app.rotation(&staff).await.json();
    assert_eq!(
        page["schedules"][0]["pools"][0]["described"],
        "2 from Gifts, 10 of each"
    );
}

#[sqlx::test]
async fn two_servers_fill_a_drop_once_and_staff_changes_to_it_stick(pool: PgPool) {
    let (app, staff) = support::staff_console(&pool).await;
    let schedule = daily_schedule(&app, &staff).await;
    rewards(&pool, "Gift", "gift", 6).await;
    add_pool(&app, &staff, schedule, "category:gift", "3").await;
    let (first_id, first, ..) = drops(&pool, schedule).await.remove(0);
    let now = first - Duration::hours(1);
    let (a, b) = tokio::join!(
        app::drops::ssr::fill_one(&pool, first_id, now),
        app::drops::ssr::fill_one(&pool, first_id, now)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|filled| **filled)
            .count(),
        1
    );
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM drop_items WHERE drop_id = $1")
        .bind(first_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 3);

    // Staff take one reward out on the drop's page; the next fill leaves the drop alone.
    let item: i64 = sqlx::query_scalar("SELECT id FROM drop_items WHERE drop_id = $1 LIMIT 1")
        .bind(first_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let removed = app
        .remove_drop_item(&staff, &first_id.to_string(), &item.to_string())
        .await;
    assert!(removed.status.is_success(), "{}", removed.body);
    app::drops::ssr::fill_due(&pool, now).await.unwrap();
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM drop_items WHERE drop_id = $1")
        .bind(first_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 2);

    // Pool mistakes say which field and why; only staff keep templates.
    let bad = app
        .add_pool(
            &staff,
            &[
                ("schedule", &schedule.to_string()),
                ("source", "shelf:3"),
                ("picks", "1"),
                ("quantity", "10"),
                ("points_cost", ""),
                ("per_member_limit", "1"),
            ],
        )
        .await;
    assert_eq!(
        field_error(&bad),
        (
            "source".to_owned(),
            "Say where the rewards come from: category:gift, tag:travel, or rewards:12,15 with reward numbers.".to_owned()
        )
    );
    let bad_fill = app.set_fill(&staff, schedule, "0", "4").await;
    assert_eq!(
        field_error(&bad_fill),
        (
            "fill_hours".to_owned(),
            "Enter a whole number from 1 to 336.".to_owned()
        )
    );
    let bad_state = app.set_schedule_state(&staff, schedule, "stop").await;
    assert_eq!(bad_state.status, 400);
    assert_eq!(
        bad_state.app_error().to_string(),
        "Choose pause, resume or end."
    );
    let (_, member) = support::member_with(&pool, 1, 0).await;
    assert_eq!(app.rotation(&member).await.status, 403);
}
