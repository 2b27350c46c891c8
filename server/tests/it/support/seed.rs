//! Rows made straight in the database: a store, rewards, drops and their items, members with
//! points, and sessions forged for them (signing hundreds in would hash hundreds of passwords).
//! Shared by the integration tests and the benchmark, which includes this file with `#[path]`;
//! so it uses only crates both have, and reaches the app through `super::endpoints`.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use super::endpoints::{hash_password, ledger};

/// The store's settings: the test shop, in New York's time zone.
pub async fn store(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO store_settings (name, time_zone) VALUES ('Test Shop', 'America/New_York')",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// A reward in the catalog; its id.
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

/// A drop open from `starts_at` to `ends_at`; its id.
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

/// A reward in a drop at the reward's cost, one per member (the column's default); its id.
pub async fn drop_item(
    pool: &PgPool,
    drop_id: i64,
    reward_id: i64,
    quantity: i32,
    remaining: i32,
) -> i64 {
    drop_item_limited(pool, drop_id, reward_id, quantity, remaining, 1).await
}

/// A reward in a drop at the reward's cost, `per_member_limit` per member; its id.
pub async fn drop_item_limited(
    pool: &PgPool,
    drop_id: i64,
    reward_id: i64,
    quantity: i32,
    remaining: i32,
    per_member_limit: i32,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost, per_member_limit)
         SELECT $1, id, $3, $4, points_cost, $5 FROM rewards WHERE id = $2 RETURNING id",
    )
    .bind(drop_id)
    .bind(reward_id)
    .bind(quantity)
    .bind(remaining)
    .bind(per_member_limit)
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

/// An account with `role` ("member", "staff", "admin") and no password; its id.
pub async fn account(db: impl PgExecutor<'_>, email: &str, display_name: &str, role: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, role) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email)
    .bind(display_name)
    .bind(role)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A member who can sign in, with zero points.
pub async fn member(pool: &PgPool, email: &str, password: &str) -> i64 {
    let hash = hash_password(password.to_owned()).await.unwrap();
    sqlx::query_scalar("INSERT INTO accounts (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id")
        .bind(email)
        .bind(email.split('@').next().unwrap())
        .bind(hash)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An account with `role` ("member", "staff", "admin") and a session cookie for it. An admin
/// has two-factor sign-in on, as admin pages require (the session stands for a completed
/// sign-in).
pub async fn account_with_role(pool: &PgPool, email: &str, role: &str) -> (i64, String) {
    let id = account(pool, email, "Someone", role).await;
    if role == "admin" {
        sqlx::query("UPDATE accounts SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1")
            .bind(id)
            .bind(TEST_TOTP_SECRET.to_vec())
            .execute(pool)
            .await
            .unwrap();
    }
    (id, session_for(pool, id).await)
}

/// The two-factor secret of admins made by `account_with_role` (RFC 6238's test key).
pub const TEST_TOTP_SECRET: &[u8; 20] = b"12345678901234567890";

/// The console's member of staff, `staff@example.com`, signed in; their session cookie.
pub async fn staff(pool: &PgPool) -> String {
    account_with_role(pool, "staff@example.com", "staff")
        .await
        .1
}

/// A member `m{n}@example.com` with `points`, signed in.
pub async fn member_with(pool: &PgPool, n: usize, points: i64) -> (i64, String) {
    let id = account(pool, &format!("m{n}@example.com"), "M", "member").await;
    if points > 0 {
        grant(pool, id, points).await;
    }
    (id, session_for(pool, id).await)
}

/// Gives a member points (an `adjust` entry and its lot).
pub async fn grant(pool: &PgPool, account_id: i64, points: i64) {
    let mut tx = pool.begin().await.unwrap();
    give_points(&mut tx, account_id, points, "Test grant").await;
    tx.commit().await.unwrap();
}

/// Gives a member points within the caller's transaction: an `adjust` entry for `reason`, and
/// its lot, lasting a year.
pub async fn give_points(conn: &mut PgConnection, account_id: i64, points: i64, reason: &str) {
    ledger::lock_balance(conn, account_id).await.unwrap();
    ledger::credit(
        conn,
        account_id,
        ledger::Credit::Adjust,
        points,
        reason,
        None,
        None,
        Utc::now() + Duration::days(365),
    )
    .await
    .unwrap();
}

/// A session for `account_id` made directly in the store; its cookie (`name=value`).
pub async fn session_for(db: impl PgExecutor<'_>, account_id: i64) -> String {
    use sha2::Digest;
    let id = tower_sessions::session::Id::default();
    let data = serde_json::json!({ "account_id": account_id, "signed_in_at": Utc::now().timestamp_millis() });
    sqlx::query("INSERT INTO sessions (id_sha256, data, expires_at, account_id) VALUES ($1, $2, now() + interval '1 day', $3)")
        .bind(sha2::Sha256::digest(id.to_string().as_bytes()).to_vec())
        .bind(data)
        .bind(account_id)
        .execute(db)
        .await
        .unwrap();
    format!("bazaar_session={id}")
}

/// An API key for the earning API.
pub async fn api_key(pool: &PgPool) -> String {
    server::api::create_api_key(pool, "Test till", "till", &["earn"], None)
        .await
        .unwrap()
}
