//! Draws (issue 26): every refusal says why and holds nothing; staff cancel a draw and every
//! entry's points come back, and a drawn one stays drawn.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::draws::{balance, entered, entrant, key, lots, open_draw};
use crate::support::{self, TestApp, assert_invariants, field_error, patient_line};

#[sqlx::test]
async fn each_refusal_says_why_and_holds_nothing(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 2, 300).await;
    let (poor, poor_cookie) = entrant(&pool, 1, 200).await;
    let (unverified, unverified_cookie) = entrant(&pool, 2, 900).await;
    sqlx::query("UPDATE accounts SET email_verified_at = NULL WHERE id = $1")
        .bind(unverified)
        .execute(&pool)
        .await
        .unwrap();
    let (_, rich) = entrant(&pool, 3, 900).await;

    let message = |reply: crate::support::Reply| reply.app_error().to_string();
    assert_eq!(
        message(app.enter_draw(Some(&poor_cookie), item, &key()).await),
        "You need 100 more points for this reward: it costs 300 points and you have 200 points."
    );
    assert_eq!(
        message(app.enter_draw(Some(&unverified_cookie), item, &key()).await),
        "Confirm your email address to enter draws: use the link we sent, or send it again from your account page."
    );
    sqlx::query("UPDATE draws SET min_account_days = 7, require_verified_email = false WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        message(app.enter_draw(Some(&rich), item, &key()).await)
            .starts_with("This draw is for accounts at least 7 days old. Yours can enter from ")
    );
    sqlx::query(
        "UPDATE draws SET min_account_days = 0, require_purchase = true WHERE drop_item_id = $1",
    )
    .bind(item)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        message(app.enter_draw(Some(&rich), item, &key()).await),
        "This draw is for members who have made a purchase."
    );
    assert_eq!(app.enter_draw(None, item, &key()).await.status, 401);
    // Pressing Redeem on a reward given by draw.
    assert_eq!(
        message(app.redeem(&rich, item, &key()).await),
        "This reward is given by a draw: enter it on the reward's page."
    );
    sqlx::query("UPDATE draws SET require_purchase = false, closes_at = now() - interval '1 second' WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        message(app.enter_draw(Some(&rich), item, &key()).await).starts_with("Entries closed ")
    );
    assert_eq!(support::count(&pool, "draw_entries").await, 0);
    assert_eq!(balance(&pool, poor).await, 200);
    // Staff see each refused press counted under its reason.
    let listed = app.staff_draws(Some(&staff)).await.json();
    let refusals: Vec<(String, i64)> = listed["draws"][0]["stats"]["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["label"].as_str().unwrap().to_owned(),
                t["count"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut expected: Vec<(String, i64)> = [
        "Account too new",
        "After entries closed",
        "Email address not confirmed",
        "No purchase yet",
        "Not enough points",
    ]
    .iter()
    .map(|label| ((*label).to_owned(), 1))
    .collect();
    let mut got = refusals.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);

    // Staff form mistakes, and only staff give rewards by draw.
    let cases = [
        (
            [
                ("item", "999999"),
                ("hours", "24"),
                ("gold_tickets", "2"),
                ("silver_tickets", "1"),
            ],
            ("item", "Choose a reward of a drop that has not opened yet."),
        ),
        (
            [
                ("item", "1"),
                ("hours", "0"),
                ("gold_tickets", "2"),
                ("silver_tickets", "1"),
            ],
            ("hours", "Keep entries open for 1 to 168 hours."),
        ),
        (
            [
                ("item", "1"),
                ("hours", "24"),
                ("gold_tickets", "11"),
                ("silver_tickets", "1"),
            ],
            ("gold_tickets", "Give each entry 1 to 10 tickets."),
        ),
    ];
    for (form, (field, text)) in cases {
        let mut form = form.to_vec();
        form.push(("account_days", ""));
        let reply = app.create_draw(Some(&staff), &form).await;
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), text.to_owned()),
            "{form:?}"
        );
    }
    let form = [
        ("item", "1"),
        ("hours", "24"),
        ("gold_tickets", "2"),
        ("silver_tickets", "1"),
        ("account_days", ""),
    ];
    assert_eq!(app.create_draw(Some(&rich), &form).await.status, 403);
    assert_eq!(app.create_draw(None, &form).await.status, 401);
    assert_eq!(app.staff_draws(Some(&rich)).await.status, 403);
    assert_eq!(support::count(&pool, "draws").await, 1);
}

#[sqlx::test]
async fn cancelling_a_draw_gives_every_entry_its_points_back_and_a_drawn_one_cannot_be(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 1, 300).await;
    let ids: Vec<i64> = entered(&pool, &app, item, 3, 900)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let cancelled = app.cancel_draw(&staff, item).await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    for id in &ids {
        assert_eq!(balance(&pool, *id).await, 900);
        assert_eq!(lots(&pool, *id).await, [(300, 10), (600, 365)]);
    }
    let list = app.staff_draws(Some(&staff)).await.json();
    assert!(
        list["draws"][0]["state"]
            .as_str()
            .unwrap()
            .starts_with("This draw was cancelled")
    );
    assert!(
        support::audit_actions(&pool)
            .await
            .contains(&"draw.cancel".to_owned())
    );
    assert_eq!(
        app::draws::ssr::run::draw_due(&pool, Utc::now() + Duration::days(2))
            .await
            .unwrap(),
        0
    );

    // A drawn one stays drawn.
    let other = open_draw(&pool, &app, &staff, 1, 300).await;
    sqlx::query("UPDATE draws SET closes_at = now() WHERE drop_item_id = $1")
        .bind(other)
        .execute(&pool)
        .await
        .unwrap();
    assert!(app::draws::ssr::run::draw_one(&pool, other).await.unwrap());
    let refused = app.cancel_draw(&staff, other).await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.app_error().to_string(),
        "This draw has been drawn already; it can no longer be cancelled."
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_deleted_account_withdraws_from_its_draws_and_its_data_lists_them(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 1, 300).await;
    let (id, cookie) = entrant(&pool, 1, 900).await;
    assert!(
        app.enter_draw(Some(&cookie), item, &key())
            .await
            .status
            .is_success()
    );
    let data = app
        .get_as(app::account::data_rights::MY_DATA_PATH, &cookie)
        .await
        .json();
    assert_eq!(data["draw_entries"][0]["reward"], "Signed handbag");
    assert_eq!(data["draw_entries"][0]["points_held"], 300);

    let member = id.to_string();
    let deleted = app
        .delete_member(
            &staff,
            &[
                ("member_id", member.as_str()),
                ("open_redemptions", "honour"),
                ("confirm", "m1@example.com"),
            ],
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    let outcome: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM draw_entries WHERE account_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        outcome.as_deref(),
        Some("withdrawn"),
        "a deleted account wins nothing"
    );
    assert_eq!(balance(&pool, id).await, 900);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn entering_too_early_too_late_a_cancelled_or_unknown_draw_says_why(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 1, 300).await;
    let (_, cookie) = entrant(&pool, 1, 900).await;
    let message = |reply: crate::support::Reply| reply.app_error().to_string();

    let stale = app.enter_draw(Some(&cookie), item, "not-a-key").await;
    assert_eq!(stale.status, 400);
    assert_eq!(
        message(stale),
        "This page is out of date. Reload it and enter again."
    );
    assert_eq!(
        message(app.enter_draw(Some(&cookie), 999_999, &key()).await),
        "That draw was not found."
    );
    sqlx::query("UPDATE draws SET opens_at = now() + interval '1 hour', closes_at = now() + interval '2 hours' WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        message(app.enter_draw(Some(&cookie), item, &key()).await)
            .starts_with("This drop opens at ")
    );

    // Entered while open, then the window closes: withdrawing is too late.
    sqlx::query("UPDATE draws SET opens_at = now() - interval '1 hour' WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        app.enter_draw(Some(&cookie), item, &key())
            .await
            .status
            .is_success()
    );
    sqlx::query("UPDATE draws SET closes_at = now() WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert!(message(app.withdraw_draw(&cookie, item).await).starts_with("Entries closed "));

    let other = open_draw(&pool, &app, &staff, 1, 300).await;
    assert!(app.cancel_draw(&staff, other).await.status.is_success());
    assert_eq!(
        message(app.enter_draw(Some(&cookie), other, &key()).await),
        "This draw was cancelled; it takes no entries."
    );
    assert_eq!(
        message(app.cancel_draw(&staff, 999_999).await),
        "That draw was not found."
    );
}

#[sqlx::test]
async fn staff_see_entries_over_time_and_a_script_pressing_enter_and_members_see_the_count_grow(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), Default::default(), patient_line());
    let item = open_draw(&pool, &app, &staff, 3, 300).await;
    assert_eq!(app.draw_count(item).await.json(), "3 winners · 0 entries");
    entered(&pool, &app, item, 3, 900).await;
    assert_eq!(app.draw_count(item).await.json(), "3 winners · 3 entries");

    // A script presses Enter twelve times at once: one entry, every press recorded, and more
    // than five in one second from one account is flagged.
    let (_, script) = entrant(&pool, 10, 900).await;
    let press = key();
    let presses = (0..12).map(|_| app.enter_draw(Some(&script), item, &press));
    for reply in futures::future::join_all(presses).await {
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    assert_eq!(app.draw_count(item).await.json(), "3 winners · 4 entries");

    let listed = app.staff_draws(Some(&staff)).await.json();
    let stats = &listed["draws"][0]["stats"];
    assert_eq!(stats["bucket"], "1 hour");
    let timeline = stats["timeline"].as_array().unwrap();
    // The window opened an hour ago: every entry so far is in the latest hour.
    let counts: Vec<i64> = timeline
        .iter()
        .map(|t| t["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<i64>(), 4, "{timeline:?}");
    assert_eq!(*counts.last().unwrap(), 4, "{timeline:?}");
    assert_eq!(stats["refusals"].as_array().unwrap().len(), 0);
    let suspects: Vec<&str> = stats["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(suspects.len(), 1, "{suspects:?}");
    assert!(
        suspects[0].starts_with("Account m10@example.com: ")
            && suspects[0].ends_with(", 12 in all"),
        "{suspects:?}"
    );
    let reply = app.get_as("/staff/draws", &staff).await;
    let page = reply.text();
    assert!(page.contains("Suspected automation"));
    assert!(page.contains("Account m10@example.com: "));
}
