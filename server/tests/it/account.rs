use sqlx::PgPool;

use crate::support::{self, api_post, get_as, purchase, sign_in};

const PW: &str = "correct horse battery";

#[sqlx::test]
async fn the_account_shows_balance_tier_progress_expiring_points_and_history(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", PW).await;
    let key = support::api_key(&pool).await;
    let app = support::app(pool.clone());
    api_post(
        &app,
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "a-1", "120.00"),
    )
    .await;
    // A purchase from 11 months ago: its points expire within 30 days.
    let old = serde_json::json!({"member_id": maya, "external_id": "a-0", "amount": "30.00", "currency": "USD",
        "purchased_at": (chrono::Utc::now() - chrono::Duration::days(350)).to_rfc3339()});
    api_post(&app, "/api/v1/purchases", Some(&key), &old.to_string()).await;

    let cookie = sign_in(&app, "maya@example.com", PW).await;
    let view = get_as(&app, "/api/fn/account", &cookie).await.json();
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

    let html = get_as(&app, "/account", &cookie).await.body;
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
}

#[sqlx::test]
async fn history_is_paginated_newest_first(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", PW).await;
    let key = support::api_key(&pool).await;
    let app = support::app(pool.clone());
    for n in 0..25 {
        api_post(
            &app,
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, &format!("p-{n:02}"), "1.00"),
        )
        .await;
    }
    let cookie = sign_in(&app, "maya@example.com", PW).await;
    let first = get_as(&app, "/api/fn/account?page=1", &cookie).await.json();
    assert_eq!(first["history"].as_array().unwrap().len(), 20);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["history"][0]["reference"], "p-24");
    let second = get_as(&app, "/api/fn/account?page=2", &cookie).await.json();
    assert_eq!(second["history"].as_array().unwrap().len(), 5);
    assert_eq!(second["has_more"], false);
    let bad = get_as(&app, "/api/fn/account?page=0", &cookie).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.app_error().to_string(), "Page numbers start at 1.");
}

#[sqlx::test]
async fn a_member_cannot_read_another_members_account_by_changing_an_id(pool: PgPool) {
    support::store(&pool).await;
    let maya = support::member(&pool, "maya@example.com", PW).await;
    let other = support::member(&pool, "other@example.com", PW).await;
    let key = support::api_key(&pool).await;
    let app = support::app(pool.clone());
    api_post(
        &app,
        "/api/v1/purchases",
        Some(&key),
        &purchase(other, "secret-purchase", "99.00"),
    )
    .await;
    let cookie = sign_in(&app, "maya@example.com", PW).await;
    for uri in [
        format!("/api/fn/account?account_id={other}"),
        format!("/api/fn/account?id={other}&member_id={other}"),
        format!("/account?account_id={other}"),
    ] {
        let reply = get_as(&app, &uri, &cookie).await;
        assert!(
            !reply.body.contains("secret-purchase"),
            "{uri} leaked another member's history"
        );
        assert!(!reply.body.contains("other@example.com"), "{uri}");
    }
    let mine = get_as(
        &app,
        &format!("/api/fn/account?account_id={other}"),
        &cookie,
    )
    .await
    .json();
    assert_eq!(mine["email"], "maya@example.com");
    let _ = maya;
}

#[sqlx::test]
async fn the_account_needs_a_signed_in_member(pool: PgPool) {
    support::store(&pool).await;
    let app = support::app(pool);
    let api = support::get(&app, "/api/fn/account").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.app_error().to_string(), "Please sign in to continue.");
    let page = support::get(&app, "/account").await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Sign in to see your points"));
    assert!(page.body.contains(r#"href="/sign-in?next=/account""#));
}
