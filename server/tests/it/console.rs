//! The staff console beyond the catalog: scheduling drops, member care, administration and the
//! post-drop report, through the same HTTP endpoints the pages use.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::{
    self, account_with_role, assert_invariants, audit_actions, count, field_error, get_as, grant,
    post_form, store_local,
};

async fn staff(pool: &PgPool) -> String {
    account_with_role(pool, "staff@example.com", "staff")
        .await
        .1
}

async fn save_drop(
    app: &axum::Router,
    cookie: &str,
    id: Option<&str>,
    title: &str,
    starts: &str,
    ends: &str,
) -> support::Reply {
    let mut form = vec![("title", title), ("starts_at", starts), ("ends_at", ends)];
    if let Some(id) = id {
        form.push(("id", id));
    }
    post_form(app, "/api/fn/staff/save_drop", &form, Some(cookie)).await
}

/// A new drop, saved through the form; its id.
async fn new_drop(
    app: &axum::Router,
    cookie: &str,
    title: &str,
    starts: &str,
    ends: &str,
) -> String {
    let created = save_drop(app, cookie, None, title, starts, ends).await;
    assert!(created.status.is_success(), "{}", created.body);
    created.text().trim().to_owned()
}

async fn add_item(
    app: &axum::Router,
    cookie: &str,
    drop: &str,
    reward: &str,
    quantity: &str,
) -> support::Reply {
    post_form(
        app,
        "/api/fn/staff/save_drop_item",
        &[
            ("drop_id", drop),
            ("reward_id", reward),
            ("quantity", quantity),
            ("per_member_limit", "2"),
            ("early_access_tier", "gold"),
            ("early_access_minutes", "30"),
        ],
        Some(cookie),
    )
    .await
}

#[sqlx::test]
async fn staff_schedule_a_one_off_drop_fill_it_edit_it_and_every_step_is_audited(pool: PgPool) {
    support::store(&pool).await;
    let reward = support::reward(&pool, "Candle duo", "gift", 750)
        .await
        .to_string();
    let staff = staff(&pool).await;
    let app = support::app(pool.clone());
    let now = Utc::now();
    let starts = store_local(now + Duration::days(2));
    let ends = store_local(now + Duration::days(3));

    let drop = new_drop(&app, &staff, "Winter drop", &starts, &ends).await;
    let added = add_item(&app, &staff, &drop, &reward, "40").await;
    assert!(added.status.is_success(), "{}", added.body);

    let detail = get_as(&app, &format!("/api/fn/staff/drop?id={drop}"), &staff)
        .await
        .json();
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
        add_item(&app, &staff, &drop, &reward, "60")
            .await
            .status
            .is_success()
    );
    let later = store_local(now + Duration::days(5));
    let later_end = store_local(now + Duration::days(6));
    let moved = save_drop(&app, &staff, Some(&drop), "Winter drop", &later, &later_end).await;
    assert!(moved.status.is_success(), "{}", moved.body);
    let item = sqlx::query_scalar::<_, i64>("SELECT id FROM drop_items")
        .fetch_one(&pool)
        .await
        .unwrap()
        .to_string();
    let removed = post_form(
        &app,
        "/api/fn/staff/remove_drop_item",
        &[("drop_id", &drop), ("item_id", &item)],
        Some(&staff),
    )
    .await;
    assert!(removed.status.is_success(), "{}", removed.body);
    assert_eq!(count(&pool, "drop_items").await, 0);

    // The calendar shows it on its local day.
    let month = (now + Duration::days(5))
        .with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%d")
        .to_string();
    let calendar = get_as(
        &app,
        &format!("/api/fn/staff/drop_calendar?view=week&date={month}"),
        &staff,
    )
    .await
    .json();
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
    let app = support::app(pool.clone());
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
        let reply = save_drop(&app, &staff, None, title, starts, ends).await;
        assert_eq!(reply.status, 422, "{message}");
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(count(&pool, "drops").await, 0);

    // An overlapping duplicate: same title, overlapping time.
    let first = save_drop(&app, &staff, None, "Winter drop", &tomorrow, &day_after).await;
    assert!(first.status.is_success());
    let drop = first.text().trim().to_owned();
    let overlap_start = store_local(now + Duration::days(1) + Duration::hours(3));
    let duplicate = save_drop(
        &app,
        &staff,
        None,
        "winter drop ",
        &overlap_start,
        &day_after,
    )
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
    let zero = add_item(&app, &staff, &drop, &reward, "0").await;
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
    let reply = add_item(&app, &staff, &drop, &archived.to_string(), "5").await;
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
    let reply = add_item(&app, &staff, &open, &reward, "5").await;
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.app_error().to_string(),
        "This drop has already opened, so its rewards can no longer be changed."
    );
    let reply = post_form(
        &app,
        "/api/fn/staff/cancel_drop",
        &[("id", &open)],
        Some(&staff),
    )
    .await;
    assert_eq!(
        reply.app_error().to_string(),
        "This drop has already opened, so it can no longer be cancelled."
    );

    // A weekly schedule with a bad rule.
    let reply = post_form(
        &app,
        "/api/fn/staff/create_schedule",
        &[
            ("title", "Weekly"),
            ("days", ""),
            ("time", "09:00"),
            ("zone", "Europe/Madrid"),
            ("hours", "24"),
        ],
        Some(&staff),
    )
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
    let app = support::app(pool.clone());
    let preview = get_as(
        &app,
        "/api/fn/staff/preview_schedule?days=tue%2Cthu&time=09:00&zone=America%2FMexico_City",
        &staff,
    )
    .await
    .json();
    assert_eq!(
        preview["rule"],
        "Every Tuesday and Thursday at 09:00 America/Mexico_City"
    );
    assert_eq!(preview["occurrences"].as_array().unwrap().len(), 8);

    let reply = post_form(
        &app,
        "/api/fn/staff/create_schedule",
        &[
            ("title", "Madrid drop"),
            ("days", "tue,thu"),
            ("time", "09:00"),
            ("zone", "Europe/Madrid"),
            ("hours", "48"),
        ],
        Some(&staff),
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
    let app = support::app(pool.clone());
    let reply = post_form(
        &app,
        "/api/fn/staff/cancel_drop",
        &[("id", &drop.to_string())],
        Some(&staff),
    )
    .await;
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
    let bazaar = support::get(&app, "/api/fn/bazaar").await.json();
    assert!(!bazaar.to_string().contains("Spring drop"));
    assert_eq!(audit_actions(&pool).await, vec!["drop.cancel"]);
}

#[sqlx::test]
async fn staff_adjust_points_with_a_reason_and_never_below_zero(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (member, member_cookie) = account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 500).await;
    let app = support::app(pool.clone());
    let id = member.to_string();
    let adjust = |points: &'static str, reason: &'static str| {
        let (app, staff, id) = (app.clone(), staff.clone(), id.clone());
        async move {
            post_form(
                &app,
                "/api/fn/staff/adjust_points",
                &[("member_id", &id), ("points", points), ("reason", reason)],
                Some(&staff),
            )
            .await
        }
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
    let account = get_as(&app, "/api/fn/account", &member_cookie).await.json();
    assert_eq!(account["balance"], 550);
    assert_eq!(account["history"][0]["reason"], "Duplicate purchase");
    assert_eq!(account["history"][0]["points"], -200);
    assert_eq!(account["history"][1]["reason"], "Till was down on 12 Nov");
    assert_eq!(
        audit_actions(&pool).await,
        vec!["member.adjust", "member.adjust"]
    );
    assert_invariants(&pool).await;

    let found = get_as(&app, "/api/fn/staff/members?q=FAN", &staff)
        .await
        .json();
    assert_eq!(found[0]["email"], "fan@example.com");
    assert_eq!(found[0]["balance"], 550);
    let care = get_as(&app, &format!("/api/fn/staff/member?id={id}"), &staff)
        .await
        .json();
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
    let app = support::app(pool.clone());
    let redeemed = post_form(
        &app,
        "/api/fn/redeem",
        &[
            ("drop_item_id", &item.to_string()),
            ("idempotency_key", &uuid::Uuid::new_v4().to_string()),
        ],
        Some(&cookie),
    )
    .await;
    assert!(redeemed.status.is_success(), "{}", redeemed.body);
    let code = redeemed.json()["code"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE redemptions SET created_at = now() - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    let own = post_form(
        &app,
        "/api/fn/cancel_redemption",
        &[("code", &code)],
        Some(&cookie),
    )
    .await;
    assert_eq!(
        own.app_error().to_string(),
        "This redemption can no longer be cancelled: cancelling is possible for 15 minutes after redeeming."
    );
    let form = |reason: &'static str| {
        vec![
            ("member_id", member.to_string()),
            ("code", code.clone()),
            ("reason", reason.to_owned()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let (app, staff) = (app.clone(), staff.clone());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&app, "/api/fn/staff/cancel_for_member", &form, Some(&staff)).await
        }
    };
    let no_reason = send(form("")).await;
    assert_eq!(
        field_error(&no_reason),
        (
            "reason".to_owned(),
            "Give a reason for cancelling: it goes in the audit log.".to_owned()
        )
    );
    let done = send(form("Item damaged in store")).await;
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
    let app = support::app(pool.clone());
    let set = |email: &'static str, role: &'static str| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            post_form(
                &app,
                "/api/fn/admin/set_role",
                &[("email", email), ("role", role)],
                Some(&admin),
            )
            .await
        }
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
    assert_eq!(
        get_as(&app, "/api/fn/account", &future_staff).await.status,
        401
    );
    let team = get_as(&app, "/api/fn/admin/team", &admin).await.json();
    assert!(team.to_string().contains("new@example.com"));

    let created = post_form(
        &app,
        "/api/fn/admin/create_api_key",
        &[("name", "Web shop"), ("source", "webshop")],
        Some(&admin),
    )
    .await;
    assert!(created.status.is_success(), "{}", created.body);
    let listed = get_as(&app, "/api/fn/admin/api_keys", &admin).await.json();
    let key = listed["fresh_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rb_"));
    let again = get_as(&app, "/api/fn/admin/api_keys", &admin).await.json();
    assert!(again["fresh_key"].is_null(), "shown only once");
    let bad = post_form(
        &app,
        "/api/fn/admin/create_api_key",
        &[("name", "Till"), ("source", "Till 3!")],
        Some(&admin),
    )
    .await;
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
        support::api_post(&app, "/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        201
    );
    let id = again["keys"][0]["id"].as_i64().unwrap().to_string();
    assert!(
        post_form(
            &app,
            "/api/fn/admin/revoke_api_key",
            &[("id", &id)],
            Some(&admin)
        )
        .await
        .status
        .is_success()
    );
    let body = support::purchase(member, "order-2", "10.00");
    assert_eq!(
        support::api_post(&app, "/api/v1/purchases", Some(&key), &body)
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
    let app = support::app(pool.clone());
    let mut members = Vec::new();
    for n in 0..3 {
        let (id, cookie) = account_with_role(&pool, &format!("m{n}@example.com"), "member").await;
        grant(&pool, id, 1000).await;
        members.push((id, cookie));
    }
    let press = |cookie: String| {
        let app = app.clone();
        async move { support::redeem(&app, &cookie, item, &uuid::Uuid::new_v4().to_string()).await }
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

    let report = get_as(
        &app,
        &format!("/api/fn/staff/drop_report?id={drop}"),
        &staff,
    )
    .await
    .json();
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
    let page = get_as(&app, &format!("/staff/drops/{drop}/report"), &staff).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "an SVG chart");
    assert!(page.body.contains("class=\"chart-bar\""));

    let csv = get_as(&app, &format!("/staff/drops/{drop}/report.csv"), &staff).await;
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

/// Uploads `bytes` as the reward's photo the way the edit page's form does; returns the status
/// and where the browser is sent.
async fn upload_photo(
    app: &axum::Router,
    reward: i64,
    bytes: &[u8],
    cookie: Option<&str>,
) -> (u16, String) {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let mut body = b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
    let mut request = Request::post(format!("/staff/rewards/{reward}/photo"))
        .header("host", "bazaar.test")
        .header("origin", support::ORIGIN)
        .header("content-type", "multipart/form-data; boundary=XBOUNDARY");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
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
    let app = support::app(pool.clone());

    let (status, location) = upload_photo(&app, reward, PNG, Some(&staff)).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("/staff/rewards/{reward}?photo=saved")),
        "{location}"
    );
    let page = get_as(&app, &location, &staff).await;
    assert!(
        page.text()
            .contains("Picture saved. Members see it on the reward"),
        "the edit page confirms the upload"
    );

    let card = support::get(&app, "/api/fn/bazaar").await.json();
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
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let picture = app
        .clone()
        .oneshot(Request::get(&url).body(Body::empty()).unwrap())
        .await
        .unwrap();
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
    let app = support::app(pool.clone());

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
        let (status, location) = upload_photo(&app, reward, bytes, Some(&staff)).await;
        assert_eq!(status, 303, "{code}");
        assert_eq!(
            location,
            format!("/staff/rewards/{reward}?photo_error={code}")
        );
        let page = get_as(&app, &location, &staff).await;
        assert!(
            page.text().contains(message),
            "the edit page says {message:?}"
        );
    }
    assert_eq!(upload_photo(&app, reward, PNG, Some(&member)).await.0, 403);
    assert_eq!(upload_photo(&app, reward, PNG, None).await.0, 401);
    assert_eq!(count(&pool, "reward_images").await, 0, "nothing stored");
    assert!(audit_actions(&pool).await.is_empty());
    // A reward that does not exist is not given a picture either.
    assert_eq!(
        upload_photo(&app, reward + 99, PNG, Some(&staff)).await.0,
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
    let app = support::app(pool.clone());

    let set = post_form(
        &app,
        "/api/fn/remind",
        &[("drop_id", &drop), ("on", "true")],
        Some(&member),
    )
    .await;
    assert!(set.status.is_success(), "{}", set.body);
    let bazaar = get_as(&app, "/api/fn/bazaar", &member).await.json();
    assert_eq!(bazaar["next"]["reminded"], true);
    let account = get_as(&app, "/api/fn/account", &member).await.json();
    assert_eq!(account["reminders"][0]["title"], "Winter drop");
    // The bazaar page offers to cancel it.
    let page = get_as(&app, "/", &member).await;
    assert!(page.text().contains("Reminder set"));
    assert!(page.text().contains("Cancel the reminder for Winter drop"));

    // Staff move it by an hour: the member is told, old and new times named.
    let reply = save_drop(
        &app,
        &staff,
        Some(&drop),
        "Winter drop",
        &store_local(now + Duration::days(1) + Duration::hours(1)),
        &store_local(now + Duration::days(2)),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let account = get_as(&app, "/api/fn/account", &member).await.json();
    let notice = account["notices"][0]["message"].as_str().unwrap();
    assert!(
        notice.starts_with("The drop \u{201c}Winter drop\u{201d} has moved: it now opens "),
        "{notice}"
    );
    let page = get_as(&app, "/account", &member).await;
    assert!(page.text().contains("Messages for you"));

    let off = post_form(
        &app,
        "/api/fn/remind",
        &[("drop_id", &drop), ("on", "false")],
        Some(&member),
    )
    .await;
    assert!(off.status.is_success(), "{}", off.body);
    let bazaar = get_as(&app, "/api/fn/bazaar", &member).await.json();
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
    let app = support::app(pool.clone());
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
        let reply = post_form(
            &app,
            "/api/fn/remind",
            &[("drop_id", drop), ("on", "true")],
            Some(&member),
        )
        .await;
        assert!(reply.status.is_client_error(), "{}", reply.body);
        assert_eq!(reply.app_error().to_string(), message);
    }
    let anonymous = post_form(
        &app,
        "/api/fn/remind",
        &[("drop_id", &open), ("on", "true")],
        None,
    )
    .await;
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
    let app = support::app(pool.clone());
    let now = Utc::now();
    let (starts, ends) = (
        store_local(now + Duration::days(2)),
        store_local(now + Duration::days(3)),
    );
    let drop = new_drop(&app, &staff, "Winter drop", &starts, &ends).await;
    // Gold members may redeem 30 minutes before the start.
    assert!(
        add_item(&app, &staff, &drop, &reward, "40")
            .await
            .status
            .is_success()
    );

    let soon = store_local(now + Duration::minutes(10));
    let moved = save_drop(&app, &staff, Some(&drop), "Winter drop", &soon, &ends).await;
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert_eq!(
        field_error(&moved),
        (
            "starts_at".to_owned(),
            "With its early access this drop would already be open for some members. Choose a later start, or give its rewards less early access.".to_owned()
        )
    );
    let detail = get_as(&app, &format!("/api/fn/staff/drop?id={drop}"), &staff)
        .await
        .json();
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
    let app = support::app(pool.clone());
    let now = Utc::now();
    let later = new_drop(
        &app,
        &staff,
        "Winter drop",
        &store_local(now + Duration::days(2)),
        &store_local(now + Duration::days(3)),
    )
    .await;
    let soon = new_drop(
        &app,
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
        let reply = post_form(&app, "/api/fn/staff/save_drop_item", &form, Some(&staff)).await;
        assert_eq!(reply.status, 422, "{changed}={value:?}: {}", reply.body);
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), message.to_owned()),
            "{changed}={value:?}"
        );
    }
    assert_eq!(count(&pool, "drop_items").await, 0, "nothing was saved");
    let missing = post_form(
        &app,
        "/api/fn/staff/remove_drop_item",
        &[("drop_id", &later), ("item_id", "999999")],
        Some(&staff),
    )
    .await;
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
    let app = support::app(pool.clone());
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
        let reply = save_drop(&app, &staff, None, title, starts, ends).await;
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
    let moved = save_drop(&app, &staff, Some(&open), "Open now", &starts, &ends).await;
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
    let app = support::app(pool.clone());
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
        let reply = post_form(
            &app,
            "/api/fn/staff/adjust_points",
            &[("member_id", &id), ("points", points), ("reason", reason)],
            Some(&staff),
        )
        .await;
        assert_eq!(reply.status, 422, "{message}: {}", reply.body);
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(
        count(&pool, "ledger_entries").await,
        0,
        "nothing was written"
    );
    let nobody = get_as(&app, "/api/fn/staff/member?id=999999", &staff).await;
    assert_eq!(nobody.status, 404);
    assert_eq!(nobody.app_error().to_string(), "That member was not found.");
}

#[sqlx::test]
async fn each_mistake_an_admin_can_make_is_explained(pool: PgPool) {
    support::store(&pool).await;
    let (_, admin) = account_with_role(&pool, "admin@example.com", "admin").await;
    account_with_role(&pool, "new@example.com", "member").await;
    let app = support::app(pool.clone());
    let role = post_form(
        &app,
        "/api/fn/admin/set_role",
        &[("email", "new@example.com"), ("role", "owner")],
        Some(&admin),
    )
    .await;
    assert_eq!(
        field_error(&role),
        (
            "role".to_owned(),
            "Choose member, staff or admin.".to_owned()
        )
    );
    let unnamed = post_form(
        &app,
        "/api/fn/admin/create_api_key",
        &[("name", " "), ("source", "webshop")],
        Some(&admin),
    )
    .await;
    assert_eq!(
        field_error(&unnamed),
        (
            "name".to_owned(),
            "Name the key (1 to 80 characters), e.g. Web shop.".to_owned()
        )
    );
    assert_eq!(count(&pool, "api_keys").await, 0);
    let unknown = post_form(
        &app,
        "/api/fn/admin/revoke_api_key",
        &[("id", "999999")],
        Some(&admin),
    )
    .await;
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
