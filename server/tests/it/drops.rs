//! Scheduling drops in the console: one-off drops and weekly schedules, the rewards in them
//! with their limits and early access, and every mistake explained beside its field.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::{
    self, audit_actions, count, field_error, staff_console, staff_console_with_a_reward,
    store_local,
};

#[sqlx::test]
async fn staff_schedule_a_one_off_drop_fill_it_edit_it_and_every_step_is_audited(pool: PgPool) {
    let (app, staff, reward) = staff_console_with_a_reward(&pool).await;
    let now = Utc::now();
    let starts = store_local(now + Duration::days(2));
    let ends = store_local(now + Duration::days(3));

    let drop = app.new_drop(&staff, "Winter drop", &starts, &ends).await;
    let added = app.add_item(&staff, &drop, &reward, "40").await;
    assert!(added.status.is_success(), "{}", added.body);

    let detail = app.staff_drop(&staff, &drop).await.json();
    assert_eq!(detail["drop"]["title"], "Winter drop");
    assert_eq!(detail["drop"]["state"], "Scheduled");
    assert_eq!(detail["starts_input"], starts.as_str());
    assert_eq!(detail["editable"], true);
    assert_eq!(detail["items"][0]["title"], "Candle duo");
    assert_eq!(detail["items"][0]["quantity"], 40);
    assert_eq!(detail["items"][0]["points_cost"], 750);
    assert_eq!(
        detail["items"][0]["early_access"],
        "Gold members 30 minutes early"
    );

    // Choosing the same reward again changes it rather than adding a second line.
    assert!(
        app.add_item(&staff, &drop, &reward, "60")
            .await
            .status
            .is_success()
    );
    let later = store_local(now + Duration::days(5));
    let later_end = store_local(now + Duration::days(6));
    let moved = app
        .save_drop(&staff, Some(&drop), "Winter drop", &later, &later_end)
        .await;
    assert!(moved.status.is_success(), "{}", moved.body);
    let item = sqlx::query_scalar::<_, i64>("SELECT id FROM drop_items")
        .fetch_one(&pool)
        .await
        .unwrap()
        .to_string();
    let removed = app.remove_drop_item(&staff, &drop, &item).await;
    assert!(removed.status.is_success(), "{}", removed.body);
    assert_eq!(count(&pool, "drop_items").await, 0);

    // The calendar shows it on its local day.
    let month = (now + Duration::days(5))
        .with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%d")
        .to_string();
    let calendar = app.drop_calendar(&staff, "week", &month).await.json();
    let day = calendar["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == month.as_str())
        .unwrap();
    assert_eq!(day["drops"][0]["title"], "Winter drop");

    assert_eq!(
        audit_actions(&pool).await,
        vec![
            "drop.create",
            "drop.item.add",
            "drop.item.edit",
            "drop.edit",
            "drop.item.remove"
        ]
    );
}

#[sqlx::test]
async fn each_invalid_scheduling_input_gets_its_message_and_nothing_is_saved(pool: PgPool) {
    let (app, staff, reward) = staff_console_with_a_reward(&pool).await;
    let now = Utc::now();
    let (tomorrow, day_after) = (
        store_local(now + Duration::days(1)),
        store_local(now + Duration::days(2)),
    );
    let yesterday = store_local(now - Duration::days(1));

    let cases = [
        (
            ("Drop", yesterday.as_str(), day_after.as_str()),
            (
                "starts_at",
                "The start is in the past. Choose a time from now on.",
            ),
        ),
        (
            ("Drop", day_after.as_str(), tomorrow.as_str()),
            ("ends_at", "The end must be after the start."),
        ),
        (
            ("Drop", "soon", day_after.as_str()),
            (
                "starts_at",
                "Enter when the drop starts as a date and time, e.g. 2026-12-01 09:00.",
            ),
        ),
        (
            ("  ", tomorrow.as_str(), day_after.as_str()),
            ("title", "Give the drop a title."),
        ),
    ];
    for ((title, starts, ends), (field, message)) in cases {
        let reply = app.save_drop(&staff, None, title, starts, ends).await;
        assert_eq!(reply.status, 422, "{message}");
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(count(&pool, "drops").await, 0);

    // An overlapping duplicate: same title, overlapping time.
    let first = app
        .save_drop(&staff, None, "Winter drop", &tomorrow, &day_after)
        .await;
    assert!(first.status.is_success());
    let drop = first.text().trim().to_owned();
    let overlap_start = store_local(now + Duration::days(1) + Duration::hours(3));
    let duplicate = app
        .save_drop(&staff, None, "winter drop ", &overlap_start, &day_after)
        .await;
    assert_eq!(
        field_error(&duplicate),
        (
            "title".to_owned(),
            "A drop called \u{201c}winter drop\u{201d} already overlaps these times. Change the title or the times."
                .to_owned()
        )
    );
    assert_eq!(count(&pool, "drops").await, 1);

    // Zero quantity, and the other item mistakes.
    let zero = app.add_item(&staff, &drop, &reward, "0").await;
    assert_eq!(
        field_error(&zero),
        (
            "quantity".to_owned(),
            "The quantity must be at least 1.".to_owned()
        )
    );
    let archived = support::reward(&pool, "Old", "gift", 100).await;
    sqlx::query("UPDATE rewards SET archived_at = now() WHERE id = $1")
        .bind(archived)
        .execute(&pool)
        .await
        .unwrap();
    let reply = app
        .add_item(&staff, &drop, &archived.to_string(), "5")
        .await;
    assert_eq!(
        field_error(&reply),
        (
            "reward_id".to_owned(),
            "That reward is archived. Choose another.".to_owned()
        )
    );
    assert_eq!(count(&pool, "drop_items").await, 0);

    // Once a drop is open, its rewards and times are fixed and it cannot be cancelled.
    let open = support::drop_window(
        &pool,
        "Open now",
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await
    .to_string();
    let reply = app.add_item(&staff, &open, &reward, "5").await;
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.app_error().to_string(),
        "This drop has already opened, so its rewards can no longer be changed."
    );
    let reply = app.cancel_drop(&staff, &open).await;
    assert_eq!(
        reply.app_error().to_string(),
        "This drop has already opened, so it can no longer be cancelled."
    );

    // A weekly schedule with a bad rule.
    let reply = app
        .create_schedule(&staff, "Weekly", "", "09:00", "Europe/Madrid", "24")
        .await;
    assert_eq!(
        field_error(&reply),
        ("days".to_owned(), "Choose at least one weekday.".to_owned())
    );
    assert_eq!(count(&pool, "drop_schedules").await, 0);
    assert_eq!(audit_actions(&pool).await, vec!["drop.create"]);
}

#[sqlx::test]
async fn a_weekly_schedule_creates_eight_drops_at_nine_local_time(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let preview = app
        .preview_schedule(&staff, "tue,thu", "09:00", "America/Mexico_City")
        .await
        .json();
    assert_eq!(
        preview["rule"],
        "Every Tuesday and Thursday at 09:00 America/Mexico_City"
    );
    assert_eq!(preview["occurrences"].as_array().unwrap().len(), 8);

    let reply = app
        .create_schedule(
            &staff,
            "Madrid drop",
            "tue,thu",
            "09:00",
            "Europe/Madrid",
            "48",
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT to_char(starts_at AT TIME ZONE 'Europe/Madrid', 'HH24:MI Dy'), title,
                extract(epoch FROM ends_at - starts_at)::float8
         FROM drops ORDER BY starts_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 8);
    for (local, title, secs) in &rows {
        assert!(local == "09:00 Tue" || local == "09:00 Thu", "{local}");
        assert!(title.starts_with("Madrid drop \u{b7} "), "{title}");
        assert_eq!(*secs, 48.0 * 3600.0);
    }
    assert_eq!(audit_actions(&pool).await, vec!["schedule.create"]);
}

#[sqlx::test]
async fn moving_a_drop_so_close_that_its_early_access_has_begun_is_refused(pool: PgPool) {
    let (app, staff, reward) = staff_console_with_a_reward(&pool).await;
    let now = Utc::now();
    let (starts, ends) = (
        store_local(now + Duration::days(2)),
        store_local(now + Duration::days(3)),
    );
    let drop = app.new_drop(&staff, "Winter drop", &starts, &ends).await;
    // Gold members may redeem 30 minutes before the start.
    assert!(
        app.add_item(&staff, &drop, &reward, "40")
            .await
            .status
            .is_success()
    );

    let soon = store_local(now + Duration::minutes(10));
    let moved = app
        .save_drop(&staff, Some(&drop), "Winter drop", &soon, &ends)
        .await;
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert_eq!(
        field_error(&moved),
        (
            "starts_at".to_owned(),
            "With its early access this drop would already be open for some members. Choose a later start, or give its rewards less early access.".to_owned()
        )
    );
    let detail = app.staff_drop(&staff, &drop).await.json();
    assert_eq!(
        detail["starts_input"],
        starts.as_str(),
        "the drop did not move"
    );
    assert_eq!(detail["editable"], true, "and it has not opened");
}

#[sqlx::test]
async fn each_mistake_in_putting_a_reward_in_a_drop_is_explained_beside_its_field(pool: PgPool) {
    let (app, staff, reward) = staff_console_with_a_reward(&pool).await;
    let now = Utc::now();
    let later = app
        .new_drop(
            &staff,
            "Winter drop",
            &store_local(now + Duration::days(2)),
            &store_local(now + Duration::days(3)),
        )
        .await;
    let soon = app
        .new_drop(
            &staff,
            "Flash drop",
            &store_local(now + Duration::minutes(10)),
            &store_local(now + Duration::days(1)),
        )
        .await;
    // (drop, field changed, its value, field blamed, message)
    let cases = [
        (&later, "reward_id", "", "reward_id", "Choose a reward."),
        (
            &later,
            "reward_id",
            "999999",
            "reward_id",
            "That reward does not exist. Choose one from the list.",
        ),
        (
            &later,
            "quantity",
            "lots",
            "quantity",
            "Enter the quantity as a whole number, e.g. 50.",
        ),
        (
            &later,
            "quantity",
            "1000001",
            "quantity",
            "The quantity can be at most 1,000,000.",
        ),
        (
            &later,
            "per_member_limit",
            "one",
            "per_member_limit",
            "Enter how many each member may redeem as a whole number, e.g. 1.",
        ),
        (
            &later,
            "per_member_limit",
            "1001",
            "per_member_limit",
            "Each member may redeem between 1 and 1,000.",
        ),
        (
            &later,
            "points_cost",
            "-3",
            "points_cost",
            "The cost must be a whole number between 1 and 1,000,000 points, or empty for the reward's usual cost.",
        ),
        (
            &later,
            "early_access_minutes",
            "0",
            "early_access_minutes",
            "Early access starts 1 to 1,440 minutes before the drop.",
        ),
        (
            &later,
            "early_access_minutes",
            "",
            "early_access_minutes",
            "Give both the tier with early access and how many minutes early, or neither.",
        ),
        (
            &later,
            "early_access_tier",
            "platinum",
            "early_access_tier",
            "Choose one of the tiers.",
        ),
        (
            &soon,
            "early_access_minutes",
            "30",
            "early_access_minutes",
            "That much early access would start in the past. Choose fewer minutes.",
        ),
    ];
    for (drop, changed, value, field, message) in cases {
        let mut form = vec![
            ("drop_id", drop.as_str()),
            ("reward_id", reward.as_str()),
            ("quantity", "40"),
            ("per_member_limit", "1"),
            ("points_cost", ""),
            ("early_access_tier", "gold"),
            ("early_access_minutes", "15"),
        ];
        form.iter_mut().find(|(k, _)| *k == changed).unwrap().1 = value;
        let reply = app.save_drop_item(&staff, &form).await;
        assert_eq!(reply.status, 422, "{changed}={value:?}: {}", reply.body);
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), message.to_owned()),
            "{changed}={value:?}"
        );
    }
    assert_eq!(count(&pool, "drop_items").await, 0, "nothing was saved");
    let missing = app.remove_drop_item(&staff, &later, "999999").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.app_error().to_string(),
        "That reward in this drop was not found."
    );
}

#[sqlx::test]
async fn each_mistake_in_a_drop_is_explained_and_a_drop_that_opened_keeps_its_times(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let now = Utc::now();
    let starts = store_local(now + Duration::days(2));
    let ends = store_local(now + Duration::days(3));
    let long_title = "x".repeat(121);
    let cases = [
        (
            long_title.as_str(),
            starts.as_str(),
            ends.as_str(),
            "title",
            "Keep the title to 120 characters.",
        ),
        (
            "Winter drop",
            starts.as_str(),
            "tomorrow",
            "ends_at",
            "Enter when the drop ends as a date and time, e.g. 2026-12-03 09:00.",
        ),
        (
            "Winter drop",
            starts.as_str(),
            &store_local(now + Duration::days(40)),
            "ends_at",
            "A drop can last at most 31 days.",
        ),
    ];
    for (title, starts, ends, field, message) in cases {
        let reply = app.save_drop(&staff, None, title, starts, ends).await;
        assert_eq!(reply.status, 422, "{message}: {}", reply.body);
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(count(&pool, "drops").await, 0, "nothing was saved");

    let open = support::drop_window(
        &pool,
        "Open now",
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await
    .to_string();
    let moved = app
        .save_drop(&staff, Some(&open), "Open now", &starts, &ends)
        .await;
    assert_eq!(moved.status, 409, "{}", moved.body);
    assert_eq!(
        moved.app_error().to_string(),
        "This drop has already opened, so its times can no longer be changed."
    );
    let starts_at: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT starts_at FROM drops WHERE id = $1")
            .bind(open.parse::<i64>().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(starts_at < now, "its times stayed");
}
