use chrono::{Duration, Utc};
use sqlx::PgPool;
use std::collections::HashSet;

use crate::support::endpoints::AppError;
use crate::support::{self, TestApp, assert_invariants, live_item, member_with};

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A member who had 500 points and has just redeemed one of ten units at 100 each.
struct Redeemed {
    app: TestApp,
    item: i64,
    member: i64,
    cookie: String,
    /// What the member was told: the redemption, with its code and until when they may cancel.
    redemption: serde_json::Value,
    code: String,
}

async fn just_redeemed(pool: &PgPool) -> Redeemed {
    let item = live_item(pool, 10, 100).await;
    let (member, cookie) = member_with(pool, 1, 500).await;
    let app = TestApp::new(pool.clone());
    let redemption: serde_json::Value =
        serde_json::from_str(app.redeem(&cookie, item, &key()).await.text()).unwrap();
    let code = redemption["code"].as_str().unwrap().to_owned();
    Redeemed {
        app,
        item,
        member,
        cookie,
        redemption,
        code,
    }
}

#[sqlx::test]
async fn a_settled_press_says_where_its_time_went_in_the_server(pool: PgPool) {
    let item = live_item(&pool, 10, 100).await;
    let (_, cookie) = member_with(&pool, 1, 500).await;
    let app = TestApp::new(pool);
    let reply = app.redeem(&cookie, item, &key()).await;
    assert!(reply.status.is_success(), "{} {}", reply.status, reply.body);
    // Browsers' developer tools show it; the benchmark breaks its slowest presses down by it.
    let timing = reply.headers["server-timing"].to_str().unwrap();
    for part in ["line;dur=", "work;dur=", "commit;dur=", "batch;desc=1"] {
        assert!(timing.contains(part), "{part} in {timing}");
    }
}

#[sqlx::test]
async fn five_hundred_presses_from_three_hundred_members_never_oversell_fifty_units(pool: PgPool) {
    let item = live_item(&pool, 50, 100).await;
    let mut members = Vec::new();
    for n in 0..300 {
        // One in ten cannot afford it.
        members.push(member_with(&pool, n, if n % 10 == 0 { 50 } else { 1_000 }).await);
    }
    // A line that never turns anyone away: this test is about the stock, and on a slow machine
    // the default 2-second line would answer some presses "busy" (tested in storm.rs).
    let app = TestApp::with_line(pool.clone(), support::patient_line());
    let mut tasks = Vec::new();
    for attempt in 0..500 {
        let (app, cookie) = (app.clone(), members[attempt % 300].1.clone());
        tasks.push(tokio::spawn(async move {
            app.redeem(&cookie, item, &key()).await
        }));
    }
    let mut codes = HashSet::new();
    let (mut sold_out, mut short, mut limited, mut busy) = (0, 0, 0, 0);
    for task in tasks {
        let reply = task.await.unwrap();
        assert!(
            reply.status.as_u16() < 500,
            "no 5xx: {} {}",
            reply.status,
            reply.body
        );
        if reply.status.is_success() || reply.status.is_redirection() {
            let text = reply.text().to_owned();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            codes.insert(value["code"].as_str().unwrap().to_owned());
        } else {
            match reply.app_error() {
                AppError::SoldOut => sold_out += 1,
                AppError::NotEnoughPoints { .. } => short += 1,
                AppError::LimitReached { .. } => limited += 1,
                // The line may turn some away on a slow machine; they spent nothing.
                AppError::Busy => busy += 1,
                other => panic!("unexpected refusal: {other:?}"),
            }
        }
    }
    assert_eq!(codes.len(), 50, "exactly the stock was redeemed");
    assert_eq!(codes.len() + sold_out + short + limited + busy, 500);
    assert!(sold_out > 0);
    let remaining: i32 = sqlx::query_scalar("SELECT remaining FROM drop_items WHERE id = $1")
        .bind(item)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(remaining, 0);
    // Every code a client was given is in the database.
    let stored: HashSet<String> = sqlx::query_scalar("SELECT code FROM redemptions")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(stored, codes);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_retried_press_returns_the_first_redemption_and_spends_once(pool: PgPool) {
    let item = live_item(&pool, 10, 100).await;
    let (maya, cookie) = member_with(&pool, 1, 500).await;
    let app = TestApp::new(pool.clone());
    let press = key();
    let first = app.redeem(&cookie, item, &press).await;
    let again = app.redeem(&cookie, item, &press).await;
    assert_eq!(first.text(), again.text());
    let redemption: serde_json::Value = serde_json::from_str(first.text()).unwrap();
    assert_eq!(redemption["balance"], 400);
    assert!(redemption["code"].as_str().unwrap().starts_with("RB-"));
    assert_eq!(support::books(&pool, maya).await.0, 400);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM redemptions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
    // The same key for another reward is refused.
    let drop: i64 = sqlx::query_scalar("SELECT drop_id FROM drop_items WHERE id = $1")
        .bind(item)
        .fetch_one(&pool)
        .await
        .unwrap();
    let other_reward = support::reward(&pool, "Other", "sample", 10).await;
    let other = support::drop_item(&pool, drop, other_reward, 5, 5).await;
    let reply = app.redeem(&cookie, other, &press).await;
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.app_error().to_string(),
        "This request was already used to redeem a different reward. Please reload the page and try again."
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn each_refusal_tells_the_member_why(pool: PgPool) {
    support::store(&pool).await;
    let now = Utc::now();
    let live = support::drop_window(
        &pool,
        "Live",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let later = support::drop_window(
        &pool,
        "Later",
        "2099-01-06T14:00:00Z".parse().unwrap(),
        "2099-01-07T14:00:00Z".parse().unwrap(),
    )
    .await;
    let closed = support::drop_window(
        &pool,
        "Closed",
        now - Duration::hours(5),
        now - Duration::hours(1),
    )
    .await;
    let r = |t: &'static str| {
        let pool = pool.clone();
        async move { support::reward(&pool, t, "gift", 100).await }
    };
    let cheap = support::drop_item(&pool, live, r("Cheap").await, 5, 5).await;
    let pricey = support::drop_item(&pool, live, r("Pricey").await, 5, 5).await;
    sqlx::query("UPDATE drop_items SET points_cost = 1250 WHERE id = $1")
        .bind(pricey)
        .execute(&pool)
        .await
        .unwrap();
    let gone = support::drop_item(&pool, live, r("Gone").await, 1, 1).await;
    let gold = support::drop_item(&pool, live, r("Gold only").await, 5, 5).await;
    sqlx::query("UPDATE drop_items SET min_tier = 'gold' WHERE id = $1")
        .bind(gold)
        .execute(&pool)
        .await
        .unwrap();
    let future = support::drop_item(&pool, later, r("Future").await, 5, 5).await;
    let past = support::drop_item(&pool, closed, r("Past").await, 5, 5).await;
    let called_off = support::drop_window(
        &pool,
        "Called off",
        "2099-02-03T14:00:00Z".parse().unwrap(),
        "2099-02-04T14:00:00Z".parse().unwrap(),
    )
    .await;
    let never = support::drop_item(&pool, called_off, r("Never").await, 5, 5).await;
    sqlx::query("UPDATE drops SET cancelled_at = now() WHERE id = $1")
        .bind(called_off)
        .execute(&pool)
        .await
        .unwrap();
    let (_, cookie) = member_with(&pool, 1, 800).await;
    let (_, quicker) = member_with(&pool, 2, 800).await;
    let app = TestApp::new(pool.clone());

    assert!(
        app.redeem(&quicker, gone, &key()).await.status.is_success(),
        "someone else takes the last one"
    );
    assert!(app.redeem(&cookie, cheap, &key()).await.status.is_success());
    let cases = [
        (
            cheap,
            409,
            "You have already redeemed this reward 1 time in this drop, the most allowed.",
        ),
        (
            pricey,
            409,
            "You need 550 more points for this reward: it costs 1,250 points and you have 700 points.",
        ),
        (gone, 409, "Sorry, this reward just sold out."),
        (gold, 403, "This reward is for Gold members and above."),
        (future, 409, "This drop opens at Tue 6 Jan, 09:00 EST."),
        (past, 409, "This drop has closed."),
        (never, 409, "This drop has closed."),
        (999_999, 404, "That reward was not found."),
    ];
    for (item, status, message) in cases {
        let reply = app.redeem(&cookie, item, &key()).await;
        assert_eq!(reply.status, status, "{message}: {}", reply.body);
        assert_eq!(reply.app_error().to_string(), message);
    }
    let bad_key = app.redeem(&cookie, cheap, "not-a-uuid").await;
    assert_eq!(bad_key.status, 400);
    assert_eq!(
        bad_key.app_error().to_string(),
        "This redemption request is malformed. Please reload the page and try again."
    );
    let anonymous = app.redeem_signed_out(1, &key()).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.app_error().to_string(),
        "Please sign in to continue."
    );
    let spent: i64 = sqlx::query_scalar("SELECT count(*) FROM redemptions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(spent, 2, "no refusal wrote anything");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn early_access_opens_the_drop_for_the_higher_tier_first(pool: PgPool) {
    support::store(&pool).await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Soon",
        now + Duration::minutes(30),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Early bird", "gift", 100).await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    sqlx::query("UPDATE drop_items SET early_access_tier = 'gold', early_access = interval '1 hour' WHERE id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    let (gold, gold_cookie) = member_with(&pool, 1, 500).await;
    sqlx::query("UPDATE accounts SET tier = 'gold' WHERE id = $1")
        .bind(gold)
        .execute(&pool)
        .await
        .unwrap();
    let (_, bronze_cookie) = member_with(&pool, 2, 500).await;
    let app = TestApp::new(pool.clone());

    let bronze = app.redeem(&bronze_cookie, item, &key()).await;
    assert_eq!(bronze.status, 409);
    assert!(
        bronze
            .app_error()
            .to_string()
            .starts_with("This drop opens at ")
    );
    assert!(
        app.redeem(&gold_cookie, item, &key())
            .await
            .status
            .is_success(),
        "gold is already in"
    );

    // The bazaar shows the same: Redeem for gold, a countdown for bronze.
    let for_gold = app.bazaar(Some(&gold_cookie)).await.json();
    let for_bronze = app.bazaar(Some(&bronze_cookie)).await.json();
    assert_eq!(for_gold["rewards"][0]["action"], "LimitReached");
    assert_eq!(for_bronze["rewards"][0]["action"], "Opens");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn cancelling_within_the_window_returns_points_stock_and_the_members_limit(pool: PgPool) {
    let Redeemed {
        app,
        item,
        member: maya,
        cookie,
        redemption,
        code,
    } = just_redeemed(&pool).await;
    assert!(redemption["cancel_until"].is_string());

    let reply = app.cancel_redemption(&cookie, &code).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let cancelled: serde_json::Value = serde_json::from_str(reply.text()).unwrap();
    assert_eq!(cancelled["cancelled"], true);
    assert_eq!(cancelled["balance"], 500);
    let remaining: i32 = sqlx::query_scalar("SELECT remaining FROM drop_items WHERE id = $1")
        .bind(item)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(remaining, 10);
    let refund: (String, i64) = sqlx::query_as(
        "SELECT kind, points FROM ledger_entries WHERE account_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(maya)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refund, ("refund".to_owned(), 100));
    // Cancelling twice changes nothing more.
    app.cancel_redemption(&cookie, &code).await;
    assert_eq!(support::books(&pool, maya).await.0, 500);
    // The item allows one per member: the cancelled one no longer counts, so she may take it
    // again, and then she holds her one.
    let again = app.redeem(&cookie, item, &key()).await;
    assert!(again.status.is_success(), "{}", again.body);
    let refused = app.redeem(&cookie, item, &key()).await;
    assert_eq!(
        refused.app_error().to_string(),
        "You have already redeemed this reward 1 time in this drop, the most allowed."
    );
    assert_eq!(support::books(&pool, maya).await.0, 400);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn cancelling_after_the_window_or_for_someone_else_is_refused(pool: PgPool) {
    let Redeemed {
        app, cookie, code, ..
    } = just_redeemed(&pool).await;
    let (_, other) = member_with(&pool, 2, 500).await;

    let theirs = app.cancel_redemption(&other, &code).await;
    assert_eq!(theirs.status, 404);
    assert_eq!(
        theirs.app_error().to_string(),
        "That redemption was not found."
    );
    let peek = app.redemption(&other, &code).await;
    assert_eq!(peek.status, 404);

    sqlx::query("UPDATE redemptions SET created_at = now() - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let late = app.cancel_redemption(&cookie, &code).await;
    assert_eq!(late.status, 409);
    assert_eq!(
        late.app_error().to_string(),
        "This redemption can no longer be cancelled: cancelling is possible for 15 minutes after redeeming."
    );

    // Within the window, but the drop closed meanwhile: the stock can no longer be sold again.
    sqlx::query("UPDATE redemptions SET created_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE drops SET starts_at = now() - interval '2 hours', ends_at = now() - interval '1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    let closed = app.cancel_redemption(&cookie, &code).await;
    assert_eq!(closed.status, 409);
    assert_eq!(
        closed.app_error().to_string(),
        "This drop has closed, so its redemptions can no longer be cancelled."
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_stock_change_is_announced_to_listeners_when_it_commits(pool: PgPool) {
    let item = live_item(&pool, 10, 100).await;
    let (_, cookie) = member_with(&pool, 1, 500).await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener.listen(server::live::CHANNEL).await.unwrap();
    let app = TestApp::new(pool.clone());
    app.redeem(&cookie, item, &key()).await;
    let note = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .unwrap()
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(note.payload()).unwrap();
    assert_eq!(payload["item"], item);
    assert_eq!(payload["remaining"], 9);
    drop(listener);
}

#[sqlx::test]
async fn the_bazaar_offers_each_member_the_right_button(pool: PgPool) {
    let item = live_item(&pool, 10, 300).await;
    let (_, rich) = member_with(&pool, 1, 1_000).await;
    let (_, poor) = member_with(&pool, 2, 100).await;
    let app = TestApp::new(pool.clone());
    assert_eq!(
        app.bazaar(Some(&rich)).await.json()["rewards"][0]["action"],
        "Redeem"
    );
    assert_eq!(
        app.bazaar(Some(&poor)).await.json()["rewards"][0]["action"]["NeedPoints"]["more"],
        200
    );
    assert_eq!(
        app.bazaar(None).await.json()["rewards"][0]["action"],
        "SignIn"
    );
    let html = app.get_as("/", &rich).await.body;
    assert!(html.contains(&format!(r#"href="/redeem/{item}""#)));
    let html = app.get_as("/", &poor).await.body;
    assert!(html.contains("200 more points"));
}

#[sqlx::test]
async fn cancelling_gives_points_back_with_their_original_expiry(pool: PgPool) {
    let item = live_item(&pool, 10, 300).await;
    let (member, cookie) = member_with(&pool, 1, 0).await;
    // 300 points that expire in ten days, and 500 that last the year.
    support::grant(&pool, member, 300).await;
    sqlx::query(
        "UPDATE point_lots SET expires_at = now() + interval '10 days' WHERE account_id = $1",
    )
    .bind(member)
    .execute(&pool)
    .await
    .unwrap();
    support::grant(&pool, member, 500).await;
    let app = TestApp::new(pool.clone());
    let expiring_soon = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(sum(remaining), 0)::bigint FROM point_lots
             WHERE account_id = $1 AND expires_at < now() + interval '30 days'",
        )
        .bind(member)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    // Redeeming spends the soonest-expiring points first...
    let reply = app
        .redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
        .await;
    let code = reply.json()["code"].as_str().unwrap().to_owned();
    assert_eq!(expiring_soon().await, 0);
    // ...and cancelling gives them back still expiring in ten days, not renewed for a year.
    let cancelled = app.cancel_redemption(&cookie, &code).await;
    assert_eq!(cancelled.json()["balance"], 800, "{}", cancelled.body);
    assert_eq!(expiring_soon().await, 300);
    let lots: i64 = sqlx::query_scalar("SELECT count(*) FROM point_lots WHERE account_id = $1")
        .bind(member)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(lots, 2, "no new lot with a fresh expiry");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn the_confirm_page_shows_nothing_of_unannounced_or_cancelled_drops(pool: PgPool) {
    support::store(&pool).await;
    let (_, cookie) = member_with(&pool, 1, 1_000).await;
    let reward = support::reward(&pool, "Secret sneakers", "gift", 100).await;
    let next_week = Utc::now() + Duration::days(7);
    let unannounced = support::drop_window(
        &pool,
        "Next week",
        next_week,
        next_week + Duration::hours(1),
    )
    .await;
    let hidden = support::drop_item(&pool, unannounced, reward, 10, 10).await;
    let soon = Utc::now() + Duration::hours(2);
    let called_off =
        support::drop_window(&pool, "Called off", soon, soon + Duration::hours(1)).await;
    let cancelled = support::drop_item(&pool, called_off, reward, 10, 10).await;
    sqlx::query("UPDATE drops SET cancelled_at = now() WHERE id = $1")
        .bind(called_off)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool.clone());
    for item in [hidden, cancelled] {
        let reply = app.redeem_preview(&cookie, item).await;
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert_eq!(reply.app_error().to_string(), "That reward was not found.");
    }
}
