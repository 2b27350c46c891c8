//! The live stock stream (`/api/live/stock`): what an open bazaar page hears.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::time::Duration;

use crate::support::{self, TestApp};

/// An open stream, as a page holds it.
struct Stream {
    body: Body,
    unread: String,
}

impl Stream {
    async fn open(app: &TestApp) -> Stream {
        let request = Request::get("/api/live/stock").body(Body::empty()).unwrap();
        let response = app.response(request).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream {
            body: response.into_body(),
            unread: String::new(),
        }
    }

    /// The next event's data lines (keep-alive comments are skipped).
    async fn next(&mut self) -> Vec<String> {
        let within = Duration::from_secs(30);
        tokio::time::timeout(within, async {
            loop {
                if let Some(data) = support::events::take_event(&mut self.unread) {
                    return data;
                }
                let frame = self.body.frame().await.expect("the stream stays open");
                if let Ok(bytes) = frame.expect("the stream reads").into_data() {
                    self.unread.push_str(std::str::from_utf8(&bytes).unwrap());
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no event within {within:?}"))
    }
}

/// The live drop's candle duo: 42 of 50 left.
async fn candle(pool: &PgPool) -> i64 {
    support::live_store(pool).await;
    sqlx::query_scalar(
        "SELECT di.id FROM drop_items di JOIN rewards r ON r.id = di.reward_id
         WHERE r.title = 'Candle duo'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn take_one(pool: &PgPool, item: i64) {
    sqlx::query("UPDATE drop_items SET remaining = remaining - 1 WHERE id = $1")
        .bind(item)
        .execute(pool)
        .await
        .unwrap();
}

/// Reads events until one says `wanted` (or fails after the stream's patience).
async fn hear(stream: &mut Stream, wanted: &str) {
    while !stream.next().await.iter().any(|line| line == wanted) {}
}

#[sqlx::test]
async fn an_open_page_hears_the_current_counts_then_each_change_as_it_commits(pool: PgPool) {
    let candle = candle(&pool).await;
    let app = TestApp::new(pool.clone());
    let mut stream = Stream::open(&app).await;

    // The page was rendered a moment before it started listening (seconds, on a slow phone):
    // it is first told the count of every item on offer, the live drop's three (not next
    // week's drop, which the bazaar does not show yet).
    let live: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT di.id, di.remaining FROM drop_items di JOIN drops d ON d.id = di.drop_id
         WHERE d.title = 'Live test drop' ORDER BY di.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(live.contains(&(candle, 42)));
    let counts: Vec<String> = live.iter().map(|(i, r)| format!("{i} {r}")).collect();
    // In one event, so the page applies them at once.
    assert_eq!(stream.next().await, counts);

    take_one(&pool, candle).await;
    assert_eq!(stream.next().await, [format!("{candle} 41")]);
    take_one(&pool, candle).await;
    assert_eq!(stream.next().await, [format!("{candle} 40")]);
}

#[sqlx::test]
async fn an_open_page_hears_changes_made_while_the_server_had_lost_its_listener(pool: PgPool) {
    let candle = candle(&pool).await;
    let app = TestApp::new(pool.clone());
    let mut stream = Stream::open(&app).await;
    hear(&mut stream, &format!("{candle} 42")).await;

    // The server's listening connection drops (a database restart or failover, say), and a
    // unit goes while it is down: no notification reaches the server.
    let dropped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%') t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(dropped, 1, "the server listens on one connection");
    take_one(&pool, candle).await;

    // Once it listens again it sends the current counts: the page learns of that unit…
    hear(&mut stream, &format!("{candle} 41")).await;
    // …and changes after that are pushed as before.
    take_one(&pool, candle).await;
    hear(&mut stream, &format!("{candle} 40")).await;
}

#[sqlx::test]
async fn a_page_that_falls_behind_skips_to_the_current_counts(pool: PgPool) {
    let candle = candle(&pool).await;
    sqlx::query("UPDATE drop_items SET quantity = 5000, remaining = 5000 WHERE id = $1")
        .bind(candle)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool.clone());
    let mut behind = Stream::open(&app).await;
    let mut keeping_up = Stream::open(&app).await;
    hear(&mut behind, &format!("{candle} 5000")).await;
    hear(&mut keeping_up, &format!("{candle} 5000")).await;

    // More changes than the server keeps for a page that is not reading (a phone on a bad
    // link, say): the oldest are dropped for it.
    sqlx::query(&format!(
        "DO $$ BEGIN FOR i IN 1..1500 LOOP
             UPDATE drop_items SET remaining = remaining - 1 WHERE id = {candle};
         END LOOP; END $$"
    ))
    .execute(&pool)
    .await
    .unwrap();
    // A page that reads all along hears the last of them: the server has relayed them all.
    hear(&mut keeping_up, &format!("{candle} 3500")).await;

    // The page that fell behind is not walked through what it missed: its next count for the
    // candle is the current one.
    let candle_count = |lines: Vec<String>| {
        lines
            .into_iter()
            .find(|line| line.starts_with(&format!("{candle} ")))
    };
    let mut next = candle_count(behind.next().await);
    while next.is_none() {
        next = candle_count(behind.next().await);
    }
    assert_eq!(next, Some(format!("{candle} 3500")));
}

#[sqlx::test]
async fn live_streams_from_one_address_are_capped_and_beyond_it_a_page_is_told_to_wait(
    pool: PgPool,
) {
    support::live_store(&pool).await;
    let config = server::HttpConfig {
        live_streams: server::live::StreamLimits {
            per_address: 2,
            total: 100,
        },
        ..Default::default()
    };
    let app = TestApp::with_config(pool, &config);
    let open = |app: &TestApp| {
        let app = app.clone();
        async move {
            app.response(Request::get("/api/live/stock").body(Body::empty()).unwrap())
                .await
        }
    };
    let bot = app.at_address("203.0.113.9");
    let first = open(&bot).await;
    let second = open(&bot).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = open(&bot).await;
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["retry-after"], "30");
    let body = third.into_body().collect().await.unwrap().to_bytes();
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        answer["message"],
        "Too many requests. Try again in 30 seconds."
    );
    // Everyone else still gets live counts.
    assert_eq!(open(&app.at_address("198.51.100.7")).await.status(), 200);
    // A page that goes away gives its place back.
    drop(first);
    assert_eq!(open(&bot).await.status(), 200);
}
