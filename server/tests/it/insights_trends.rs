//! "Valuable and slipping away" read from the weekly snapshots, and the member base's figures
//! as JSON for BI tools.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::insights::{forty_shoppers, store_with_history_key};
use crate::support::{self, TestApp, store_today};

async fn api_get(app: &TestApp, key: &str, uri: &str) -> crate::support::Reply {
    app.send(
        Request::get(uri)
            .header("authorization", format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test]
async fn a_valuable_member_whose_chance_of_staying_falls_is_listed_as_slipping_away(pool: PgPool) {
    let (app, staff, key) = store_with_history_key(&pool).await;
    forty_shoppers(&pool, &app, &key).await;
    assert_eq!(app.recompute_scores(Some(&staff)).await.json(), json!(40));
    // The week's first run is the week's copy: running again (staff pressing "Compute scores
    // now" during a drop) does not rewrite it.
    sqlx::query("UPDATE member_score_snapshots SET monetary_cents = -1")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(app.recompute_scores(Some(&staff)).await.json(), json!(40));
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM member_score_snapshots WHERE monetary_cents = -1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, 40);

    // The two most valuable members, both at 40% now.
    let top: Vec<(i64, String)> = sqlx::query_as(
        "SELECT s.account_id, a.display_name FROM member_scores s JOIN accounts a ON a.id = s.account_id
         ORDER BY s.clv_cents DESC, s.account_id LIMIT 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (falling, steady) = (&top[0], &top[1]);
    sqlx::query("UPDATE member_scores SET p_alive = 0.4 WHERE account_id = ANY($1)")
        .bind([falling.0, steady.0])
        .execute(&pool)
        .await
        .unwrap();
    // Until there are four weeks of scores, "slipping" can only mean "more likely gone".
    let early = app.insights(Some(&staff)).await.json();
    let early_names = names(&early["slipping"]);
    assert!(
        early_names.contains(&falling.1) && early_names.contains(&steady.1),
        "{early}"
    );

    // Five weeks ago one was at 95% and the other already at 45%.
    sqlx::query("INSERT INTO member_score_snapshots SELECT as_of - 35, s.* FROM member_scores s ")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE member_score_snapshots SET p_alive = CASE account_id WHEN $1 THEN 0.95 ELSE 0.45 END
         WHERE account_id IN ($1, $2)",
    )
    .bind(falling.0)
    .bind(steady.0)
    .execute(&pool)
    .await
    .unwrap();

    let view = app.insights(Some(&staff)).await.json();
    let slipping = &view["slipping"];
    assert_eq!(names(slipping), std::slice::from_ref(&falling.1), "{view}");
    assert_eq!(slipping[0]["p_alive"], "40%");
    assert_eq!(slipping[0]["was"], "was 95%");
    let page = support::visible_text(&app.get_as("/staff/insights", &staff).await.body);
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(page.contains("40% · was 95%"), "{page}");
    assert!(
        !page.contains("was 100%"),
        "an unchanged chance is not shown as a change"
    );

    // Staff see how P(active) is spread over the members, every band with its count.
    let bands = view["p_alive"].as_array().unwrap();
    assert_eq!(bands.len(), 10);
    assert_eq!(bands[4][0], "40–50%");
    let counted: i64 = bands
        .iter()
        .map(|b| b[1].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, 40);

    // BI tools read the same figures, as numbers.
    sqlx::query("UPDATE api_keys SET scopes = '{insights:read}'")
        .execute(&pool)
        .await
        .unwrap();
    let base = api_get(&app, &key, "/api/v1/insights/members").await;
    assert_eq!(base.status, 200, "{}", base.body);
    let base = base.json();
    assert_eq!(base["slipping"][0]["member_id"], falling.0);
    assert_eq!(base["slipping"][0]["p_alive_before"], 0.95);
    let members: i64 = base["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["members"].as_i64().unwrap())
        .sum();
    assert_eq!(members, 40);
    assert_eq!(base["p_alive"][4]["from_percent"], 40);
}

#[sqlx::test]
async fn bi_tools_read_how_members_moved_and_a_tills_key_cannot(pool: PgPool) {
    let (app, _staff, key) = store_with_history_key(&pool).await;
    forty_shoppers(&pool, &app, &key).await;
    let refused = api_get(&app, &key, "/api/v1/insights/movement").await;
    assert_eq!(refused.status, 403, "the importing key may not read");
    sqlx::query("UPDATE api_keys SET scopes = '{insights:read}'")
        .execute(&pool)
        .await
        .unwrap();

    let today = store_today();
    let from = (today - Duration::days(300)).to_string();
    let uri = format!("/api/v1/insights/movement?from={from}&to={today}");
    let movement = api_get(&app, &key, &uri).await;
    assert_eq!(movement.status, 200, "{}", movement.body);
    let movement = movement.json();
    assert_eq!(movement["segments"][0], "champions");
    // Everyone had bought by both dates: the first row (not yet members) is empty and the
    // matrix counts each of the forty once.
    let rows = movement["migration"].as_array().unwrap();
    assert_eq!(rows[0]["from_segment"], Value::Null);
    assert_eq!(rows[0]["to_segments"], json!([0, 0, 0, 0, 0, 0, 0, 0]));
    let total: u64 = rows
        .iter()
        .flat_map(|r| r["to_segments"].as_array().unwrap().iter())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 40);
    assert_eq!(movement["cohorts"][0]["members"], 40);
    assert_eq!(movement["cohorts"][0]["active"][0], 40);

    let backwards = api_get(
        &app,
        &key,
        &format!("/api/v1/insights/movement?from={today}&to={from}"),
    )
    .await;
    assert_eq!(backwards.status, 422);
    assert_eq!(
        backwards.json()["message"],
        "The “To” date must come after the “From” date."
    );
    assert_eq!(
        api_get(&app, "not a key", "/api/v1/insights/members")
            .await
            .status,
        401
    );
}

#[sqlx::test]
async fn a_scores_run_waits_while_members_are_redeeming_and_goes_on_when_they_stop(pool: PgPool) {
    let (app, _, key) = store_with_history_key(&pool).await;
    forty_shoppers(&pool, &app, &key).await;
    let drop = support::drop_window(
        &pool,
        "Busy drop",
        Utc::now() - Duration::minutes(5),
        Utc::now() + Duration::hours(1),
    )
    .await;
    let reward = support::reward(&pool, "Candle", "gift", 100).await;
    let item = support::drop_item(&pool, drop, reward, 10, 10).await;
    let (member, _) = support::member_with(&pool, 1, 0).await;
    // Members pressing Redeem: an attempt recorded every half second for two seconds.
    let pressing = {
        let pool = pool.clone();
        tokio::spawn(async move {
            for _ in 0..4 {
                sqlx::query(
                    "INSERT INTO redemption_attempts (drop_item_id, account_id, client_ip, outcome)
                     VALUES ($1, $2, '127.0.0.1', 'not_enough_points')",
                )
                .bind(item)
                .bind(member)
                .execute(&pool)
                .await
                .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        })
    };
    let began = std::time::Instant::now();
    let scoring = {
        let pool = pool.clone();
        tokio::spawn(async move { app::insights::ssr::scores::recompute(&pool, Utc::now()).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let scored: i64 = sqlx::query_scalar("SELECT count(*) FROM member_scores")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(scored, 0, "nothing written while members press Redeem");
    pressing.await.unwrap();
    let run = scoring.await.unwrap().unwrap().expect("the run");
    assert_eq!(run.members, 40);
    // The presses stopped after two seconds, and a run waits two more for quiet.
    assert!(
        began.elapsed() >= std::time::Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
}
