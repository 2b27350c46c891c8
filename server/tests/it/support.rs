use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use tower::ServiceExt;

use app::state::AppState;

/// The whole HTTP app over `pool`, as the server builds it.
pub fn app(pool: PgPool) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("bazaar")
        .site_root("target/site")
        .build();
    server::router(AppState {
        leptos_options,
        pool,
    })
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A small store: settings, and rewards by category, returning their ids.
pub async fn store(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO store_settings (name, time_zone) VALUES ('Test Shop', 'America/New_York')",
    )
    .execute(pool)
    .await
    .unwrap();
}

pub async fn reward(pool: &PgPool, title: &str, category: &str, cost: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO rewards (title, category, points_cost) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(title)
    .bind(category)
    .bind(cost)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub async fn drop_window(
    pool: &PgPool,
    title: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO drops (title, starts_at, ends_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(title)
    .bind(starts_at)
    .bind(ends_at)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub async fn drop_item(
    pool: &PgPool,
    drop_id: i64,
    reward_id: i64,
    quantity: i32,
    remaining: i32,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost)
         SELECT $1, id, $3, $4, points_cost FROM rewards WHERE id = $2 RETURNING id",
    )
    .bind(drop_id)
    .bind(reward_id)
    .bind(quantity)
    .bind(remaining)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A store with a live drop (a gift, a sample, a sold-out experience) and a drop next week.
pub async fn live_store(pool: &PgPool) -> (i64, i64) {
    store(pool).await;
    let now = Utc::now();
    let live = drop_window(
        pool,
        "Live test drop",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let next = drop_window(
        pool,
        "Next week drop",
        now + Duration::days(7),
        now + Duration::days(8),
    )
    .await;
    let gift = reward(pool, "Candle duo", "gift", 750).await;
    let sample = reward(pool, "Serum sample", "sample", 250).await;
    let experience = reward(pool, "Masterclass", "experience", 5000).await;
    let later = reward(pool, "Future pouch", "gift", 500).await;
    drop_item(pool, live, gift, 50, 42).await;
    drop_item(pool, live, sample, 100, 100).await;
    drop_item(pool, live, experience, 5, 0).await;
    drop_item(pool, next, later, 10, 10).await;
    (live, next)
}
