//! What the tests read back from the database, and the rows they hold locked.

use sqlx::PgPool;

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

/// Every invariant of redemptions and the ledger, for the whole database.
pub async fn assert_invariants(pool: &PgPool) {
    let broken = server::invariants::violations(pool).await.unwrap();
    assert!(broken.is_empty(), "invariants broken: {broken:?}");
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
