//! Drop reminders: members ask to be told, and hear when a drop moves or is cancelled.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::{self, TestApp, account_with_role, audit_actions, count, staff, store_local};

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
async fn the_drop_calendar_says_how_many_days_away_a_drop_is_in_the_readers_language(pool: PgPool) {
    use chrono::TimeZone;
    support::store(&pool).await;
    // Noon in the store's zone, three calendar days from today there: "in 3 days" at any hour
    // the test runs. A drop opening within the day keeps its ticking countdown instead.
    let zone = chrono_tz::America::New_York;
    let today = Utc::now().with_timezone(&zone).date_naive();
    let noon = |days: i64| {
        zone.from_local_datetime(
            &(today + Duration::days(days))
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
        .unwrap()
        .with_timezone(&Utc)
    };
    let later =
        support::drop_window(&pool, "Far drop", noon(3), noon(3) + Duration::hours(2)).await;
    let soon = Utc::now() + Duration::hours(2);
    support::drop_window(&pool, "Near drop", soon, soon + Duration::hours(2)).await;
    let app = TestApp::new(pool.clone());
    let view = app.bazaar(None).await.json();
    let far = view["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == later)
        .expect("the far drop in the calendar")
        .clone();
    assert_eq!(far["starts_in"], "in 3 days");
    assert_eq!(view["next"]["title"], "Near drop");
    assert_eq!(view["next"]["starts_in"], serde_json::Value::Null);

    let request = axum::http::Request::get("/")
        .header("accept-language", "es-MX")
        .body(axum::body::Body::empty())
        .unwrap();
    let spanish = support::visible_text(&app.send(request).await.body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(spanish.contains(", 12:00 EST · en 3 días"), "{spanish}");
    assert!(
        spanish.contains("· en 02:00:00") || spanish.contains("· en 01:59:5"),
        "the near drop counts down: {spanish}"
    );
}
