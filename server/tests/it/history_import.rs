//! History in: an integrator imports years of purchases through `/api/v1/purchases/import`.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, maya_at_the_till};

const IMPORT: &str = "/api/v1/purchases/import";

async fn give_scopes(pool: &PgPool, scopes: &[&str]) {
    sqlx::query("UPDATE api_keys SET scopes = $1")
        .bind(scopes)
        .execute(pool)
        .await
        .unwrap();
}

async fn import_ndjson(app: &TestApp, key: &str, rows: &[Value]) -> crate::support::Reply {
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let request = Request::post(IMPORT)
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

fn row(member: i64, id: &str, amount: &str, days_ago: i64) -> Value {
    json!({"member_id": member, "external_id": id, "amount": amount, "currency": "USD",
        "purchased_at": (Utc::now() - Duration::days(days_ago)).to_rfc3339()})
}

async fn purchases(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM purchases")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn an_import_writes_the_good_rows_reports_the_bad_by_line_and_a_replay_adds_nothing(
    pool: PgPool,
) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    give_scopes(&pool, &["earn", "import"]).await;
    let rows = [
        row(maya, "h-1", "42.10", 900),
        // Paid with a gift card: still a visit.
        row(maya, "h-2", "0.00", 800),
        row(maya, "h-3", "12,50", 700),
        row(999_999, "h-4", "10.00", 600),
        json!("not a purchase"),
        row(maya, "h-1", "42.10", 900),
        row(maya, "h-7", "8.00", 3),
    ];
    let reply = import_ndjson(&app, &key, &rows).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = reply.json();
    assert_eq!(report["received"], 7);
    assert_eq!(report["written"], 3);
    assert_eq!(
        report["points_earned"], 0,
        "the store gives no points for history"
    );
    let rejected: Vec<(u64, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "amount must be a positive decimal like \"25.40\" (got \"12,50\").".to_owned()),
            (4, "No member has id 999999.".to_owned()),
            (5, "This row is not a purchase: invalid type: string \"not a purchase\", expected struct ImportRow".to_owned()),
            (6, "external_id \"h-1\" appears more than once in this import.".to_owned()),
        ]
    );
    assert_eq!(purchases(&pool).await, 3);
    let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(maya)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(balance, 0);

    // Sent again: nothing added, nothing to undo.
    let again = import_ndjson(&app, &key, &rows).await.json();
    assert_eq!(again["written"], 0);
    assert_eq!(again["already_imported"], 3);
    assert_eq!(again["batch_id"], Value::Null);
    assert_eq!(purchases(&pool).await, 3);

    // A used id with different details is refused by line, as a single purchase would be.
    let changed = import_ndjson(&app, &key, &[row(maya, "h-7", "9.00", 3)])
        .await
        .json();
    assert_eq!(changed["written"], 0);
    assert_eq!(
        changed["rejected"][0]["message"],
        "external_id \"h-7\" was already used for a purchase with different details. Send a new external_id for a new purchase."
    );

    // Live earning still refuses $0.00.
    let live = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &row(maya, "live-0", "0.00", 0).to_string(),
        )
        .await;
    assert_eq!(live.status, 422);
    assert_eq!(live.json()["message"], "amount must be greater than zero.");
}

#[sqlx::test]
async fn a_store_that_gives_points_for_recent_history_credits_them_from_the_original_date(
    pool: PgPool,
) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    give_scopes(&pool, &["import"]).await;
    sqlx::query("UPDATE store_settings SET import_points = 'within_expiry'")
        .execute(&pool)
        .await
        .unwrap();
    let array = json!([
        row(maya, "old", "50.00", 500),
        row(maya, "recent", "400.00", 30),
    ]);
    let report = app
        .api_post(IMPORT, Some(&key), &array.to_string())
        .await
        .json();
    assert_eq!(report["written"], 2);
    // Only the purchase still within the 12-month expiry earns: 400 points at Bronze's rate.
    assert_eq!(report["points_earned"], 400);
    let (balance, tier): (i64, String) =
        sqlx::query_as("SELECT balance, tier FROM accounts WHERE id = $1")
            .bind(maya)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(balance, 400);
    // $400 imported inside the rolling 12 months reaches Silver ($350).
    assert_eq!(tier, "silver");
    let expires: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT max(expires_at) FROM point_lots WHERE account_id = $1")
            .bind(maya)
            .fetch_one(&pool)
            .await
            .unwrap();
    let expected = Utc::now() - Duration::days(30) + Duration::days(365);
    assert!((expires - expected).num_days().abs() <= 1, "{expires}");
}

#[sqlx::test]
async fn a_key_without_the_import_scope_is_refused_and_nothing_is_written(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let array = json!([row(maya, "h-1", "10.00", 100)]).to_string();
    let refused = app.api_post(IMPORT, Some(&key), &array).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json()["message"],
        "This API key may not do this: it needs the \"import\" scope. Ask the store's staff for a key with it."
    );
    let anonymous = app.api_post(IMPORT, None, &array).await;
    assert_eq!(anonymous.status, 401);
    // A key for importing only cannot earn at the till.
    give_scopes(&pool, &["import"]).await;
    let till = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &row(maya, "t-1", "5.00", 0).to_string(),
        )
        .await;
    assert_eq!(till.status, 403);
    assert_eq!(purchases(&pool).await, 0);
}

#[sqlx::test]
async fn an_import_larger_than_a_batch_is_refused_whole(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    give_scopes(&pool, &["import"]).await;
    let rows: Vec<Value> = (0..5_001)
        .map(|i| row(maya, &format!("b-{i}"), "1.00", 10))
        .collect();
    let reply = import_ndjson(&app, &key, &rows).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["message"],
        "The import has 5001 purchases; send at most 5000 per call."
    );
    let not_text = app
        .send(
            axum::http::Request::post(IMPORT)
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/x-ndjson")
                .body(axum::body::Body::from(&b"\xff\xfe{}"[..]))
                .unwrap(),
        )
        .await;
    assert_eq!(not_text.status, 400);
    assert_eq!(not_text.json()["message"], "The import is not UTF-8 text.");
    let garbled = app
        .api_post(IMPORT, Some(&key), "{\"not\": \"an array\"}")
        .await;
    assert_eq!(garbled.status, 400);
    assert!(
        garbled.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("The import is not a JSON array of purchases:"),
    );
    assert_eq!(purchases(&pool).await, 0);
}
