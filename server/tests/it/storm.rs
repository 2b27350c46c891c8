//! A small drop-time storm against two server instances sharing one database, over real
//! sockets, run with every test: it checks correctness only. Nothing here is timed; speed is
//! for a benchmark, not a test.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::support::{self, assert_invariants, grant, live_item, member_with};

/// Starts one more server on its own connection pool to the same database, on a free port.
async fn instance(pool: &PgPool) -> SocketAddr {
    let own = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    // Patient gates: the test counts units sold, and a slow machine must not turn presses away.
    let app = support::app_with(own, support::patient_gate());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
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
                    .post(format!("http://{addr}/api/fn/redeem"))
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
            let error: app::AppError = serde_json::from_str(&body).unwrap();
            let kind = match error {
                app::AppError::SoldOut => "sold out",
                app::AppError::LimitReached { .. } => "limit reached",
                app::AppError::Busy => "busy",
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
    use app::redemptions::admission::{Admission, Limits};
    let item = live_item(&pool, 20, 300).await;
    let (member, cookie) = support::account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 1_000).await;
    // A gate with no room at all: every press finds the line full.
    let app = support::app_with(
        pool.clone(),
        Admission::new(Limits {
            in_flight: 0,
            waiting: 0,
            max_wait: std::time::Duration::from_millis(10),
        }),
    );
    let reply = support::post_form(
        &app,
        "/api/fn/redeem",
        &[
            ("drop_item_id", &item.to_string()),
            ("idempotency_key", &uuid::Uuid::new_v4().to_string()),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "1");
    assert_eq!(
        reply.app_error().to_string(),
        "So many members are redeeming this right now that we couldn't fit yours in. Nothing was taken from your points. Please press Redeem again in a moment."
    );
    assert_eq!(support::books(&pool, member).await.0, 1_000);
    assert_eq!(support::count(&pool, "redemptions").await, 0);
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM redemption_attempts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(outcome, "busy", "the post-drop report counts it");
}
