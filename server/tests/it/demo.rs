use chrono::{Datelike, Timelike, Utc, Weekday};
use sqlx::PgPool;

use server::demo::{DEMO_LOGINS, DemoSize, STORE_ZONE, seed_if_empty};

const SMALL: DemoSize = DemoSize {
    rewards: 150,
    members: 60,
    live_items: 20,
    upcoming_drops: 6,
    items_per_drop: 8,
};

#[sqlx::test]
async fn demo_store_has_rewards_in_every_category_members_and_a_live_drop(pool: PgPool) {
    assert!(seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap());

    let categories: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, count(*) FROM rewards GROUP BY category ORDER BY category",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(categories.len(), 6, "{categories:?}");
    assert_eq!(categories.iter().map(|c| c.1).sum::<i64>(), 150);

    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE role = 'member'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(members, 61);
    let with_history: i64 = sqlx::query_scalar("SELECT count(DISTINCT account_id) FROM purchases")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        with_history > 30,
        "most members have bought something: {with_history}"
    );

    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM drop_items di JOIN drops d ON d.id = di.drop_id WHERE d.starts_at <= now() AND d.ends_at > now()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(live, 20);
}

#[sqlx::test]
async fn demo_drops_open_every_tuesday_and_thursday_at_nine_store_time(pool: PgPool) {
    seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap();
    let starts: Vec<chrono::DateTime<Utc>> = sqlx::query_scalar(
        "SELECT starts_at FROM drops WHERE starts_at > now() ORDER BY starts_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(starts.len(), 6);
    for at in &starts {
        let local = at.with_timezone(&STORE_ZONE);
        assert!(
            matches!(local.weekday(), Weekday::Tue | Weekday::Thu),
            "{local}"
        );
        assert_eq!((local.hour(), local.minute()), (9, 0), "{local}");
    }
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM store_settings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(zone, "America/New_York");
}

#[sqlx::test]
async fn demo_logins_exist_with_their_roles_and_argon2id_hashes(pool: PgPool) {
    seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap();
    for (email, _, _, role) in DEMO_LOGINS {
        let (found_role, hash): (String, Option<String>) =
            sqlx::query_as("SELECT role, password_hash FROM accounts WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(found_role, role);
        let hash = hash.expect("demo logins can sign in");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }
}

#[sqlx::test]
async fn demo_balances_equal_the_sum_of_ledger_entries_and_open_lots(pool: PgPool) {
    seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap();
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts a
         WHERE a.balance <> COALESCE((SELECT sum(points) FROM ledger_entries l WHERE l.account_id = a.id), 0)
            OR a.balance <> COALESCE((SELECT sum(remaining) FROM point_lots p WHERE p.account_id = a.id), 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let demo_member_balance: i64 =
        sqlx::query_scalar("SELECT balance FROM accounts WHERE email = 'member@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(demo_member_balance > 0);
}

#[sqlx::test]
async fn demo_store_is_seeded_once_and_never_into_a_store_with_data(pool: PgPool) {
    assert!(seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap());
    assert!(!seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap());
    let rewards: i64 = sqlx::query_scalar("SELECT count(*) FROM rewards")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rewards, 150);
}

#[sqlx::test]
async fn demo_store_leaves_an_existing_catalog_alone(pool: PgPool) {
    crate::support::store(&pool).await;
    crate::support::reward(&pool, "Real reward", "gift", 100).await;
    assert!(!seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap());
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
}

#[sqlx::test]
async fn demo_passwords_are_random_when_listening_beyond_loopback(pool: PgPool) {
    use server::demo::secure_demo_logins;
    seed_if_empty(&pool, SMALL, Utc::now()).await.unwrap();
    let app = crate::support::TestApp::new(pool.clone());
    // On this machine only, the README's passwords work.
    let local = secure_demo_logins(&pool, "127.0.0.1:3000".parse().unwrap())
        .await
        .unwrap();
    assert!(local.is_empty());
    let (admin, published, ..) = DEMO_LOGINS[2];
    assert!(app.sign_in(admin, published).await.cookie().is_some());

    let public = secure_demo_logins(&pool, "0.0.0.0:8080".parse().unwrap())
        .await
        .unwrap();
    let emails: Vec<&str> = public.iter().map(|l| l.email).collect();
    assert_eq!(
        emails,
        [
            "member@example.com",
            "staff@example.com",
            "admin@example.com"
        ]
    );
    let refused = app.sign_in(admin, published).await;
    assert_eq!(
        refused.app_error().to_string(),
        "That email and password don't match an account."
    );
    let printed = &public[2].password;
    assert!(printed.len() >= 20 && printed != published);
    assert!(app.sign_in(admin, printed).await.cookie().is_some());
    assert_ne!(public[0].password, public[1].password);
    // Printed once: the next start finds no published password left to replace.
    let again = secure_demo_logins(&pool, "0.0.0.0:8080".parse().unwrap())
        .await
        .unwrap();
    assert!(again.is_empty());
}
