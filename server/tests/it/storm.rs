//! A small drop-time storm against two server instances sharing one database, over real
//! sockets, run with every test: it checks correctness only. Nothing here is timed; speed is
//! for a benchmark, not a test.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::support::endpoints::{
    Admission, AppError, Limits, Press, Redeem, ServerFn, Settled, settle,
};
use crate::support::{self, TestApp, assert_invariants, grant, live_item, member_with};

/// Starts one more server on its own connection pool to the same database, on a free port.
async fn instance(pool: &PgPool) -> SocketAddr {
    let own = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    // Patient lines: the test counts units sold, and a slow machine must not turn presses away.
    let app = TestApp::with_line(own, support::patient_line());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    addr
}

#[sqlx::test]
async fn two_hundred_presses_on_two_servers_sell_twenty_units_exactly_once(pool: PgPool) {
    let item = live_item(&pool, 20, 300).await;
    // 100 members, each pressing twice with different keys (two taps) and once more repeating
    // the first key (a retry after a dropped connection).
    let mut members = Vec::new();
    for n in 0..100 {
        members.push(member_with(&pool, n, 1_000).await);
    }
    let servers = [instance(&pool).await, instance(&pool).await];
    let client = reqwest::Client::new();

    let mut presses = Vec::new();
    for (n, (_, cookie)) in members.iter().enumerate() {
        let first = uuid::Uuid::new_v4().to_string();
        let second = uuid::Uuid::new_v4().to_string();
        for (press, key) in [first.clone(), second, first].into_iter().enumerate() {
            // Alternate servers so one member's presses land on both.
            let addr = servers[(n + press) % 2];
            let (client, cookie) = (client.clone(), cookie.clone());
            presses.push(tokio::spawn(async move {
                let reply = client
                    .post(format!("http://{addr}{}", Redeem::PATH))
                    .header("origin", format!("http://{addr}"))
                    .header("cookie", cookie)
                    .form(&[
                        ("drop_item_id", item.to_string()),
                        ("idempotency_key", key.clone()),
                    ])
                    .send()
                    .await
                    .expect("the server answers");
                let status = reply.status().as_u16();
                (n, key, status, reply.text().await.unwrap())
            }));
        }
    }
    // member → idempotency key → the code each acknowledged press was given
    let mut acknowledged: HashMap<(usize, String), HashSet<String>> = HashMap::new();
    let mut refusals: HashMap<String, usize> = HashMap::new();
    for press in presses {
        let (member, key, status, body) = press.await.unwrap();
        assert!(status < 500, "no 5xx: {status} {body}");
        if status == 200 {
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            let code = value["code"].as_str().unwrap().to_owned();
            acknowledged.entry((member, key)).or_default().insert(code);
        } else {
            let error: AppError = serde_json::from_str(&body).unwrap();
            let kind = match error {
                AppError::SoldOut => "sold out",
                AppError::LimitReached { .. } => "limit reached",
                AppError::Busy => "busy",
                other => panic!("unexpected refusal: {other:?}"),
            };
            *refusals.entry(kind.to_owned()).or_default() += 1;
        }
    }
    // A retried key always got the same code back: one press, one redemption.
    assert!(acknowledged.values().all(|codes| codes.len() == 1));
    let codes: HashSet<String> = acknowledged.into_values().flatten().collect();
    assert_eq!(codes.len(), 20, "exactly the stock, refusals: {refusals:?}");
    assert!(refusals.get("sold out").copied().unwrap_or(0) > 0);

    let stored: HashSet<String> =
        sqlx::query_scalar("SELECT code FROM redemptions WHERE status = 'confirmed'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(stored, codes, "every acknowledged redemption was kept");
    let per_member: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM redemptions GROUP BY account_id) c",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        per_member, 1,
        "the per-member limit of one held across servers"
    );
    let spent: i64 =
        sqlx::query_scalar("SELECT -sum(points)::bigint FROM ledger_entries WHERE kind = 'redeem'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(spent, 20 * 300, "points spent once per unit");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_member_turned_away_by_a_full_line_is_told_to_press_again_and_spends_nothing(
    pool: PgPool,
) {
    let item = live_item(&pool, 20, 300).await;
    let (member, cookie) = support::account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 1_000).await;
    // A line with no room at all: every press finds the line full.
    let app = TestApp::with_line(
        pool.clone(),
        Admission::new(Limits {
            batch: 0,
            waiting: 0,
            max_wait: std::time::Duration::from_millis(10),
            ..Limits::default()
        }),
    );
    let reply = app.press(&cookie, item).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "1");
    assert_eq!(
        reply.app_error().to_string(),
        "So many members are redeeming this right now that we couldn't fit yours in. Nothing was taken from your points. Please press Redeem again in a moment."
    );
    assert_eq!(support::books(&pool, member).await.0, 1_000);
    assert_eq!(support::count(&pool, "redemptions").await, 0);
    // Refusals are written in batches, within a second.
    let mut outcome: Option<String> = None;
    for _ in 0..50 {
        outcome = sqlx::query_scalar("SELECT outcome FROM redemption_attempts")
            .fetch_optional(&pool)
            .await
            .unwrap();
        if outcome.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        outcome.as_deref(),
        Some("busy"),
        "the post-drop report counts it"
    );
}

#[sqlx::test]
async fn one_batch_settles_its_presses_in_arrival_order_against_stock_limits_and_balances(
    pool: PgPool,
) {
    let scarce = live_item(&pool, 1, 300).await;
    let drop_id: i64 = sqlx::query_scalar("SELECT drop_id FROM drop_items WHERE id = $1")
        .bind(scarce)
        .fetch_one(&pool)
        .await
        .unwrap();
    let tote = support::reward(&pool, "Tote bag", "gift", 300).await;
    let plenty = support::drop_item(&pool, drop_id, tote, 10, 10).await;
    let (ann, _) = member_with(&pool, 1, 1_000).await;
    let (bob, _) = member_with(&pool, 2, 1_000).await;
    let (cy, _) = member_with(&pool, 3, 400).await;
    let (dee, _) = member_with(&pool, 4, 1_000).await;
    let press = |account_id, item_id, key: uuid::Uuid| Press {
        account_id,
        item_id,
        key,
        client_ip: "203.0.113.7".into(),
        at: chrono::Utc::now(),
        late: false,
    };
    let (ann_key, bob_key) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let fresh = uuid::Uuid::new_v4;
    let batch = vec![
        press(ann, scarce, ann_key), // the only unit
        press(bob, scarce, fresh()), // too late for it
        press(ann, plenty, fresh()), // another reward: fine
        press(ann, plenty, fresh()), // a second of it: over the limit of one
        press(bob, plenty, bob_key), // fine
        press(bob, plenty, bob_key), // the same press again: the same answer
        press(cy, plenty, fresh()),  // 400 points: enough for one...
        press(cy, scarce, fresh()),  // ...sold out anyway
        Press {
            late: true,
            ..press(dee, plenty, fresh())
        }, // waited too long
        press(dee, 9_999_999, fresh()), // no such reward
        // Bob's used key sent with a made-up reward: refused as a repeat, and it must not fail
        // the batch for everyone else (it cannot be logged against a reward that does not exist).
        press(bob, 9_999_999, bob_key),
    ];
    let (answers, _) = settle(pool.clone(), batch).await.unwrap();
    let refusal = |n: usize| answers[n].as_ref().err().map(|e| e.to_string());
    let made = |n: usize| match &answers[n] {
        Ok(Settled::Made(r)) => r.clone(),
        other => panic!("press {n} was not redeemed: {other:?}"),
    };

    assert_eq!(made(0).balance.get(), 700);
    assert!(matches!(answers[1], Err(AppError::SoldOut)));
    assert_eq!(
        made(2).balance.get(),
        400,
        "Ann's second redemption in the batch"
    );
    assert_eq!(
        refusal(3).unwrap(),
        AppError::LimitReached { limit: 1 }.to_string()
    );
    let bobs = made(4);
    match &answers[5] {
        Ok(Settled::Repeat { code, item_id }) => {
            assert_eq!((code, *item_id), (&bobs.code, plenty));
        }
        other => panic!("the repeated key was not recognised: {other:?}"),
    }
    assert_eq!(made(6).balance.get(), 100);
    assert!(matches!(answers[7], Err(AppError::SoldOut)));
    assert!(matches!(answers[8], Err(AppError::Busy)));
    assert!(matches!(answers[9], Err(AppError::NotFound { .. })));
    assert!(
        matches!(&answers[10], Ok(Settled::Repeat { item_id, .. }) if *item_id == plenty),
        "the server answers a reused key for another reward with a conflict"
    );

    // Written once each, in one go: four units, four debits, stock down by what was taken.
    assert_eq!(support::count(&pool, "redemptions").await, 4);
    let left: Vec<i32> =
        sqlx::query_scalar("SELECT remaining FROM drop_items WHERE id = ANY($1) ORDER BY id")
            .bind(vec![scarce, plenty])
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(left, vec![0, 7]);
    assert_eq!(support::books(&pool, ann).await.0, 400);
    assert_eq!(support::books(&pool, bob).await.0, 700);
    assert_eq!(support::books(&pool, cy).await.0, 100);
    assert_eq!(
        support::books(&pool, dee).await.0,
        1_000,
        "the late press spent nothing"
    );
    // The post-drop report sees every press that had a real reward behind it.
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM redemption_attempts ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        outcomes,
        [
            "redeemed",
            "sold_out",
            "redeemed",
            "limit_reached",
            "redeemed",
            "repeated",
            "redeemed",
            "sold_out",
            "busy"
        ]
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_press_stuck_behind_a_blocked_batch_is_told_busy_in_time_and_spends_nothing(
    pool: PgPool,
) {
    let item = live_item(&pool, 20, 300).await;
    let (first, first_cookie) = member_with(&pool, 1, 1_000).await;
    let (second, second_cookie) = member_with(&pool, 2, 1_000).await;
    let app = TestApp::with_line(
        pool.clone(),
        Admission::new(Limits {
            batch: 256,
            waiting: 100,
            max_wait: std::time::Duration::from_millis(300),
            ..Limits::default()
        }),
    );
    // Something else holds the first member's account (a long refund, say): the writer's
    // batch with their press waits for it.
    let blocker = support::hold_account(&pool, first).await;
    let stuck = tokio::spawn(app.press(&first_cookie, item));
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;

    let reply = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.press(&second_cookie, item),
    )
    .await
    .expect("the second press was answered while the batch was still stuck");
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert!(matches!(reply.app_error(), AppError::Busy));
    assert_eq!(support::books(&pool, second).await.0, 1_000);

    blocker.rollback().await.unwrap();
    let reply = stuck.await.unwrap();
    assert!(
        reply.status.as_u16() < 400,
        "redeemed: {} {}",
        reply.status,
        reply.body
    );
    assert_eq!(support::books(&pool, first).await.0, 700);
    assert_eq!(
        support::count(&pool, "redemptions").await,
        1,
        "the press told 'busy' was never settled"
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_press_that_waits_while_its_members_tier_changes_is_still_redeemed(pool: PgPool) {
    let item = live_item(&pool, 5, 300).await;
    let (member, _) = member_with(&pool, 1, 1_000).await;
    // A purchase moving the member up a tier holds their account row, as the earning API does.
    let mut purchase = support::hold_account(&pool, member).await;
    sqlx::query("UPDATE accounts SET tier = 'gold' WHERE id = $1")
        .bind(member)
        .execute(&mut *purchase)
        .await
        .unwrap();
    let press = Press {
        account_id: member,
        item_id: item,
        key: uuid::Uuid::new_v4(),
        client_ip: "203.0.113.7".into(),
        at: chrono::Utc::now(),
        late: false,
    };
    let batch = tokio::spawn(settle(pool.clone(), vec![press]));
    // Wait until the batch is queued behind the purchase on the member's account row.
    let mut queued = false;
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            queued = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(queued, "the batch never waited on the member's account row");
    purchase.commit().await.unwrap();

    let (answers, _) = batch.await.unwrap().unwrap();
    assert!(
        matches!(answers.as_slice(), [Ok(Settled::Made(_))]),
        "the member was refused after their tier changed: {answers:?}"
    );
    assert_eq!(support::books(&pool, member).await.0, 700);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_press_is_settled_while_the_crowd_holds_every_shared_connection(pool: PgPool) {
    let item = live_item(&pool, 5, 300).await;
    let (member, _) = member_with(&pool, 1, 1_000).await;
    // A server's shared pool, every connection busy with page loads and session reads.
    let shared = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let busy = (
        shared.acquire().await.unwrap(),
        shared.acquire().await.unwrap(),
    );
    let admission = Admission::new(Limits {
        batch: 256,
        waiting: 100,
        max_wait: std::time::Duration::from_secs(2),
        ..Limits::default()
    });
    let press = Press {
        account_id: member,
        item_id: item,
        key: uuid::Uuid::new_v4(),
        client_ip: "127.0.0.1".into(),
        at: chrono::Utc::now(),
        late: false,
    };
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        admission.redeem(&shared, press),
    )
    .await
    .expect("answered");
    assert!(
        matches!(answer, Ok((Ok(Settled::Made(_)), _))),
        "redeemed, not told busy: {answer:?}"
    );
    assert_eq!(support::books(&pool, member).await.0, 700);
    drop(busy);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn one_member_firing_a_thousand_presses_takes_at_most_two_places_in_the_line(pool: PgPool) {
    use futures::StreamExt;
    let item = live_item(&pool, 20, 300).await;
    let (bot, bot_cookie) = member_with(&pool, 1, 100_000).await;
    let (maya, maya_cookie) = member_with(&pool, 2, 1_000).await;
    // A line of three places, and patience: here nobody is turned away for waiting.
    let app = TestApp::with_line(
        pool.clone(),
        Admission::new(Limits {
            batch: 256,
            waiting: 3,
            max_wait: std::time::Duration::from_secs(60),
            ..Limits::default()
        }),
    );
    // The bot's first press is settled in a batch that waits on its account: its places stay
    // taken while the rest of its presses arrive.
    let blocker = support::hold_account(&pool, bot).await;
    let mut presses: futures::stream::FuturesUnordered<_> = (0..1000)
        .map(|_| tokio::spawn(app.press(&bot_cookie, item)))
        .collect();
    let mut turned_away = 0;
    while turned_away < 998 {
        let reply = tokio::time::timeout(std::time::Duration::from_secs(60), presses.next())
            .await
            .expect("the extra presses are answered at once")
            .unwrap()
            .unwrap();
        assert_eq!(reply.status, 429, "{}", reply.body);
        assert_eq!(
            reply.app_error().to_string(),
            "Your press for this reward is still being settled: it will show under My redemptions in a moment. Nothing more was taken from your points."
        );
        turned_away += 1;
    }
    // Maya still finds a place in the line.
    let mine = tokio::spawn(app.press(&maya_cookie, item));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    blocker.rollback().await.unwrap();
    let mine = mine.await.unwrap();
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(support::books(&pool, maya).await.0, 700);
    // The bot's two places were settled like anyone's: one unit (the limit is one per member).
    while let Some(reply) = presses.next().await {
        let reply = reply.unwrap();
        assert_ne!(reply.status, 429, "{}", reply.body);
    }
    assert_eq!(support::books(&pool, bot).await.0, 100_000 - 300);
    assert_invariants(&pool).await;
}
