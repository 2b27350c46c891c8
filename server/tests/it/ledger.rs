use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::endpoints::ledger::{
    Credit, Debit, credit, debit, expire_due, lock_balance, recalculate_all_tiers,
};
use crate::support::endpoints::violated_constraint;
use crate::support::{self, books, maya_at_the_till, purchase};

async fn earn(pool: &PgPool, account: i64, points: i64, expires_in_days: i64) {
    let mut tx = pool.begin().await.unwrap();
    lock_balance(&mut tx, account).await.unwrap();
    credit(
        &mut tx,
        account,
        Credit::Earn,
        points,
        "Test",
        None,
        None,
        Utc::now() + Duration::days(expires_in_days),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A spend as the redeem path will do it: lock, check, debit. Returns false when short.
async fn spend(pool: &PgPool, account: i64, points: i64) -> bool {
    let mut tx = pool.begin().await.unwrap();
    let balance = lock_balance(&mut tx, account).await.unwrap();
    if balance < points {
        return false;
    }
    debit(&mut tx, account, Debit::Redeem, points, "Reward", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    true
}

#[sqlx::test]
async fn fifty_concurrent_purchases_and_spends_keep_the_books_exact(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let mut tasks = Vec::new();
    for n in 0..50 {
        let (app, key, task_pool) = (app.clone(), key.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                let reply = app
                    .api_post(
                        "/api/v1/purchases",
                        Some(&key),
                        &purchase(maya, &format!("c-{n}"), "10.00"),
                    )
                    .await;
                assert_eq!(reply.status, 201, "{}", reply.body);
                0
            } else {
                i64::from(spend(&task_pool, maya, 15).await) * 15
            }
        }));
        // Check the invariant while the storm runs, not only after it.
        let (balance, entries, lots) = books(&pool, maya).await;
        assert!(balance >= 0);
        assert_eq!(balance, entries);
        assert_eq!(balance, lots);
    }
    let mut spent = 0;
    for t in tasks {
        spent += t.await.unwrap();
    }
    let (balance, entries, lots) = books(&pool, maya).await;
    assert_eq!(balance, 25 * 10 - spent);
    assert_eq!(balance, entries);
    assert_eq!(balance, lots);
    assert!(balance >= 0);
}

#[sqlx::test]
async fn spending_draws_on_the_soonest_expiring_points_first(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", "correct horse battery").await;
    earn(&pool, maya, 100, 300).await;
    earn(&pool, maya, 50, 10).await;
    earn(&pool, maya, 70, 100).await;
    assert!(spend(&pool, maya, 80).await);
    let lots: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT points, remaining FROM point_lots WHERE account_id = $1 ORDER BY expires_at",
    )
    .bind(maya)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(lots, vec![(50, 0), (70, 40), (100, 100)]);
    assert_eq!(books(&pool, maya).await, (140, 140, 140));
}

#[sqlx::test]
async fn expiry_takes_only_due_points_and_records_it(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", "correct horse battery").await;
    earn(&pool, maya, 100, 300).await;
    earn(&pool, maya, 50, 10).await;
    assert!(spend(&pool, maya, 20).await); // from the 50 that expire first
    let expired = expire_due(&pool, Utc::now() + Duration::days(11))
        .await
        .unwrap();
    assert_eq!(expired, 1);
    let entry: (String, i64, String) =
        sqlx::query_as("SELECT kind, points, reason FROM ledger_entries WHERE account_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(maya)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(entry, ("expire".into(), -30, "Points expired".into()));
    assert_eq!(books(&pool, maya).await, (100, 100, 100));
    assert_eq!(
        expire_due(&pool, Utc::now() + Duration::days(11))
            .await
            .unwrap(),
        0,
        "nothing twice"
    );
}

#[sqlx::test]
async fn the_database_refuses_an_overspend_and_edits_to_history(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", "correct horse battery").await;
    earn(&pool, maya, 10, 30).await;
    let overspend = sqlx::query("INSERT INTO ledger_entries (account_id, kind, points, reason) VALUES ($1, 'redeem', -11, 'x')")
        .bind(maya)
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(
        violated_constraint(&overspend),
        Some("accounts_balance_non_negative")
    );
    let edit = sqlx::query("UPDATE ledger_entries SET points = 1000")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(edit.to_string().contains("append-only"), "{edit}");
    let delete = sqlx::query("DELETE FROM ledger_entries")
        .execute(&pool)
        .await;
    assert!(delete.is_err());
    assert_eq!(books(&pool, maya).await, (10, 10, 10));
}

#[sqlx::test]
async fn the_daily_tier_pass_lowers_a_tier_when_spend_ages_out(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let body = serde_json::json!({
        "member_id": maya, "external_id": "old-big", "amount": "500.00", "currency": "USD",
        "purchased_at": (Utc::now() - Duration::days(300)).to_rfc3339(),
    });
    let reply = app
        .api_post("/api/v1/purchases", Some(&key), &body.to_string())
        .await;
    assert_eq!(reply.json()["tier"], "silver");
    // Ten weeks later the purchase is more than 12 months old.
    let changed = recalculate_all_tiers(&pool, Utc::now() + Duration::days(70))
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let tier: String = sqlx::query_scalar("SELECT tier FROM accounts WHERE id = $1")
        .bind(maya)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tier, "bronze");
}

#[sqlx::test]
async fn a_job_running_on_one_server_is_skipped_by_the_others(pool: PgPool) {
    use server::jobs::once;
    let (started, wait_for_start) = tokio::sync::oneshot::channel();
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let first = {
        let pool = pool.clone();
        tokio::spawn(async move {
            once(&pool, 42, "the test job", async move {
                started.send(()).unwrap();
                finished.await.unwrap();
                Ok(())
            })
            .await
        })
    };
    wait_for_start.await.unwrap();
    // Another server's loop comes round while the first is still at it: it skips the round.
    let second = once(&pool, 42, "the test job", async { panic!("ran twice") }).await;
    assert!(!second);
    finish.send(()).unwrap();
    assert!(first.await.unwrap());
    // Once it is done, the next round runs again.
    assert!(once(&pool, 42, "the test job", async { Ok(()) }).await);
}
