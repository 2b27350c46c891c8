//! Insights for staff: members' scores from their purchases (brought in through the import
//! endpoint), segments, the models' forecast, and who may see them.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{self, TestApp, account, store_today};

/// The test shop (New York), its member of staff, and a key that imports history.
pub async fn store_with_history_key(pool: &PgPool) -> (TestApp, String, String) {
    let (app, staff) = support::staff_console(pool).await;
    let key = support::api_key(pool).await;
    sqlx::query("UPDATE api_keys SET scopes = '{import}'")
        .execute(pool)
        .await
        .unwrap();
    (app, staff, key)
}

fn purchase(member: i64, id: &str, amount: &str, at: chrono::DateTime<Utc>) -> Value {
    json!({"member_id": member, "external_id": id, "amount": amount, "currency": "USD",
        "purchased_at": at.to_rfc3339()})
}

async fn import(app: &TestApp, key: &str, rows: Vec<Value>) {
    let reply = app
        .api_post(
            "/api/v1/purchases/import",
            Some(key),
            &Value::Array(rows).to_string(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["rejected"], json!([]), "{}", reply.body);
}

/// Forty members who joined about a year ago; some kept coming back, some stopped early.
/// Enough history for the models; their ids in order.
pub async fn forty_shoppers(pool: &PgPool, app: &TestApp, key: &str) -> Vec<i64> {
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    for n in 0..40_i64 {
        let id = account(
            pool,
            &format!("s{n}@example.com"),
            &format!("Shopper {n}"),
            "member",
        )
        .await;
        ids.push(id);
        let visits = 1 + n % 6;
        let gap = if n % 3 == 0 { 60 } else { 14 };
        for v in 0..visits {
            let days_ago = 360 - v * gap;
            let amount = format!("{}.00", 20 + (n * 7 + v * 3) % 40);
            rows.push(purchase(
                id,
                &format!("s{n}-{v}"),
                &amount,
                Utc::now() - Duration::days(days_ago),
            ));
        }
    }
    import(app, key, rows).await;
    ids
}

/// Members who bought `amount` on each of `days_ago`.
async fn shopper(
    pool: &PgPool,
    app: &TestApp,
    key: &str,
    name: &str,
    amount: &str,
    days_ago: &[i64],
) -> i64 {
    let id = account(pool, &format!("{name}@example.com"), name, "member").await;
    let rows = days_ago
        .iter()
        .map(|d| {
            purchase(
                id,
                &format!("{name}-{d}"),
                amount,
                Utc::now() - Duration::days(*d),
            )
        })
        .collect();
    import(app, key, rows).await;
    id
}

#[sqlx::test]
async fn a_small_store_is_segmented_by_recency_frequency_and_money(pool: PgPool) {
    let (app, staff, key) = store_with_history_key(&pool).await;
    // Hand-computed: each member is first, second, … fifth on recency, frequency and money
    // alike, so their quintiles are 5, 4, 3, 2, 1 on all three.
    let ana = shopper(&pool, &app, &key, "ana", "100.00", &[1, 20, 40, 60, 80]).await;
    shopper(&pool, &app, &key, "ben", "80.00", &[10, 50, 90, 130]).await;
    shopper(&pool, &app, &key, "cai", "60.00", &[30, 100, 170]).await;
    shopper(&pool, &app, &key, "dev", "40.00", &[100, 200]).await;
    shopper(&pool, &app, &key, "eli", "20.00", &[300]).await;

    let before = app.insights(Some(&staff)).await.json();
    assert_eq!(
        before["as_of"],
        "No scores yet: they are computed every night from purchases, or now with the button below."
    );
    let run = app.recompute_scores(Some(&staff)).await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.json(), json!(5));

    let view = app.insights(Some(&staff)).await.json();
    let segments: Vec<(String, String, String, String)> = view["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_owned();
            (
                text("name"),
                text("members"),
                text("share"),
                text("revenue_share"),
            )
        })
        .collect();
    let row = |name: &str, members: &str, share: &str, revenue: &str| {
        (
            name.to_owned(),
            members.to_owned(),
            share.to_owned(),
            revenue.to_owned(),
        )
    };
    // Revenue in the last 12 months: 500 + 320 + 180 + 80 + 20 = 1,100.
    assert_eq!(
        segments,
        [
            row("Champions", "1", "20%", "45%"),
            row("Loyal", "1", "20%", "29%"),
            row("Potential loyalist", "0", "0%", "0%"),
            row("New", "0", "0%", "0%"),
            row("Need attention", "1", "20%", "16%"),
            row("At risk", "0", "0%", "0%"),
            row("Hibernating", "1", "20%", "7%"),
            row("Lost", "1", "20%", "2%"),
        ]
    );
    // Four members who bought twice are too few for the models: no forecast, said plainly.
    assert_eq!(view["fits"], json!([]));
    let care = app.member_care(&staff, &ana.to_string()).await.json();
    assert_eq!(
        care["value"],
        "Segment: Champions · too little history in the store for a forecast yet"
    );
    let page = app.get_as("/staff/insights", &staff).await;
    assert_eq!(page.status, 200);
    let text = support::visible_text(&page.body);
    assert!(
        text.contains("Members by segment") && text.contains("Hibernating"),
        "{text}"
    );

    // In Spanish, the same figures as a Spanish reader writes them.
    let spanish = app
        .send(
            axum::http::Request::get("/staff/insights")
                .header("cookie", &staff)
                .header("accept-language", "es-ES")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let text = support::visible_text(&spanish.body);
    assert!(
        text.contains("Campeones") && text.contains("45\u{a0}%"),
        "{text}"
    );
}

#[sqlx::test]
async fn purchases_are_counted_by_the_stores_calendar_day_not_utcs(pool: PgPool) {
    let (app, staff, key) = store_with_history_key(&pool).await;
    let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
    let night = account(&pool, "night@example.com", "Night", "member").await;
    let evening = account(&pool, "evening@example.com", "Evening", "member").await;
    import(
        &app,
        &key,
        vec![
            // 23:30 and 00:30 in New York: two days, though both are 10 June in UTC.
            purchase(night, "n-1", "10.00", at("2026-06-10T03:30:00Z")),
            purchase(night, "n-2", "10.00", at("2026-06-10T04:30:00Z")),
            // 19:30 and 20:30 in New York: one day, though UTC has 10 and 11 June.
            purchase(evening, "e-1", "10.00", at("2026-06-10T23:30:00Z")),
            purchase(evening, "e-2", "15.00", at("2026-06-11T00:30:00Z")),
        ],
    )
    .await;
    app.recompute_scores(Some(&staff)).await;
    let frequency = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i32, i64)>(
                "SELECT frequency, monetary_cents FROM member_scores WHERE account_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // A repeat purchase day worth $10.00 after the first.
    assert_eq!(frequency(night).await, (1, 1000));
    // One occasion of $25.00: no repeat purchase.
    assert_eq!(frequency(evening).await, (0, 0));
}

#[sqlx::test]
async fn with_enough_history_each_member_gets_a_forecast_and_staff_see_the_fit(pool: PgPool) {
    let (app, staff, key) = store_with_history_key(&pool).await;
    let first = forty_shoppers(&pool, &app, &key).await[0];
    assert_eq!(app.recompute_scores(Some(&staff)).await.json(), json!(40));

    let view = app.insights(Some(&staff)).await.json();
    let fits = view["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 2, "{view}");
    assert_eq!(fits[0]["model"], "BG/NBD (purchases and activity)");
    assert!(
        fits[0]["params"].as_str().unwrap().starts_with("a = "),
        "{}",
        fits[0]["params"]
    );
    assert_eq!(fits[0]["members"], "40");
    assert_eq!(fits[1]["model"], "Gamma-Gamma (spend per purchase)");
    assert_eq!(view["top"].as_array().unwrap().len(), 10);

    // The model check for staff, and how members moved, as the page shows them.
    let today = store_today();
    let cutoff = (today - Duration::days(180)).to_string();
    let check = app.model_check(&staff, &cutoff, &today.to_string()).await;
    assert_eq!(check.status, 200, "{}", check.body);
    let check = check.json();
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .starts_with("Fitted on 40 members' purchases to "),
        "{}",
        check["summary"]
    );
    assert_eq!(check["calibration"].as_array().unwrap().len(), 8);
    assert!(check["chart"]["actual"].as_str().unwrap().contains(','));
    let movement = app.movement(&staff, None).await.json();
    assert_eq!(movement["rows"].as_array().unwrap().len(), 9);
    // Every member is counted once: the row totals add up to the 40.
    let total: i64 = movement["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 40);
    assert_eq!(movement["cohorts"][0]["members"], "40");

    // Member care reads the member's value in a line.
    let care = app.member_care(&staff, &first.to_string()).await.json();
    let value = care["value"].as_str().unwrap();
    assert!(
        value.starts_with("Segment: ")
            && value.contains(" · P(active) ")
            && value.contains(" · 12-month value $"),
        "{value}"
    );
}

#[sqlx::test]
async fn only_staff_see_insights_or_compute_scores(pool: PgPool) {
    let (app, _staff, _key) = store_with_history_key(&pool).await;
    let (_, member) = support::member_with(&pool, 1, 0).await;
    for reply in [
        app.insights(Some(&member)).await,
        app.recompute_scores(Some(&member)).await,
    ] {
        assert_eq!(reply.status, 403, "{}", reply.body);
        assert_eq!(
            reply.app_error().to_string(),
            "You don't have access to this."
        );
    }
    for reply in [app.insights(None).await, app.recompute_scores(None).await] {
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM member_scores")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test]
async fn a_model_check_with_wrong_dates_says_which_and_a_tills_key_cannot_read_it(pool: PgPool) {
    let (app, staff, key) = store_with_history_key(&pool).await;
    for (cutoff, end, field, message) in [
        (
            "30/09/1997",
            "1998-06-30",
            "cutoff",
            "30/09/1997 is not a date: write it as YYYY-MM-DD, e.g. 2026-06-30.",
        ),
        (
            "1998-06-30",
            "1997-09-30",
            "end",
            "The end date must come after the cut-off date.",
        ),
        (
            "2026-01-01",
            "2099-01-01",
            "end",
            "The end date cannot be in the future: the check compares the forecast with what happened.",
        ),
    ] {
        let reply = app.model_check(&staff, cutoff, end).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(
            support::field_error(&reply),
            (field.to_owned(), message.to_owned())
        );
    }
    // The key imports but may not read the member base.
    let refused = app
        .send(
            axum::http::Request::get(
                "/api/v1/insights/model-check?cutoff=2026-01-01&end=2026-02-01",
            )
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::empty())
            .unwrap(),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json()["message"],
        "This API key may not do this: it needs the \"insights:read\" scope. Ask the store's staff for a key with it."
    );
}

#[sqlx::test]
async fn comparing_segments_between_dates_in_the_wrong_order_says_so(pool: PgPool) {
    let (app, staff, _key) = store_with_history_key(&pool).await;
    let reply = app
        .movement(&staff, Some(("2026-06-01", "2026-03-01")))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        support::field_error(&reply),
        (
            "to".to_owned(),
            "The “To” date must come after the “From” date.".to_owned()
        )
    );
    let future = app
        .movement(&staff, Some(("2026-06-01", "2099-01-01")))
        .await;
    assert_eq!(
        support::field_error(&future),
        (
            "to".to_owned(),
            "The “To” date cannot be in the future.".to_owned()
        )
    );
}

#[sqlx::test]
async fn computing_scores_while_another_server_computes_them_says_to_look_again(pool: PgPool) {
    let (app, staff, _key) = store_with_history_key(&pool).await;
    // Another server holds the scores' lock (`insights::ssr::scores`).
    let mut other = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(0x6a6f_6273_0007_i64)
        .execute(&mut *other)
        .await
        .unwrap();
    let reply = app.recompute_scores(Some(&staff)).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(
        reply.app_error().to_string(),
        "Scores are being computed right now. Look again in a minute."
    );
}
