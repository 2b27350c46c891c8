//! Campaigns with a holdout and next best actions (issue 25, parts 2 and 3): staff start a
//! campaign for an audience, a random share is held out and stays out, the offer (bonus points
//! on the next purchase, an email) reaches only the treated members, the report compares the
//! two groups with 95% intervals, and the next best action for each member is ranked by
//! expected value on a store counted by hand.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp, assert_invariants, field_error};

/// `n` members `{prefix}{i}@example.com` in `tier`, in one statement; their ids in order.
pub(crate) async fn members(pool: &PgPool, prefix: &str, n: i32, tier: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, tier)
         SELECT $1 || g || '@example.com', 'Member ' || g, $3 FROM generate_series(1, $2) g
         RETURNING id",
    )
    .bind(prefix)
    .bind(n)
    .bind(tier)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Scores as the scores run writes them: a segment and P(alive).
pub(crate) async fn scores(pool: &PgPool, ids: &[i64], segment: &str, p_alive: f64) {
    sqlx::query(
        "INSERT INTO member_scores (account_id, as_of, frequency, recency_weeks, age_weeks, last_purchase,
                                    monetary_cents, r_score, f_score, m_score, segment, p_alive, clv_cents)
         SELECT id, current_date, 3, 10, 40, current_date - 30, 2500, 3, 3, 3, $2, $3, 20000
         FROM unnest($1::bigint[]) id",
    )
    .bind(ids)
    .bind(segment)
    .bind(p_alive)
    .execute(pool)
    .await
    .unwrap();
}

/// A saved audience of one tier; its id.
pub(crate) async fn tier_audience(app: &TestApp, staff: &str, name: &str, tier: &str) -> String {
    let saved = app
        .save_audience(
            Some(staff),
            &[("id", ""), ("name", name), ("tiers[]", tier)],
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.body);
    saved.json().as_i64().unwrap().to_string()
}

pub(crate) async fn start(
    app: &TestApp,
    staff: &str,
    name: &str,
    audience: &str,
    bonus: &str,
    email: bool,
    holdout: &str,
) -> i64 {
    let mut form = vec![
        ("name", name),
        ("audience", audience),
        ("action", "win_back"),
        ("bonus_points", bonus),
        ("holdout", holdout),
        ("days", "14"),
    ];
    if email {
        form.push(("with_email", "on"));
    }
    let started = app.create_campaign(Some(staff), &form).await;
    assert!(started.status.is_success(), "{}", started.body);
    started.json().as_i64().unwrap()
}

/// Campaign `id`'s groups: (treated, held out) member ids, sorted.
pub(crate) async fn groups(pool: &PgPool, id: i64) -> (Vec<i64>, Vec<i64>) {
    let rows: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT account_id, held_out FROM campaign_members WHERE campaign_id = $1 ORDER BY account_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap();
    (
        rows.iter().filter(|r| !r.1).map(|r| r.0).collect(),
        rows.iter().filter(|r| r.1).map(|r| r.0).collect(),
    )
}

async fn balance(pool: &PgPool, id: i64) -> i64 {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_campaigns_holdout_is_an_exact_random_share_drawn_once_and_kept(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let gold = members(&pool, "g", 400, "gold").await;
    members(&pool, "s", 50, "silver").await;
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;

    let first = start(&app, &staff, "Gold thanks", &audience, "200", false, "10").await;
    let (treated, held_out) = groups(&pool, first).await;
    assert_eq!((treated.len(), held_out.len()), (360, 40));
    let mut everyone: Vec<i64> = treated.iter().chain(&held_out).copied().collect();
    everyone.sort();
    assert_eq!(everyone, gold, "the audience, every member once");

    // Random: a second campaign on the same audience holds out other members (two draws of 40
    // from 400 share about 4; the same 40 twice is, in practice, never).
    let second = start(
        &app,
        &staff,
        "Gold thanks again",
        &audience,
        "200",
        false,
        "10",
    )
    .await;
    let (_, held_again) = groups(&pool, second).await;
    assert_eq!(held_again.len(), 40);
    assert_ne!(held_again, held_out);

    // Stable: members leaving the audience, and the audience changing, move nobody.
    sqlx::query("UPDATE accounts SET tier = 'silver' WHERE id = ANY($1)")
        .bind(&gold[..100])
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(groups(&pool, first).await, (treated, held_out.clone()));
    let report = app.campaign(&staff, first).await.json();
    assert_eq!(report["treated"], "360 members offered");
    assert_eq!(report["held_out"], "40 held out");

    // Recorded where the member can see it: their own data download.
    let cookie = support::session_for(&pool, held_out[0]).await;
    let data = app
        .get_as(app::account::data_rights::MY_DATA_PATH, &cookie)
        .await
        .json();
    assert_eq!(data["campaigns"][0]["campaign"], "Gold thanks");
    assert_eq!(data["campaigns"][0]["group"], "held_out");
    let audited: Vec<Value> = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'campaign.create' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited[0]["members"], 400);
    assert_eq!(audited[0]["held_out"], 40);
}

#[sqlx::test]
async fn treated_members_get_the_bonus_once_on_their_next_purchase_and_held_out_ones_never(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let key = support::api_key(&pool).await;
    let app = TestApp::new(pool.clone());
    members(&pool, "v", 20, "gold").await;
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let id = start(&app, &staff, "Come back", &audience, "500", false, "50").await;
    // Started an hour ago: the till sends purchases a moment after they are made.
    sqlx::query("UPDATE campaigns SET starts_at = now() - interval '1 hour' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let (treated, held_out) = groups(&pool, id).await;
    assert_eq!((treated.len(), held_out.len()), (10, 10));
    let (offered, kept_out) = (treated[0], held_out[0]);

    // Gold earns 1.5 points a dollar: $20.00 is 30 points, plus the 500 offered. (With $20 in
    // a year the member is bronze after it, and earns a point a dollar.)
    let first = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &support::purchase(offered, "t-1", "20.00"),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(balance(&pool, offered).await, 530);
    let again = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &support::purchase(offered, "t-2", "20.00"),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(balance(&pool, offered).await, 550, "the bonus is paid once");
    let held = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &support::purchase(kept_out, "t-3", "20.00"),
        )
        .await;
    assert_eq!(held.status, 201);
    assert_eq!(
        balance(&pool, kept_out).await,
        30,
        "the holdout gets nothing"
    );

    // The member reads it in their history; the report counts one bonus paid.
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT reason FROM ledger_entries WHERE account_id = $1 ORDER BY id")
            .bind(offered)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(reasons, ["Purchase", "Bonus points offer", "Purchase"]);
    let report = app.campaign(&staff, id).await.json();
    assert_eq!(
        report["given"],
        "bonuses paid: 1 · emails written: 0 · rewards given: 0"
    );
    // A purchase after the window earns no bonus.
    sqlx::query("UPDATE campaigns SET ends_at = now() - interval '10 minutes', starts_at = now() - interval '1 day'")
        .execute(&pool)
        .await
        .unwrap();
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &support::purchase(treated[1], "t-4", "20.00"),
    )
    .await;
    assert_eq!(balance(&pool, treated[1]).await, 30);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn an_email_campaign_writes_only_to_treated_members_who_want_offers_under_the_weekly_cap(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), support::patient_line());
    // Four gold members; a 1% holdout of four rounds to nobody, so all four are treated.
    let (wants, opted_out, capped, bouncing) = (
        address("wants"),
        address("optedout"),
        address("capped"),
        address("bouncing"),
    );
    let mut ids = Vec::new();
    for email in [&wants, &opted_out, &capped, &bouncing] {
        ids.push(support::account(&pool, email, "Sam", "member").await);
    }
    sqlx::query("UPDATE accounts SET tier = 'gold', mail_offers = (id <> $2) WHERE id = ANY($1)")
        .bind(&ids)
        .bind(ids[1])
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET email_undeliverable_at = now() WHERE id = $1")
        .bind(ids[3])
        .execute(&pool)
        .await
        .unwrap();
    // Two reminders this week: the store's cap is two messages a week.
    for n in 0..2 {
        sqlx::query(
            "INSERT INTO outbox (account_id, to_address, kind, essential, message_id, subject, text_body, html_body, sent_at, sent_via)
             VALUES ($1, $2, 'drop_reminder', false, $3, 'Soon', 'x', 'x', now(), 'smtp')",
        )
        .bind(ids[2])
        .bind(&capped)
        .bind(format!("<cap-{n}@test>"))
        .execute(&pool)
        .await
        .unwrap();
    }
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let id = start(&app, &staff, "Gold bonus", &audience, "500", true, "1").await;
    assert_eq!(groups(&pool, id).await.1, Vec::<i64>::new());

    deliver(&pool).await;
    let offer = only_message(&wants);
    assert_eq!(offer.subject(), "500 points extra on your next purchase");
    assert!(
        offer.text.contains("earns 500 points extra"),
        "{}",
        offer.text
    );
    assert!(offer.header("List-Unsubscribe").is_some());
    for quiet in [&opted_out, &capped, &bouncing] {
        assert!(inbox(quiet).is_empty(), "{quiet}");
    }
    let report = app.campaign(&staff, id).await.json();
    assert_eq!(
        report["given"],
        "bonuses paid: 0 · emails written: 1 · rewards given: 0"
    );

    // The offer's unsubscribe link turns offers off.
    let token = offer.token("/account?step=unsubscribe&token=");
    assert!(app.unsubscribe(&token).await.status.is_success());
    let still: bool = sqlx::query_scalar("SELECT mail_offers FROM accounts WHERE id = $1")
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!still);

    // With a holdout, only the treated member of two who want offers is written to.
    let pair = members(&pool, "pair", 2, "silver").await;
    sqlx::query("UPDATE accounts SET mail_offers = true WHERE id = ANY($1)")
        .bind(&pair)
        .execute(&pool)
        .await
        .unwrap();
    let silver = tier_audience(&app, &staff, "Silver members", "silver").await;
    let halves = start(&app, &staff, "Silver hello", &silver, "", true, "50").await;
    let (treated, held_out) = groups(&pool, halves).await;
    let written: Vec<i64> = sqlx::query_scalar(
        "SELECT account_id FROM outbox WHERE kind = 'offer' AND account_id = ANY($1)",
    )
    .bind(&pair)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!((written, held_out.len()), (treated, 1));
}

/// Purchases of `cents` today for each member, as the till would have sent them.
pub(crate) async fn bought(pool: &PgPool, ids: &[i64], cents: i64) {
    sqlx::query(
        "INSERT INTO purchases (account_id, source, external_id, amount_cents, currency, purchased_at, points_earned)
         SELECT id, 'till', 'p-' || id || '-' || $2, $2, 'USD', now(), 0 FROM unnest($1::bigint[]) id",
    )
    .bind(ids)
    .bind(cents)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test]
async fn the_campaign_report_compares_treated_with_held_out_and_says_plainly_what_it_means(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    members(&pool, "r", 100, "gold").await;
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let id = start(&app, &staff, "Spring", &audience, "100", false, "50").await;
    let (treated, held_out) = groups(&pool, id).await;
    // 40 of 50 treated buy ($30 each), 10 of 50 held out do.
    bought(&pool, &treated[..40], 3_000).await;
    bought(&pool, &held_out[..10], 3_000).await;

    let report = app.campaign(&staff, id).await.json();
    let figure = |label: &str| -> Value {
        report["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["label"] == label)
            .cloned()
            .unwrap_or_else(|| panic!("{label}: {report}"))
    };
    let bought_figure = figure("Bought in the window");
    assert_eq!(
        (
            &bought_figure["treated"],
            &bought_figure["held_out"],
            &bought_figure["difference"]
        ),
        (&json!("80.0%"), &json!("20.0%"), &json!("60.0 points"))
    );
    // Each group's variance p(1 − p)·n/(n − 1): √(0.16/49 + 0.16/49) = 0.0808; ±1.96 of it.
    assert_eq!(bought_figure["interval"], "from 44.2 to 75.8");
    assert_eq!(
        bought_figure["verdict"],
        "A real difference: the interval leaves zero out."
    );
    let spend = figure("Spend per member in the window");
    assert_eq!(
        (&spend["treated"], &spend["held_out"], &spend["difference"]),
        (&json!("$24.00"), &json!("$6.00"), &json!("$18.00"))
    );
    let redemptions = figure("Redemptions per member in the window");
    assert_eq!(
        redemptions["verdict"],
        "Not significant: the difference could be chance."
    );
    assert_eq!(report["running"], true);

    // Ten members are too few to tell.
    members(&pool, "few", 10, "silver").await;
    let silver = tier_audience(&app, &staff, "Silver members", "silver").await;
    let small = start(&app, &staff, "Small", &silver, "100", false, "50").await;
    let report = app.campaign(&staff, small).await.json();
    assert_eq!(
        report["figures"][0]["verdict"],
        "Too few members to tell: each group needs at least 30."
    );
}

#[sqlx::test]
async fn each_campaign_mistake_is_explained_and_nothing_is_written(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let (_, member) = support::member_with(&pool, 1, 0).await;
    members(&pool, "g", 3, "gold").await;
    let gold = tier_audience(&app, &staff, "Gold members", "gold").await;
    let nobody = tier_audience(&app, &staff, "Silver members", "silver").await;
    start(&app, &staff, "Taken", &gold, "100", false, "10").await;
    let form = |name: &'static str, audience: String, bonus: &'static str| {
        vec![
            ("name", name.to_owned()),
            ("audience", audience),
            ("action", "win_back".to_owned()),
            ("bonus_points", bonus.to_owned()),
            ("holdout", "10".to_owned()),
            ("days", "14".to_owned()),
        ]
    };
    let cases = [
        (
            form("taken", gold.clone(), "100"),
            (
                "name",
                "There is already a campaign named “taken”. Choose another name.",
            ),
        ),
        (
            form("Nobody", nobody.clone(), "100"),
            (
                "audience",
                "The audience “Silver members” has no members now: there is nobody to make an offer to.",
            ),
        ),
        (
            form("Gone", "999999".to_owned(), "100"),
            ("audience", "Choose the audience the campaign is for."),
        ),
        (
            form("Nothing", gold.clone(), ""),
            (
                "bonus_points",
                "Offer bonus points, early access, a reward, an email, or any of them together: a campaign that gives nothing has nothing to measure.",
            ),
        ),
    ];
    for (fields, (field, message)) in cases {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = app.create_campaign(Some(&staff), &pairs).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(support::count(&pool, "campaigns").await, 1);
    assert_eq!(support::count(&pool, "campaign_members").await, 3);
    let gone = app.campaign(&staff, 999_999).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.app_error().to_string(), "That campaign was not found.");

    // Only staff start campaigns, read them, or see next best actions.
    let sneaky = form("Sneaky", gold.clone(), "100");
    let pairs: Vec<(&str, &str)> = sneaky.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.create_campaign(Some(&member), &pairs).await.status, 403);
    assert_eq!(app.create_campaign(None, &pairs).await.status, 401);
    assert_eq!(app.campaigns(Some(&member)).await.status, 403);
    assert_eq!(app.next_actions(None, None).await.status, 401);
    assert_eq!(app.next_actions_csv(&member, "win_back").await.status, 403);
    assert_eq!(support::count(&pool, "campaigns").await, 1);
}
