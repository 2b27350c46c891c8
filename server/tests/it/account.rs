use sqlx::PgPool;

use crate::support::endpoints::{GetAccount, ServerFn};
use crate::support::{self, PASSWORD as PW, TestApp, maya_at_the_till, purchase};

#[sqlx::test]
async fn the_account_shows_balance_tier_progress_expiring_points_and_history(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "a-1", "120.00"),
    )
    .await;
    // A purchase from 11 months ago: its points expire within 30 days.
    let old = serde_json::json!({"member_id": maya, "external_id": "a-0", "amount": "30.00", "currency": "USD",
        "purchased_at": (chrono::Utc::now() - chrono::Duration::days(350)).to_rfc3339()});
    app.api_post("/api/v1/purchases", Some(&key), &old.to_string())
        .await;

    let cookie = app.signed_in("maya@example.com", PW).await;
    let view = app.account(Some(&cookie)).await.json();
    assert_eq!(view["balance"], 150);
    assert_eq!(view["tier_name"], "Bronze");
    assert_eq!(view["spend_12m_cents"], 15000);
    assert_eq!(view["next_tier"]["name"], "Silver");
    assert_eq!(view["next_tier"]["spend_needed_cents"], 20000);
    assert_eq!(view["expiring_soon"], 30);
    let history = view["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["reason"], "Purchase");
    assert_eq!(history[0]["points"], 30);

    let html = app.get_as("/account", &cookie).await.body;
    for text in [
        "Hi, maya",
        "150 pts",
        "Bronze",
        "Spend $200.00 more to reach Silver.",
        "Points history",
        "a-1",
    ] {
        assert!(html.contains(text), "account page lacks {text:?}");
    }

    // When the first expiring points go, in days as each reader says them.
    let first: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT min(expires_at) FROM point_lots WHERE account_id = $1")
            .bind(maya)
            .fetch_one(&pool)
            .await
            .unwrap();
    let zone = chrono_tz::America::New_York;
    let days = (first.with_timezone(&zone).date_naive()
        - chrono::Utc::now().with_timezone(&zone).date_naive())
    .num_days();
    assert!((10..=20).contains(&days), "{days}");
    let label = view["expiring_first_label"].as_str().unwrap();
    assert!(
        label.starts_with(&format!("The first expire in {days} days (")),
        "{label}"
    );
    let spanish = app
        .get_as("/account", &format!("{cookie}; bazaar_lang=es"))
        .await
        .body;
    assert!(
        spanish.contains(&format!("Los primeros vencen en {days} días (")),
        "{spanish}"
    );
}

#[sqlx::test]
async fn history_is_paginated_newest_first(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    for n in 0..25 {
        app.api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, &format!("p-{n:02}"), "1.00"),
        )
        .await;
    }
    let cookie = app.signed_in("maya@example.com", PW).await;
    let first = app.account_page(&cookie, 1).await.json();
    assert_eq!(first["history"].as_array().unwrap().len(), 20);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["history"][0]["reference"], "p-24");
    let second = app.account_page(&cookie, 2).await.json();
    assert_eq!(second["history"].as_array().unwrap().len(), 5);
    assert_eq!(second["has_more"], false);
    let bad = app.account_page(&cookie, 0).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.app_error().to_string(), "Page numbers start at 1.");
}

#[sqlx::test]
async fn a_member_cannot_read_another_members_account_by_changing_an_id(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let other = support::member(&pool, "other@example.com", PW).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(other, "secret-purchase", "99.00"),
    )
    .await;
    let cookie = app.signed_in("maya@example.com", PW).await;
    let account = GetAccount::PATH;
    for uri in [
        format!("{account}?account_id={other}"),
        format!("{account}?id={other}&member_id={other}"),
        format!("/account?account_id={other}"),
    ] {
        let reply = app.get_as(&uri, &cookie).await;
        assert!(
            !reply.body.contains("secret-purchase"),
            "{uri} leaked another member's history"
        );
        assert!(!reply.body.contains("other@example.com"), "{uri}");
    }
    let mine = app
        .get_as(&format!("{account}?account_id={other}"), &cookie)
        .await
        .json();
    assert_eq!(mine["email"], "maya@example.com");
    let _ = maya;
}

#[sqlx::test]
async fn the_account_needs_a_signed_in_member(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool);
    let api = app.account(None).await;
    assert_eq!(api.status, 401);
    assert_eq!(api.app_error().to_string(), "Please sign in to continue.");
    let page = app.get("/account").await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Sign in to see your points"));
    assert!(page.body.contains(r#"href="/sign-in?next=/account""#));
}
