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
    app_with(pool, Default::default())
}

/// The app with its redemption line sized by the test.
pub fn app_with(pool: PgPool, admission: app::redemptions::admission::Admission) -> Router {
    let mut state = state(pool);
    state.admission = admission;
    server::router(state, &server::HttpConfig::default(), pages())
}

/// The app with HTTP settings chosen by the test.
pub fn app_config(pool: PgPool, config: &server::HttpConfig) -> Router {
    server::router(state(pool), config, pages())
}

/// The page routes, listed once for the whole test binary: listing them while another test
/// renders a page would leave that page waiting forever (see `server::Pages`).
pub fn pages() -> &'static server::Pages {
    static PAGES: std::sync::OnceLock<server::Pages> = std::sync::OnceLock::new();
    PAGES.get_or_init(server::Pages::list)
}

fn state(pool: PgPool) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name("bazaar")
        .site_root("target/site")
        .build();
    AppState::new(leptos_options, pool)
}

/// A line with room for everyone and a minute of patience, for tests that count
/// units sold rather than presses turned away.
pub fn patient_line() -> app::redemptions::admission::Admission {
    use app::redemptions::admission::{Admission, Limits};
    Admission::new(Limits {
        batch: 256,
        waiting: 10_000,
        max_wait: std::time::Duration::from_secs(60),
    })
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The typed error a server function answered with, as the browser decodes it; its
    /// `to_string()` is the message the person sees.
    pub fn app_error(&self) -> app::AppError {
        serde_json::from_str(self.text())
            .unwrap_or_else(|e| panic!("not an AppError ({e}): {}", self.body))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    // A hang fails the test that hit it, naming the request, instead of stalling the suite.
    let uri = request.uri().clone();
    tokio::time::timeout(ANSWER_WITHIN, answer(app, request))
        .await
        .unwrap_or_else(|_| panic!("no complete answer to {uri} within {ANSWER_WITHIN:?}"))
}

/// Far beyond any answer's time on a loaded CI machine; only a hang reaches it.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

async fn answer(app: &Router, request: Request<Body>) -> Reply {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
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

/// The origin tests pretend to be: the router checks mutations against the Host header.
pub const ORIGIN: &str = "http://bazaar.test";

/// A form POST from the portal's own pages (as ActionForm sends it), optionally signed in.
pub async fn post_form(
    app: &Router,
    uri: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> Reply {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request = Request::post(uri)
        .header("host", "bazaar.test")
        .header("origin", ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    send_with_cookie(app, request.body(Body::from(body)).unwrap()).await
}

/// A GET with a session cookie.
pub async fn get_as(app: &Router, uri: &str, cookie: &str) -> Reply {
    send(
        app,
        Request::get(uri)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Like `send`, keeping the `Set-Cookie` header.
pub async fn send_with_cookie(app: &Router, request: Request<Body>) -> Reply {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let mut body = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(cookie) = headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
        body = format!("{body}\n--set-cookie: {cookie}");
    }
    Reply {
        status,
        headers,
        content_type,
        body,
    }
}

impl Reply {
    /// The session cookie (`name=value`) the response set, if any.
    pub fn cookie(&self) -> Option<String> {
        let line = self
            .body
            .lines()
            .find_map(|l| l.strip_prefix("--set-cookie: "))?;
        Some(line.split(';').next()?.to_owned())
    }

    /// The full Set-Cookie header.
    pub fn set_cookie(&self) -> Option<&str> {
        self.body
            .lines()
            .find_map(|l| l.strip_prefix("--set-cookie: "))
    }

    /// The body without the appended cookie line.
    pub fn text(&self) -> &str {
        self.body
            .split("\n--set-cookie: ")
            .next()
            .unwrap_or_default()
    }
}

/// A member who can sign in, with zero points.
pub async fn member(pool: &PgPool, email: &str, password: &str) -> i64 {
    let hash = app::auth::server::hash_password(password.to_owned())
        .await
        .unwrap();
    sqlx::query_scalar("INSERT INTO accounts (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id")
        .bind(email)
        .bind(email.split('@').next().unwrap())
        .bind(hash)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Signs in and returns the session cookie.
pub async fn sign_in(app: &Router, email: &str, password: &str) -> String {
    let reply = post_form(
        app,
        "/api/fn/sign_in",
        &[("email", email), ("password", password)],
        None,
    )
    .await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "sign-in failed: {} {}",
        reply.status,
        reply.body
    );
    reply.cookie().expect("sign-in sets a session cookie")
}

/// An API key for the earning API.
pub async fn api_key(pool: &PgPool) -> String {
    server::api::create_api_key(pool, "Test till", "till", None)
        .await
        .unwrap()
}

/// A JSON POST to the earning API.
pub async fn api_post(app: &Router, uri: &str, key: Option<&str>, body: &str) -> Reply {
    let mut request = Request::post(uri).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    send(app, request.body(Body::from(body.to_owned())).unwrap()).await
}

/// A purchase body for `member_id`.
pub fn purchase(member_id: i64, external_id: &str, amount: &str) -> String {
    serde_json::json!({
        "member_id": member_id,
        "external_id": external_id,
        "amount": amount,
        "currency": "USD",
        "purchased_at": (Utc::now() - Duration::minutes(1)).to_rfc3339(),
    })
    .to_string()
}

/// Balance, sum of ledger entries, and sum of open lots for one account.
pub async fn books(pool: &PgPool, account: i64) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT a.balance,
                COALESCE((SELECT sum(points) FROM ledger_entries WHERE account_id = a.id), 0)::bigint,
                COALESCE((SELECT sum(remaining) FROM point_lots WHERE account_id = a.id), 0)::bigint
         FROM accounts a WHERE a.id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A session for `account_id` made directly in the store, for tests that need hundreds of
/// signed-in members (signing each in would hash hundreds of passwords).
pub async fn session_for(pool: &PgPool, account_id: i64) -> String {
    use sha2::Digest;
    let id = tower_sessions::session::Id::default();
    let data = serde_json::json!({ "account_id": account_id, "signed_in_at": Utc::now().timestamp_millis() });
    sqlx::query("INSERT INTO sessions (id_sha256, data, expires_at) VALUES ($1, $2, now() + interval '1 day')")
        .bind(sha2::Sha256::digest(id.to_string().as_bytes()).to_vec())
        .bind(data)
        .execute(pool)
        .await
        .unwrap();
    format!("bazaar_session={id}")
}

/// Gives a member points (an `adjust` entry and its lot).
pub async fn grant(pool: &PgPool, account_id: i64, points: i64) {
    let mut tx = pool.begin().await.unwrap();
    app::ledger::server::lock_balance(&mut tx, account_id)
        .await
        .unwrap();
    app::ledger::server::credit(
        &mut tx,
        account_id,
        app::ledger::server::Credit::Adjust,
        points,
        "Test grant",
        None,
        None,
        Utc::now() + Duration::days(365),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Every invariant of redemptions and the ledger, for the whole database.
pub async fn assert_invariants(pool: &PgPool) {
    let broken = server::invariants::violations(pool).await.unwrap();
    assert!(broken.is_empty(), "invariants broken: {broken:?}");
}

/// An account with `role` ("member", "staff", "admin") and a session cookie for it.
pub async fn account_with_role(pool: &PgPool, email: &str, role: &str) -> (i64, String) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, role) VALUES ($1, 'Someone', $2) RETURNING id",
    )
    .bind(email)
    .bind(role)
    .fetch_one(pool)
    .await
    .unwrap();
    (id, session_for(pool, id).await)
}

/// The message of a field error, with its field: what the person sees beside the input.
pub fn field_error(reply: &Reply) -> (String, String) {
    match reply.app_error() {
        app::AppError::Invalid { field, message } => (field, message),
        other => panic!("expected a field error, got {other:?} ({})", reply.status),
    }
}

/// `at` as a `datetime-local` value in the test store's zone (America/New_York).
pub fn store_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// How many rows `table` has.
pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The actions in the audit log, oldest first.
pub async fn audit_actions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// A store with one live drop holding one item; returns the item id.
pub async fn live_item(pool: &PgPool, quantity: i32, cost: i64) -> i64 {
    store(pool).await;
    let now = Utc::now();
    let drop = drop_window(
        pool,
        "Live",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let reward = reward(pool, "Candle duo", "gift", cost).await;
    drop_item(pool, drop, reward, quantity, quantity).await
}

/// A member `m{n}@example.com` with `points`, signed in.
pub async fn member_with(pool: &PgPool, n: usize, points: i64) -> (i64, String) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name) VALUES ($1, 'M') RETURNING id",
    )
    .bind(format!("m{n}@example.com"))
    .fetch_one(pool)
    .await
    .unwrap();
    if points > 0 {
        grant(pool, id, points).await;
    }
    (id, session_for(pool, id).await)
}

/// One press of Confirm on the redeem page: `item` with idempotency key `key`, as `cookie`.
pub async fn redeem(app: &Router, cookie: &str, item: i64, key: &str) -> Reply {
    post_form(
        app,
        "/api/fn/redeem",
        &[
            ("drop_item_id", &item.to_string()),
            ("idempotency_key", key),
        ],
        Some(cookie),
    )
    .await
}

/// Begins a transaction holding the member's account row, as any writer of their points does
/// (a purchase, a refund); a redeem batch with a press of theirs waits until it ends.
pub async fn hold_account(
    pool: &PgPool,
    account: i64,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut held = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(account)
        .execute(&mut *held)
        .await
        .unwrap();
    held
}
