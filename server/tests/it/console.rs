//! The staff console beyond the catalog: scheduling drops, member care, administration and the
//! post-drop report, through the same HTTP endpoints the pages use.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use sqlx::PgPool;

use crate::support::{
    self, TestApp, account_with_role, assert_invariants, audit_actions, count, field_error, grant,
    staff, store_local,
};

#[sqlx::test]
async fn staff_schedule_a_one_off_drop_fill_it_edit_it_and_every_step_is_audited(pool: PgPool) {
    support::store(&pool).await;
    let reward = support::reward(&pool, "Candle duo", "gift", 750)
        .await
        .to_string();
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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
    support::store(&pool).await;
    let reward = support::reward(&pool, "Candle duo", "gift", 750)
        .await
        .to_string();
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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
async fn cancelling_a_drop_before_it_opens_tells_members_who_asked_for_a_reminder(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (member, _) = account_with_role(&pool, "fan@example.com", "member").await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Spring drop",
        now + Duration::days(1),
        now + Duration::days(2),
    )
    .await;
    sqlx::query("INSERT INTO drop_reminders (account_id, drop_id) VALUES ($1, $2)")
        .bind(member)
        .bind(drop)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool.clone());
    let reply = app.cancel_drop(&staff, &drop.to_string()).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    assert_eq!(reply.text().trim(), "1", "one member told");
    let message: String =
        sqlx::query_scalar("SELECT message FROM member_notices WHERE account_id = $1")
            .bind(member)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        message.starts_with("The drop \u{201c}Spring drop\u{201d} planned for "),
        "{message}"
    );
    assert!(message.ends_with("has been cancelled. Sorry: we'll tell you about the next one."));
    // The member no longer sees it coming.
    let bazaar = app.bazaar(None).await.json();
    assert!(!bazaar.to_string().contains("Spring drop"));
    assert_eq!(audit_actions(&pool).await, vec!["drop.cancel"]);
}

#[sqlx::test]
async fn staff_adjust_points_with_a_reason_and_never_below_zero(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (member, member_cookie) = account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 500).await;
    let app = TestApp::new(pool.clone());
    let id = member.to_string();
    let adjust = |points: &'static str, reason: &'static str| {
        let (app, staff, id) = (app.clone(), staff.clone(), id.clone());
        async move { app.adjust_points(&staff, &id, points, reason).await }
    };
    let added = adjust("+250", "Till was down on 12 Nov").await;
    assert!(added.status.is_success(), "{}", added.body);
    assert_eq!(added.text().trim(), "750");

    let too_much = adjust("-1000", "Duplicate purchase").await;
    assert_eq!(
        field_error(&too_much),
        (
            "points".to_owned(),
            "This member has 750 pts; you can take away at most that.".to_owned()
        )
    );
    let no_reason = adjust("100", " ").await;
    assert_eq!(
        field_error(&no_reason),
        (
            "reason".to_owned(),
            "Give a reason: the member sees it in their points history.".to_owned()
        )
    );
    let taken = adjust("-200", "Duplicate purchase").await;
    assert!(taken.status.is_success());

    // The member sees the reasons in their own history.
    let account = app.account(Some(&member_cookie)).await.json();
    assert_eq!(account["balance"], 550);
    assert_eq!(account["history"][0]["reason"], "Duplicate purchase");
    assert_eq!(account["history"][0]["points"], -200);
    assert_eq!(account["history"][1]["reason"], "Till was down on 12 Nov");
    assert_eq!(
        audit_actions(&pool).await,
        vec!["member.adjust", "member.adjust"]
    );
    assert_invariants(&pool).await;

    let found = app.search_members(&staff, "FAN").await.json();
    assert_eq!(found[0]["email"], "fan@example.com");
    assert_eq!(found[0]["balance"], 550);
    let care = app.member_care(&staff, &id).await.json();
    assert_eq!(care["ledger"].as_array().unwrap().len(), 3);
}

#[sqlx::test]
async fn staff_cancel_a_redemption_for_a_member_after_their_grace_period(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Live",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Candle duo", "gift", 300).await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    let (member, cookie) = account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 1000).await;
    let app = TestApp::new(pool.clone());
    let redeemed = app
        .redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
        .await;
    assert!(redeemed.status.is_success(), "{}", redeemed.body);
    let code = redeemed.json()["code"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE redemptions SET created_at = now() - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    let own = app.cancel_redemption(&cookie, &code).await;
    assert_eq!(
        own.app_error().to_string(),
        "This redemption can no longer be cancelled: cancelling is possible for 15 minutes after redeeming."
    );
    let send = |reason: &'static str| {
        let (app, staff, member, code) =
            (app.clone(), staff.clone(), member.to_string(), code.clone());
        async move { app.cancel_for_member(&staff, &member, &code, reason).await }
    };
    let no_reason = send("").await;
    assert_eq!(
        field_error(&no_reason),
        (
            "reason".to_owned(),
            "Give a reason for cancelling: it goes in the audit log.".to_owned()
        )
    );
    let done = send("Item damaged in store").await;
    assert!(done.status.is_success(), "{}", done.body);
    let (balance, remaining): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT balance FROM accounts WHERE id = $1), (SELECT remaining FROM drop_items WHERE id = $2)",
    )
    .bind(member)
    .bind(item)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((balance, remaining), (1000, 5));
    let after: String =
        sqlx::query_scalar("SELECT after::text FROM audit_log WHERE action = 'redemption.cancel'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(after.contains("Item damaged in store"), "{after}");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn admins_give_roles_and_manage_api_keys(pool: PgPool) {
    support::store(&pool).await;
    let (_, admin) = account_with_role(&pool, "admin@example.com", "admin").await;
    let (_, future_staff) = account_with_role(&pool, "new@example.com", "member").await;
    let app = TestApp::new(pool.clone());
    let set = |email: &'static str, role: &'static str| {
        let (app, admin) = (app.clone(), admin.clone());
        async move { app.set_role(&admin, email, role).await }
    };
    assert!(set("new@example.com", "staff").await.status.is_success());
    assert_eq!(
        field_error(&set("nobody@example.com", "staff").await),
        (
            "email".to_owned(),
            "No account uses that email. Ask them to sign up first.".to_owned()
        )
    );
    assert_eq!(
        field_error(&set("admin@example.com", "member").await),
        (
            "email".to_owned(),
            "You can't change your own role. Ask another admin.".to_owned()
        )
    );
    // A changed role ends the person's sessions: they sign in again with their new rights.
    assert_eq!(app.account(Some(&future_staff)).await.status, 401);
    let team = app.team(&admin).await.json();
    assert!(team.to_string().contains("new@example.com"));

    let created = app.create_api_key(&admin, "Web shop", "webshop").await;
    assert!(created.status.is_success(), "{}", created.body);
    let listed = app.api_keys(&admin).await.json();
    let key = listed["fresh_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rb_"));
    let again = app.api_keys(&admin).await.json();
    assert!(again["fresh_key"].is_null(), "shown only once");
    let bad = app.create_api_key(&admin, "Till", "Till 3!").await;
    assert_eq!(
        field_error(&bad),
        (
            "source".to_owned(),
            "The source is 1 to 40 lower-case letters, digits, - or _, e.g. webshop or till-3."
                .to_owned()
        )
    );

    let (member, _) = account_with_role(&pool, "buyer@example.com", "member").await;
    let body = support::purchase(member, "order-1", "10.00");
    assert_eq!(
        app.api_post("/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        201
    );
    let id = again["keys"][0]["id"].as_i64().unwrap().to_string();
    assert!(app.revoke_api_key(&admin, &id).await.status.is_success());
    let body = support::purchase(member, "order-2", "10.00");
    assert_eq!(
        app.api_post("/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        401
    );
    assert_eq!(
        audit_actions(&pool).await,
        vec!["account.role", "api_key.create", "api_key.revoke"]
    );
}

#[sqlx::test]
async fn the_post_drop_report_shows_sell_out_failures_bursts_and_exports_csv(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Live",
        now - Duration::minutes(10),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Candle duo", "gift", 300).await;
    let item = support::drop_item(&pool, drop, reward, 2, 2).await;
    let app = TestApp::new(pool.clone());
    let mut members = Vec::new();
    for n in 0..3 {
        let (id, cookie) = account_with_role(&pool, &format!("m{n}@example.com"), "member").await;
        grant(&pool, id, 1000).await;
        members.push((id, cookie));
    }
    let press = |cookie: String| {
        let app = app.clone();
        async move {
            app.redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
                .await
        }
    };
    assert!(press(members[0].1.clone()).await.status.is_success());
    assert!(press(members[1].1.clone()).await.status.is_success());
    // The third member is too late, and keeps pressing: a burst within one second.
    for _ in 0..6 {
        assert_eq!(
            press(members[2].1.clone()).await.app_error().to_string(),
            "Sorry, this reward just sold out."
        );
    }
    sqlx::query(
        "UPDATE redemption_attempts SET at = date_trunc('second', now()) WHERE account_id = $1",
    )
    .bind(members[2].0)
    .execute(&pool)
    .await
    .unwrap();

    let report = app.drop_report(&staff, drop).await.json();
    assert_eq!(report["redemptions"], 2);
    assert_eq!(report["unique_redeemers"], 2);
    assert_eq!(report["attempts"], 8);
    assert_eq!(report["points_spent"], 600);
    assert!(
        report["items"][0]["sell_out"]
            .as_str()
            .unwrap()
            .starts_with("Sold out ")
    );
    assert_eq!(report["failures"], serde_json::json!([["Sold out", 6]]));
    assert_eq!(report["suspects"][0]["who"], "m2@example.com");
    assert_eq!(report["suspects"][0]["peak_per_second"], 6);
    assert_eq!(report["by_tier"], serde_json::json!([["Bronze", 2]]));
    let charted: i64 = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(charted, 2);

    // The page draws the chart on the server.
    let page = app
        .get_as(&format!("/staff/drops/{drop}/report"), &staff)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "an SVG chart");
    assert!(page.body.contains("class=\"chart-bar\""));

    let csv = app
        .get_as(&format!("/staff/drops/{drop}/report.csv"), &staff)
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "code,reward,member,tier,points,status,redeemed_at,cancelled_at"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("Candle duo,m0@example.com,Bronze,300,confirmed,"));
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-real-picture-but-png-bytes";

#[sqlx::test]
async fn staff_upload_a_reward_photo_and_members_see_it_on_the_card(pool: PgPool) {
    let (_, _) = support::live_store(&pool).await;
    let staff = staff(&pool).await;
    let reward: i64 = sqlx::query_scalar(
        "SELECT r.id FROM rewards r JOIN drop_items di ON di.reward_id = r.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());

    let (status, location) = app.upload_photo(reward, PNG, Some(&staff)).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("/staff/rewards/{reward}?photo=saved")),
        "{location}"
    );
    let page = app.get_as(&location, &staff).await;
    assert!(
        page.text()
            .contains("Picture saved. Members see it on the reward"),
        "the edit page confirms the upload"
    );

    let card = app.bazaar(None).await.json();
    let url = card["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reward_id"] == reward)
        .unwrap()["image_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!("/media/rewards/{reward}/photo?v=")),
        "{url}"
    );
    let picture = app
        .response(Request::get(&url).body(Body::empty()).unwrap())
        .await;
    assert_eq!(picture.status(), 200);
    assert_eq!(picture.headers()["content-type"], "image/png");
    assert_eq!(picture.headers()["x-content-type-options"], "nosniff");
    let bytes = picture.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..], PNG, "members get exactly the uploaded picture");
    assert_eq!(audit_actions(&pool).await, vec!["reward.photo"]);
}

#[sqlx::test]
async fn a_photo_that_is_too_large_or_not_a_picture_is_refused_with_its_message(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (_, member) = account_with_role(&pool, "fan@example.com", "member").await;
    let reward = support::reward(&pool, "Candle", "gift", 500).await;
    let app = TestApp::new(pool.clone());

    let mut huge = PNG.to_vec();
    huge.resize(1024 * 1024 + 1, 0);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let cases: [(&[u8], &str, &str); 3] = [
        (
            &huge,
            "too_large",
            "That picture is larger than 1 MB. Export it smaller (e.g. 1200 px wide) and try again.",
        ),
        (
            svg,
            "type",
            "That file is not a PNG, JPEG or WebP picture. Other types (GIF, SVG, HEIC, PDF) are not accepted.",
        ),
        (b"", "missing", "Choose a picture to upload."),
    ];
    for (bytes, code, message) in cases {
        let (status, location) = app.upload_photo(reward, bytes, Some(&staff)).await;
        assert_eq!(status, 303, "{code}");
        assert_eq!(
            location,
            format!("/staff/rewards/{reward}?photo_error={code}")
        );
        let page = app.get_as(&location, &staff).await;
        assert!(
            page.text().contains(message),
            "the edit page says {message:?}"
        );
    }
    assert_eq!(app.upload_photo(reward, PNG, Some(&member)).await.0, 403);
    assert_eq!(app.upload_photo(reward, PNG, None).await.0, 401);
    assert_eq!(count(&pool, "reward_images").await, 0, "nothing stored");
    assert!(audit_actions(&pool).await.is_empty());
    // A reward that does not exist is not given a picture either.
    assert_eq!(
        app.upload_photo(reward + 99, PNG, Some(&staff)).await.0,
        404
    );
}

#[sqlx::test]
async fn members_set_a_drop_reminder_and_hear_when_the_drop_moves(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (_, member) = account_with_role(&pool, "fan@example.com", "member").await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Winter drop",
        now + Duration::days(1),
        now + Duration::days(2),
    )
    .await
    .to_string();
    let app = TestApp::new(pool.clone());

    let set = app.remind(Some(&member), &drop, true).await;
    assert!(set.status.is_success(), "{}", set.body);
    let bazaar = app.bazaar(Some(&member)).await.json();
    assert_eq!(bazaar["next"]["reminded"], true);
    let account = app.account(Some(&member)).await.json();
    assert_eq!(account["reminders"][0]["title"], "Winter drop");
    // The bazaar page offers to cancel it.
    let page = app.get_as("/", &member).await;
    assert!(page.text().contains("Reminder set"));
    assert!(page.text().contains("Cancel the reminder for Winter drop"));

    // Staff move it by an hour: the member is told, old and new times named.
    let reply = app
        .save_drop(
            &staff,
            Some(&drop),
            "Winter drop",
            &store_local(now + Duration::days(1) + Duration::hours(1)),
            &store_local(now + Duration::days(2)),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let account = app.account(Some(&member)).await.json();
    let notice = account["notices"][0]["message"].as_str().unwrap();
    assert!(
        notice.starts_with("The drop \u{201c}Winter drop\u{201d} has moved: it now opens "),
        "{notice}"
    );
    let page = app.get_as("/account", &member).await;
    assert!(page.text().contains("Messages for you"));

    let off = app.remind(Some(&member), &drop, false).await;
    assert!(off.status.is_success(), "{}", off.body);
    let bazaar = app.bazaar(Some(&member)).await.json();
    assert_eq!(bazaar["next"]["reminded"], false);
    assert_eq!(count(&pool, "drop_reminders").await, 0);
}

#[sqlx::test]
async fn a_reminder_for_an_open_or_cancelled_drop_is_refused_with_its_reason(pool: PgPool) {
    support::store(&pool).await;
    let (_, member) = account_with_role(&pool, "fan@example.com", "member").await;
    let now = Utc::now();
    let open = support::drop_window(
        &pool,
        "Open",
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await
    .to_string();
    let cancelled = support::drop_window(
        &pool,
        "Called off",
        now + Duration::days(1),
        now + Duration::days(2),
    )
    .await;
    sqlx::query("UPDATE drops SET cancelled_at = now() WHERE id = $1")
        .bind(cancelled)
        .execute(&pool)
        .await
        .unwrap();
    let cancelled = cancelled.to_string();
    let app = TestApp::new(pool.clone());
    let cases = [
        (
            open.as_str(),
            "That drop is already open: no reminder needed, go and redeem.",
        ),
        (
            cancelled.as_str(),
            "That drop was cancelled, so there is nothing to be reminded of.",
        ),
        ("987654", "That drop was not found."),
    ];
    for (drop, message) in cases {
        let reply = app.remind(Some(&member), drop, true).await;
        assert!(reply.status.is_client_error(), "{}", reply.body);
        assert_eq!(reply.app_error().to_string(), message);
    }
    let anonymous = app.remind(None, &open, true).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(count(&pool, "drop_reminders").await, 0);
}

#[sqlx::test]
async fn moving_a_drop_so_close_that_its_early_access_has_begun_is_refused(pool: PgPool) {
    support::store(&pool).await;
    let reward = support::reward(&pool, "Candle duo", "gift", 750)
        .await
        .to_string();
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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
    support::store(&pool).await;
    let reward = support::reward(&pool, "Candle duo", "gift", 750)
        .await
        .to_string();
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let app = TestApp::new(pool.clone());
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

#[sqlx::test]
async fn each_mistake_in_adjusting_points_or_finding_a_member_is_explained(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (member, _) = account_with_role(&pool, "fan@example.com", "member").await;
    let app = TestApp::new(pool.clone());
    let id = member.to_string();
    let long_reason = "r".repeat(201);
    let cases = [
        (
            "lots",
            "Goodwill",
            "points",
            "Enter the points to add or take away as a whole number, e.g. 500 or -200.",
        ),
        ("0", "Goodwill", "points", "Enter a number other than 0."),
        (
            "1000001",
            "Goodwill",
            "points",
            "Adjust by at most 1,000,000 points at a time.",
        ),
        (
            "100",
            long_reason.as_str(),
            "reason",
            "Keep the reason to 200 characters.",
        ),
    ];
    for (points, reason, field, message) in cases {
        let reply = app.adjust_points(&staff, &id, points, reason).await;
        assert_eq!(reply.status, 422, "{message}: {}", reply.body);
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(
        count(&pool, "ledger_entries").await,
        0,
        "nothing was written"
    );
    let nobody = app.member_care(&staff, "999999").await;
    assert_eq!(nobody.status, 404);
    assert_eq!(nobody.app_error().to_string(), "That member was not found.");
}

#[sqlx::test]
async fn each_mistake_an_admin_can_make_is_explained(pool: PgPool) {
    support::store(&pool).await;
    let (_, admin) = account_with_role(&pool, "admin@example.com", "admin").await;
    account_with_role(&pool, "new@example.com", "member").await;
    let app = TestApp::new(pool.clone());
    let role = app.set_role(&admin, "new@example.com", "owner").await;
    assert_eq!(
        field_error(&role),
        (
            "role".to_owned(),
            "Choose member, staff or admin.".to_owned()
        )
    );
    let unnamed = app.create_api_key(&admin, " ", "webshop").await;
    assert_eq!(
        field_error(&unnamed),
        (
            "name".to_owned(),
            "Name the key (1 to 80 characters), e.g. Web shop.".to_owned()
        )
    );
    assert_eq!(count(&pool, "api_keys").await, 0);
    let unknown = app.revoke_api_key(&admin, "999999").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.app_error().to_string(),
        "That API key was not found."
    );
    let role: String =
        sqlx::query_scalar("SELECT role FROM accounts WHERE email = 'new@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(role, "member", "nothing changed");
}
