use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::endpoints::ledger;
use crate::support::{self, TestApp, books, maya_at_the_till, purchase};

async fn counts(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM purchases), (SELECT count(*) FROM ledger_entries)")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_purchase_earns_points_at_the_members_tier_rate(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;

    let reply = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, "till-1", "25.40"),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let receipt = reply.json();
    assert_eq!(
        receipt["points_earned"], 25,
        "Bronze: 1 point per dollar, rounded down"
    );
    assert_eq!(receipt["balance"], 25);
    assert_eq!(receipt["amount"], "25.40");

    // $400 in 12 months reaches Silver (from $350); the next purchase earns 1.25 per dollar.
    let reply = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, "till-2", "380.00"),
        )
        .await;
    assert_eq!(reply.json()["tier"], "silver");
    let reply = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, "till-3", "100.00"),
        )
        .await;
    assert_eq!(reply.json()["points_earned"], 125);
    assert_eq!(books(&pool, maya).await, (530, 530, 530));
}

#[sqlx::test]
async fn a_replayed_purchase_earns_once_and_gets_the_first_answer(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let body = purchase(maya, "till-7-000481", "50.00");
    let first = app.api_post("/api/v1/purchases", Some(&key), &body).await;
    let second = app.api_post("/api/v1/purchases", Some(&key), &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 200);
    assert_eq!(first.json(), second.json());
    assert_eq!(books(&pool, maya).await.0, 50);
    assert_eq!(counts(&pool).await, (1, 1));
}

#[sqlx::test]
async fn the_same_external_id_with_different_details_is_a_409(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "till-9", "50.00"),
    )
    .await;
    let reply = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, "till-9", "75.00"),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.json()["message"],
        "external_id \"till-9\" was already used for a purchase with different details. Send a new external_id for a new purchase."
    );
    assert_eq!(books(&pool, maya).await.0, 50);
}

#[sqlx::test]
async fn concurrent_replays_of_one_purchase_earn_once(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let body = purchase(maya, "till-burst", "10.00");
    let replies = futures_join(&app, &key, &body, 20).await;
    assert_eq!(replies.iter().filter(|s| **s == 201).count(), 1);
    assert!(
        replies.iter().all(|s| *s == 201 || *s == 200),
        "{replies:?}"
    );
    assert_eq!(books(&pool, maya).await, (10, 10, 10));
}

async fn futures_join(app: &TestApp, key: &str, body: &str, n: usize) -> Vec<u16> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (app, key, body) = (app.clone(), key.to_owned(), body.to_owned());
        tasks.push(tokio::spawn(async move {
            app.api_post("/api/v1/purchases", Some(&key), &body)
                .await
                .status
                .as_u16()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[sqlx::test]
async fn bad_purchases_get_a_specific_4xx_and_nothing_is_written(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let at = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let with = |patch: serde_json::Value| {
        let mut body = serde_json::json!({"member_id": maya, "external_id": "x-1", "amount": "10.00", "currency": "USD", "purchased_at": at});
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body.to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        (
            with(serde_json::json!({"member_id": 999999})),
            422,
            "No member has id 999999.",
        ),
        (
            with(serde_json::json!({"member_id": null, "member_email": "ghost@example.com"})),
            422,
            "No member has the email ghost@example.com.",
        ),
        (
            with(serde_json::json!({"member_id": null})),
            422,
            "Name the member with member_id, member_email or card_number.",
        ),
        (
            with(serde_json::json!({"member_id": null, "card_number": "4539 1488 0343 6468"})),
            422,
            "That card number has a mistyped digit: check it against the member's card.",
        ),
        (
            with(serde_json::json!({"member_id": null, "card_number": "4539 1488"})),
            422,
            "A card number is 16 digits, like 4539 1488 0343 6467.",
        ),
        (
            with(serde_json::json!({"member_id": null, "member_email": "maya at example"})),
            422,
            "\"maya at example\" is not an email address.",
        ),
        (
            with(serde_json::json!({"amount": "-5.00"})),
            422,
            "amount must be a positive decimal like \"25.40\" (got \"-5.00\").",
        ),
        (
            with(serde_json::json!({"amount": "0"})),
            422,
            "amount must be greater than zero.",
        ),
        (
            with(serde_json::json!({"amount": "99999999"})),
            422,
            "amount 99999999 is above the 100000 limit for one purchase.",
        ),
        (
            with(serde_json::json!({"currency": "XYZ"})),
            422,
            "currency \"XYZ\" is not accepted: this store's points are earned in USD.",
        ),
        (
            with(
                serde_json::json!({"purchased_at": (Utc::now() + Duration::days(1)).to_rfc3339()}),
            ),
            422,
            "purchased_at is in the future; check the till's clock.",
        ),
        (
            with(
                serde_json::json!({"purchased_at": (Utc::now() - Duration::days(400)).to_rfc3339()}),
            ),
            422,
            "purchased_at is so long ago that its points would already have expired.",
        ),
        (
            with(serde_json::json!({"external_id": ""})),
            422,
            "external_id must be 1-128 printable characters.",
        ),
        (
            "{\"member_id\": ".to_owned(),
            400,
            "The request body is not valid JSON",
        ),
        (
            with(serde_json::json!({"amount": null})),
            422,
            "The purchase is incomplete or has a wrong field",
        ),
        (
            with(serde_json::json!({"surprise": 1})),
            422,
            "The purchase is incomplete or has a wrong field",
        ),
    ];
    for (body, status, message) in cases {
        let reply = app.api_post("/api/v1/purchases", Some(&key), &body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        let got = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(
            got.starts_with(message),
            "{body}\n  got: {got}\n want: {message}"
        );
    }
    // Oversized: more than 16 KiB.
    let huge = with(serde_json::json!({"external_id": "y".repeat(20_000)}));
    let reply = app.api_post("/api/v1/purchases", Some(&key), &huge).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.json()["message"],
        "The request body is larger than 16 KiB."
    );
    assert_eq!(counts(&pool).await, (0, 0), "nothing was written");
}

#[sqlx::test]
async fn the_api_needs_a_valid_key(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let body = purchase(maya, "k-1", "10.00");
    let missing = app.api_post("/api/v1/purchases", None, &body).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json()["message"],
        "Missing API key: send it as `Authorization: Bearer <key>`."
    );
    let wrong = app
        .api_post("/api/v1/purchases", Some("rb_not-a-real-key"), &body)
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json()["message"],
        "This API key is not valid: it was revoked or mistyped."
    );
    sqlx::query("UPDATE api_keys SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        app.api_post("/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        401
    );
    // The stored key is a hash, never the key itself.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_sha256 FROM api_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert_eq!(counts(&pool).await, (0, 0));
}

#[sqlx::test]
async fn each_key_is_rate_limited_with_retry_after(pool: PgPool) {
    support::store(&pool).await;
    let key = support::api_key(&pool).await;
    let app = TestApp::new(pool.clone());
    let mut limited = None;
    for _ in 0..150 {
        let reply = app
            .send(
                Request::post("/api/v1/purchases/none/refund")
                    .header("authorization", format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
    }
    let reply = limited.expect("the burst allowance runs out");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many requests. Try again in")
    );
}

#[sqlx::test]
async fn a_refund_reverses_the_purchases_points_once(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "r-1", "80.00"),
    )
    .await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "r-2", "20.00"),
    )
    .await;
    let first = app
        .api_post("/api/v1/purchases/r-1/refund", Some(&key), "")
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let receipt = first.json();
    assert_eq!(receipt["refunded"], true);
    assert_eq!(receipt["points_reversed"], 80);
    assert_eq!(receipt["points_unrecovered"], 0);
    assert_eq!(receipt["balance"], 20);
    let again = app
        .api_post("/api/v1/purchases/r-1/refund", Some(&key), "")
        .await;
    assert_eq!(again.json(), receipt);
    assert_eq!(books(&pool, maya).await, (20, 20, 20));
    let missing = app
        .api_post("/api/v1/purchases/nope/refund", Some(&key), "")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["message"],
        "A purchase with external_id \"nope\" from this integration was not found."
    );
}

#[sqlx::test]
async fn refunding_points_already_spent_takes_back_only_what_is_left(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &purchase(maya, "s-1", "100.00"),
    )
    .await;
    // Maya spends 70 of her 100 points.
    let mut tx = pool.begin().await.unwrap();
    ledger::lock_balance(&mut tx, maya).await.unwrap();
    ledger::debit(&mut tx, maya, ledger::Debit::Redeem, 70, "Reward", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let receipt = app
        .api_post("/api/v1/purchases/s-1/refund", Some(&key), "")
        .await
        .json();
    assert_eq!(receipt["points_reversed"], 30);
    assert_eq!(receipt["points_unrecovered"], 70);
    assert_eq!(receipt["balance"], 0);
    assert_eq!(books(&pool, maya).await, (0, 0, 0));
}

#[sqlx::test]
async fn the_openapi_document_parses_and_lists_every_v1_route(pool: PgPool) {
    support::store(&pool).await;
    let reply = TestApp::new(pool).get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    let spec = oas3::from_json(&reply.body).expect("a valid OpenAPI 3.1 document");
    let paths: Vec<String> = spec.paths.unwrap_or_default().keys().cloned().collect();
    for route in [
        "/api/v1/purchases",
        "/api/v1/purchases/{external_id}/refund",
        "/api/v1/openapi.json",
    ] {
        assert!(
            paths.iter().any(|p| p == route),
            "{route} missing from {paths:?}"
        );
    }
    assert!(
        spec.components
            .unwrap()
            .security_schemes
            .contains_key("api_key")
    );
}

#[sqlx::test]
async fn a_deleted_members_id_earns_nothing_and_the_till_is_told_there_is_no_such_member(
    pool: PgPool,
) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    sqlx::query("UPDATE accounts SET deleted_at = now() WHERE id = $1")
        .bind(maya)
        .execute(&pool)
        .await
        .unwrap();
    let reply = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &purchase(maya, "till-9", "50.00"),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.json()["message"], format!("No member has id {maya}."));
    assert_eq!(support::count(&pool, "purchases").await, 0);
}
