//! Next best actions (issue 25, part 2): each member's action worth most by expected value, on a
//! store counted by hand, and a finished campaign's measured response replacing the store's
//! expectation.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::campaigns::{bought, groups, members, scores, start, tier_audience};
use crate::support::{self, TestApp};

/// The hand-computed store for next best actions, with the store's terms:
/// margin 30%, two messages a week; win-back: response 50%, $100 extra, costs $5;
/// expiring points: response 20%, $20 extra, costs 10¢; the other actions the defaults.
///
/// | member | scores | facts | best action, expected value |
/// |---|---|---|---|
/// | ana | at risk, P(alive) 40% | shared likes | win-back: 0.4·0.5·0.3·10000 − 500 = 100 |
/// | bo | loyal, 90% | bronze, $290 spent this year: $60 from silver | reach tier: 0.9·0.25·0.3·6000 − 10 = 395 |
/// | cy | champions, 95% | 300 points expiring in 10 days, shared likes | expiring: 0.95·0.2·0.3·2000 − 10 = 104 |
/// | di | (no scores) | | none: no forecast |
/// | ed | at risk, 40% | two messages this week, shared nothing | ask (no message): 0.4·0.05·0.3·2000 = 12 |
async fn hand_computed_store(pool: &PgPool) -> [i64; 5] {
    support::store(pool).await;
    sqlx::query(
        r#"UPDATE store_settings SET next_action_terms = '{
             "win_back": {"response": 0.5, "extra_spend_cents": 10000, "cost_cents": 500},
             "expiring_points": {"response": 0.2, "extra_spend_cents": 2000, "cost_cents": 10}
           }'"#,
    )
    .execute(pool)
    .await
    .unwrap();
    let ids = members(pool, "nba", 5, "bronze").await;
    let [ana, bo, cy, _di, ed] = [ids[0], ids[1], ids[2], ids[3], ids[4]];
    scores(pool, &[ana, ed], "at_risk", 0.4).await;
    scores(pool, &[bo], "loyal", 0.9).await;
    scores(pool, &[cy], "champions", 0.95).await;
    for id in [ana, bo, cy] {
        sqlx::query(
            "INSERT INTO member_likes (account_id, category, given_via) VALUES ($1, 'gift', 'preferences')",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    // bo has spent $290 in the last year: silver starts at $350.
    bought(pool, &[bo], 29_000).await;
    sqlx::query(
        "WITH e AS (INSERT INTO ledger_entries (account_id, kind, points, reason) VALUES ($1, 'adjust', 300, 'Gift') RETURNING id)
         INSERT INTO point_lots (account_id, entry_id, points, remaining, expires_at)
         SELECT $1, id, 300, 300, now() + interval '10 days' FROM e",
    )
    .bind(cy)
    .execute(pool)
    .await
    .unwrap();
    for n in 0..2 {
        sqlx::query(
            "INSERT INTO outbox (account_id, to_address, kind, essential, message_id, subject, text_body, html_body)
             VALUES ($1, 'nba5@example.com', 'drop_reminder', false, $2, 'Soon', 'x', 'x')",
        )
        .bind(ed)
        .bind(format!("<ed-{n}@test>"))
        .execute(pool)
        .await
        .unwrap();
    }
    [ids[0], ids[1], ids[2], ids[3], ids[4]]
}

#[sqlx::test]
async fn each_members_next_best_action_is_the_one_worth_most_on_a_hand_computed_store(
    pool: PgPool,
) {
    let [ana, bo, cy, di, ed] = hand_computed_store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let best = |id: i64| {
        let app = app.clone();
        let staff = staff.clone();
        async move {
            app.member_care(&staff, &id.to_string()).await.json()["best_next"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        best(ana).await,
        "Best next: Win-back offer, expected value $1.00"
    );
    assert_eq!(
        best(bo).await,
        "Best next: Spend a little more to reach the next tier, expected value $3.95"
    );
    assert_eq!(
        best(cy).await,
        "Best next: Expiring-points reminder, expected value $1.04"
    );
    assert_eq!(
        best(di).await,
        "Best next: no action until the member has a forecast (their first purchases)."
    );
    assert_eq!(
        best(ed).await,
        "Best next: Ask a preference question, expected value $0.12"
    );

    let page = app
        .next_actions(Some(&staff), Some("win_back"))
        .await
        .json();
    let counts: Vec<(Value, Value)> = page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["members"].clone(), c["value"].clone()))
        .collect();
    assert_eq!(
        counts,
        [
            (json!("1 member should get: win-back offer"), json!("$1.00")),
            (
                json!("1 member should get: spend a little more to reach the next tier"),
                json!("$3.95")
            ),
            (
                json!("1 member should get: expiring-points reminder"),
                json!("$1.04")
            ),
            (
                json!("1 member should get: ask a preference question"),
                json!("$0.12")
            ),
            (
                json!("0 members should get: early access to a drop they would like"),
                json!("$0.00")
            ),
        ]
    );
    assert_eq!(page["members"][0]["email"], "nba1@example.com");
    let csv = app.next_actions_csv(&staff, "reach_tier").await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.text(),
        "Member id,Email,Name,Segment,Expected value\r\n".to_owned()
            + &format!("{bo},nba2@example.com,Member 2,Loyal,$3.95\r\n")
    );
    let bad = app.next_actions_csv(&staff, "spam").await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        bad.json()["message"],
        "Choose the action the campaign tries."
    );
}

#[sqlx::test]
async fn a_finished_campaigns_measured_response_replaces_the_stores_expectation(pool: PgPool) {
    let [ana, ..] = hand_computed_store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    // 60 more members at risk, in an audience of their own; half held out.
    let others = members(&pool, "risk", 60, "silver").await;
    scores(&pool, &others, "at_risk", 0.5).await;
    let audience = tier_audience(&app, &staff, "Silver at risk", "silver").await;
    let id = start(&app, &staff, "Win back test", &audience, "100", false, "50").await;
    let (treated, held_out) = groups(&pool, id).await;
    // The store expects a win-back to get a response of 10%: worth less than its cost.
    sqlx::query(
        r#"UPDATE store_settings SET next_action_terms = jsonb_set(next_action_terms, '{win_back,response}', '0.1')"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    // 24 of 30 treated bought, 9 of 30 held out: a response of 50%.
    bought(&pool, &treated[..24], 2_000).await;
    bought(&pool, &held_out[..9], 2_000).await;
    let running = app.member_care(&staff, &ana.to_string()).await.json();
    assert_eq!(
        running["best_next"],
        "Best next: no action — nothing is worth more than it costs for this member now.",
        "a running campaign teaches nothing yet"
    );
    // The window ends.
    sqlx::query(
        "UPDATE campaigns SET starts_at = now() - interval '15 days', ends_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let after = app.member_care(&staff, &ana.to_string()).await.json();
    assert_eq!(
        after["best_next"],
        "Best next: Win-back offer, expected value $1.00 (response measured by campaigns)"
    );
    // A segment the campaign did not measure keeps the store's expectation: at 10%,
    // 0.4 · 0.1 · 0.3 · 10000 − 500 < 0.
    sqlx::query("UPDATE member_scores SET segment = 'hibernating' WHERE account_id = $1")
        .bind(ana)
        .execute(&pool)
        .await
        .unwrap();
    let other = app.member_care(&staff, &ana.to_string()).await.json();
    assert_eq!(
        other["best_next"],
        "Best next: no action — nothing is worth more than it costs for this member now."
    );
}

#[sqlx::test]
async fn staff_change_what_they_expect_of_an_action_and_each_members_best_action_follows(
    pool: PgPool,
) {
    let [ana, ..] = hand_computed_store(&pool).await;
    let staff = support::staff(&pool).await;
    let (_, member) = support::member_with(&pool, 90, 0).await;
    let app = TestApp::new(pool.clone());
    let best = || async {
        app.member_care(&staff, &ana.to_string()).await.json()["best_next"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        best().await,
        "Best next: Win-back offer, expected value $1.00"
    );

    // Staff expect every member offered a win-back to respond: 0.4 · 1 · 0.3 · 10000 − 500.
    let saved = app
        .save_action_terms(
            Some(&staff),
            &[
                ("terms_action", "win_back"),
                ("response", "100"),
                ("extra_spend", "100.00"),
                ("cost", "$5"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        best().await,
        "Best next: Win-back offer, expected value $7.00"
    );
    let page = app.next_actions(Some(&staff), None).await.json();
    assert_eq!(
        page["terms"]["actions"][0],
        json!({ "action": "win_back", "label": "Win-back offer", "response": "100%",
                "extra_spend": "$100.00", "cost": "$5.00" })
    );

    // No messages this week for anyone: the win-back (an email) is off for ana.
    let saved = app
        .save_store_terms(
            Some(&staff),
            &[
                ("margin", "30"),
                ("messages_per_week", "0"),
                ("reach_within", "100"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        best().await,
        "Best next: no action — nothing is worth more than it costs for this member now."
    );
    let page = app.next_actions(Some(&staff), None).await.json();
    assert_eq!(
        (
            &page["terms"]["margin"],
            &page["terms"]["messages_per_week"],
            &page["terms"]["reach_within"]
        ),
        (&json!("30"), &json!("0"), &json!("100.00"))
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM audit_log WHERE action = 'next_actions.terms'"
        )
        .fetch_one(&pool)
        .await
        .unwrap(),
        2
    );

    // Each mistake says what to write, and nothing changes.
    let stored = || async {
        sqlx::query_scalar::<_, Value>("SELECT next_action_terms FROM store_settings")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = stored().await;
    for (form, field, message) in [
        (
            [
                ("terms_action", "nothing"),
                ("response", "10"),
                ("extra_spend", "1"),
                ("cost", "1"),
            ],
            "terms_action",
            "Choose one of the actions to change.",
        ),
        (
            [
                ("terms_action", "win_back"),
                ("response", "150"),
                ("extra_spend", "1"),
                ("cost", "1"),
            ],
            "response",
            "Enter the expected response as a percentage from 0 to 100, like 15.",
        ),
        (
            [
                ("terms_action", "win_back"),
                ("response", "10"),
                ("extra_spend", "20000"),
                ("cost", "1"),
            ],
            "extra_spend",
            "Enter the extra spend as an amount from 0 to 10000, like 60.00.",
        ),
        (
            [
                ("terms_action", "win_back"),
                ("response", "10"),
                ("extra_spend", "1"),
                ("cost", "-3"),
            ],
            "cost",
            "Enter the cost as an amount from 0 to 10000, like 3.00.",
        ),
    ] {
        let reply = app.save_action_terms(Some(&staff), &form).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(
            support::field_error(&reply),
            (field.to_owned(), message.to_owned())
        );
    }
    for (form, field, message) in [
        (
            [
                ("margin", "thirty"),
                ("messages_per_week", "2"),
                ("reach_within", "100"),
            ],
            "margin",
            "Enter the margin as a percentage from 0 to 100, like 30.",
        ),
        (
            [
                ("margin", "30"),
                ("messages_per_week", "50"),
                ("reach_within", "100"),
            ],
            "messages_per_week",
            "Enter a whole number of messages from 0 to 21.",
        ),
        (
            [
                ("margin", "30"),
                ("messages_per_week", "2"),
                ("reach_within", "lots"),
            ],
            "reach_within",
            "Enter the distance to the next tier as an amount from 0 to 10000, like 100.00.",
        ),
    ] {
        let reply = app.save_store_terms(Some(&staff), &form).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(
            support::field_error(&reply),
            (field.to_owned(), message.to_owned())
        );
    }
    // Only staff change the terms.
    let good = [
        ("terms_action", "win_back"),
        ("response", "1"),
        ("extra_spend", "1"),
        ("cost", "1"),
    ];
    assert_eq!(
        app.save_action_terms(Some(&member), &good).await.status,
        403
    );
    assert_eq!(app.save_action_terms(None, &good).await.status, 401);
    assert_eq!(stored().await, before);

    // The page shows the terms and both forms, in Spanish too.
    for (language, expected) in [
        (
            "en",
            [
                "What you expect of each action",
                "100%",
                "Save the store's terms",
            ],
        ),
        (
            "es",
            [
                "Lo que esperas de cada acción",
                "100 %",
                "Guardar los términos de la tienda",
            ],
        ),
    ] {
        let page = app
            .send(
                axum::http::Request::get("/staff/next-actions")
                    .header("cookie", &staff)
                    .header("accept-language", language)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        let text = support::visible_text(&page.body);
        for words in expected {
            assert!(text.contains(words), "{language}: {words} in {text}");
        }
    }
}
