//! Audiences (issue 25, part 1): staff build a named group of members from what the portal
//! knows, see its size, and aim a drop item or its early access at it; the redemption writer
//! judges membership at the press.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::endpoints::AppError;
use crate::support::{self, TestApp, assert_invariants, field_error, member_with};

/// A form as posted: (field, value) pairs.
type Form<'a> = &'a [(&'a str, &'a str)];

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Scores as the scores run writes them: `segment`, P(alive) and lifetime value.
async fn scores(pool: &PgPool, id: i64, segment: &str, p_alive: f64, clv_cents: i64) {
    sqlx::query(
        "INSERT INTO member_scores (account_id, as_of, frequency, recency_weeks, age_weeks, last_purchase,
                                    monetary_cents, r_score, f_score, m_score, segment, p_alive, clv_cents)
         VALUES ($1, current_date, 3, 10, 40, current_date - 30, 2500, 3, 3, 3, $2, $3, $4)",
    )
    .bind(id)
    .bind(segment)
    .bind(p_alive)
    .bind(clv_cents)
    .execute(pool)
    .await
    .unwrap();
}

/// A live drop holding one reward, in a store already set up; the item's id.
async fn live_item(pool: &PgPool, quantity: i32, cost: i64) -> i64 {
    let now = Utc::now();
    let drop = support::drop_window(
        pool,
        "Live",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(pool, "Candle duo", "gift", cost).await;
    support::drop_item(pool, drop, reward, quantity, quantity).await
}

async fn run(pool: &PgPool, sql: &str, id: i64) {
    sqlx::query(sql).bind(id).execute(pool).await.unwrap();
}

/// The hand-counted store:
///
/// | member | tier | segment, P(alive), CLV | loves | language | other |
/// |---|---|---|---|---|---|
/// | ana | gold | champions, 90%, $500 | experiences | es | |
/// | bo | gold | at risk, 30%, $400 | gifts | (store's: en) | |
/// | cy | silver | at risk, 20%, $50 | travel | en | birthday in December |
/// | di | bronze | (no scores) | experiences | (en) | |
///
/// and, in no audience ever: a member of staff, and a deleted gold member.
pub(crate) struct Store {
    pub(crate) ana: (i64, String),
    pub(crate) bo: (i64, String),
    pub(crate) cy: (i64, String),
    pub(crate) di: (i64, String),
    pub(crate) staff: String,
}

pub(crate) async fn hand_counted_store(pool: &PgPool) -> Store {
    support::store(pool).await;
    let ana = member_with(pool, 1, 1_000).await;
    let bo = member_with(pool, 2, 1_000).await;
    let cy = member_with(pool, 3, 1_000).await;
    let di = member_with(pool, 4, 1_000).await;
    let gone = member_with(pool, 5, 0).await;
    run(
        pool,
        "UPDATE accounts SET tier = 'gold', language = 'es' WHERE id = $1",
        ana.0,
    )
    .await;
    run(
        pool,
        "UPDATE accounts SET tier = 'gold' WHERE id = $1",
        bo.0,
    )
    .await;
    run(
        pool,
        "UPDATE accounts SET tier = 'silver', language = 'en' WHERE id = $1",
        cy.0,
    )
    .await;
    run(
        pool,
        "UPDATE accounts SET tier = 'gold', deleted_at = now() WHERE id = $1",
        gone.0,
    )
    .await;
    scores(pool, ana.0, "champions", 0.9, 50_000).await;
    scores(pool, bo.0, "at_risk", 0.3, 40_000).await;
    scores(pool, cy.0, "at_risk", 0.2, 5_000).await;
    scores(pool, gone.0, "champions", 0.9, 90_000).await;
    for (id, category) in [(ana.0, "experience"), (bo.0, "gift"), (di.0, "experience")] {
        sqlx::query("INSERT INTO member_likes (account_id, category, given_via) VALUES ($1, $2, 'preferences')")
            .bind(id)
            .bind(category)
            .execute(pool)
            .await
            .unwrap();
    }
    run(
        pool,
        "INSERT INTO member_likes (account_id, interest_id, given_via)
         SELECT $1, id, 'preferences' FROM interests WHERE tag = 'travel'",
        cy.0,
    )
    .await;
    run(
        pool,
        "INSERT INTO member_profiles (account_id, birthday_month, birthday_day, birthday_given_at, birthday_via)
         VALUES ($1, 12, 24, now(), 'preferences')",
        cy.0,
    )
    .await;
    let staff = support::staff(pool).await;
    Store {
        ana,
        bo,
        cy,
        di,
        staff,
    }
}

#[sqlx::test]
async fn an_audiences_size_is_the_members_its_rules_take_in_counted_by_hand(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let staff = Some(store.staff.as_str());
    let count = |rules: &'static [(&'static str, &'static str)]| {
        let app = app.clone();
        async move {
            let reply = app.count_audience(staff, rules).await;
            assert!(reply.status.is_success(), "{rules:?}: {}", reply.body);
            reply.json().as_str().unwrap().to_owned()
        }
    };
    // Valuable members slipping away: ana is staying, cy is worth too little.
    assert_eq!(
        count(&[("p_alive_max", "40"), ("clv_min", "100")]).await,
        "1 member"
    );
    // Within a list any value will do; the deleted gold member and staff are in nothing.
    assert_eq!(count(&[("tiers[]", "gold")]).await, "2 members");
    assert_eq!(
        count(&[("tiers[]", "gold"), ("tiers[]", "silver")]).await,
        "3 members"
    );
    assert_eq!(count(&[("types[]", "experience")]).await, "2 members");
    // Rules together must all hold: gold and loves experiences is ana alone.
    assert_eq!(
        count(&[("tiers[]", "gold"), ("types[]", "experience")]).await,
        "1 member"
    );
    assert_eq!(count(&[("segments[]", "at_risk")]).await, "2 members");
    assert_eq!(
        count(&[("interests[]", "travel"), ("birthday_month", "12")]).await,
        "1 member"
    );
    // A member who never chose a language reads the store's (English).
    assert_eq!(count(&[("languages[]", "es")]).await, "1 member");
    assert_eq!(count(&[("languages[]", "en")]).await, "3 members");

    // cy redeems today: "has redeemed in the last 30 days" is cy; "has not" the other three.
    let item = live_item(&pool, 5, 100).await;
    assert!(
        app.redeem(&store.cy.1, item, &key())
            .await
            .status
            .is_success()
    );
    assert_eq!(count(&[("redeemed_within", "30")]).await, "1 member");
    assert_eq!(count(&[("not_redeemed_within", "30")]).await, "3 members");

    // Saved, the list shows the same size and the rules in words.
    let saved = app
        .save_audience(
            staff,
            &[
                ("id", ""),
                ("name", "Slipping away"),
                ("p_alive_max", "40"),
                ("clv_min", "100"),
            ],
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let list = app.audiences(staff).await.json();
    let row = &list["audiences"][0];
    assert_eq!(row["name"], "Slipping away");
    assert_eq!(row["members"], "1 member");
    assert_eq!(
        row["described"],
        serde_json::json!([
            "Chance of staying at most 40%",
            "Lifetime value at least $100.00"
        ])
    );
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'audience.create'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

/// A live drop with one reward for the audience "Slipping away" (bo only).
async fn item_for_slipping_away(pool: &PgPool, app: &TestApp, staff: &str, shown: &str) -> i64 {
    let saved = app
        .save_audience(
            Some(staff),
            &[
                ("id", ""),
                ("name", "Slipping away"),
                ("p_alive_max", "40"),
                ("clv_min", "100"),
            ],
        )
        .await;
    let audience = saved.json().as_i64().unwrap();
    let item = live_item(pool, 10, 100).await;
    sqlx::query("UPDATE drop_items SET audience_id = $2, audience_shown = $3 WHERE id = $1")
        .bind(item)
        .bind(audience)
        .bind(shown == "shown")
        .execute(pool)
        .await
        .unwrap();
    item
}

#[sqlx::test]
async fn a_member_outside_an_items_audience_is_refused_with_why_and_spends_nothing(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = item_for_slipping_away(&pool, &app, &store.staff, "shown").await;

    let refused = app.redeem(&store.ana.1, item, &key()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.app_error(), AppError::AudienceOnly);
    assert_eq!(
        refused.app_error().to_string(),
        "This reward is set aside for a group of members this time, and your account is not in it. The other rewards in the drop are open to you."
    );
    let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(store.ana.0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(balance, 1_000, "nothing spent");
    assert!(
        app.redeem(&store.bo.1, item, &key())
            .await
            .status
            .is_success(),
        "bo is in it"
    );

    // The bazaar greys it for ana, with the kind reason; bo sees what he holds.
    let for_ana = app.bazaar(Some(&store.ana.1)).await.json();
    assert_eq!(for_ana["rewards"][0]["action"], "AudienceOnly");
    let for_bo = app.bazaar(Some(&store.bo.1)).await.json();
    assert_eq!(for_bo["rewards"][0]["action"], "LimitReached");

    // The post-drop report counts ana's press by its reason.
    let refusals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM redemption_attempts WHERE outcome = 'audience_only'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refusals, 1);
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn an_item_kept_out_of_sight_is_not_there_for_members_outside_its_audience(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = item_for_slipping_away(&pool, &app, &store.staff, "hidden").await;
    let for_ana = app.bazaar(Some(&store.ana.1)).await.json();
    assert_eq!(for_ana["rewards"], serde_json::json!([]));
    let for_visitors = app.bazaar(None).await.json();
    assert_eq!(for_visitors["rewards"], serde_json::json!([]));
    assert_eq!(app.redeem_preview(&store.ana.1, item).await.status, 404);
    let for_bo = app.bazaar(Some(&store.bo.1)).await.json();
    assert_eq!(for_bo["rewards"][0]["action"], "Redeem");
}

#[sqlx::test]
async fn early_access_by_audience_opens_the_drop_for_its_members_first(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let saved = app
        .save_audience(
            Some(&store.staff),
            &[
                ("id", ""),
                ("name", "Experience lovers"),
                ("types[]", "experience"),
            ],
        )
        .await;
    let audience = saved.json().as_i64().unwrap();
    let now = Utc::now();
    // Opening in an hour and a half: staff may give an hour's early access (more would have
    // begun already).
    let drop = support::drop_window(
        &pool,
        "Soon",
        now + Duration::minutes(90),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Chef's table", "experience", 100).await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    // As staff set it on the drop's page.
    let drop_id = drop.to_string();
    let reward_id = reward.to_string();
    let early = format!("audience-{audience}");
    let set = app
        .save_drop_item(
            &store.staff,
            &[
                ("drop_id", &drop_id),
                ("reward_id", &reward_id),
                ("quantity", "5"),
                ("per_member_limit", "1"),
                ("early_access_tier", &early),
                ("early_access_minutes", "60"),
            ],
        )
        .await;
    assert!(set.status.is_success(), "{}", set.body);
    let page = app.staff_drop(&store.staff, &drop_id).await.json();
    assert_eq!(
        page["items"][0]["early_access"],
        "Audience “Experience lovers” 60 minutes early"
    );

    // An hour later the drop opens in thirty minutes: the audience's early access has begun.
    sqlx::query("UPDATE drops SET starts_at = now() + interval '30 minutes' WHERE id = $1")
        .bind(drop)
        .execute(&pool)
        .await
        .unwrap();
    // Ana's bazaar offers it to her now; bo's (below) says when it opens.
    let for_ana = app.bazaar(Some(&store.ana.1)).await.json();
    assert_eq!(for_ana["rewards"][0]["action"], "Redeem");
    assert!(
        app.redeem(&store.ana.1, item, &key())
            .await
            .status
            .is_success(),
        "ana loves experiences"
    );
    assert!(
        app.redeem(&store.di.1, item, &key())
            .await
            .status
            .is_success(),
        "so does di"
    );
    let bo = app.redeem(&store.bo.1, item, &key()).await;
    assert_eq!(bo.status, 409);
    assert!(
        bo.app_error()
            .to_string()
            .starts_with("This drop opens at ")
    );
    let for_bo = app.bazaar(Some(&store.bo.1)).await.json();
    assert_eq!(for_bo["rewards"][0]["action"], "Opens");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn each_audience_mistake_is_explained_and_nothing_is_saved(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let staff = Some(store.staff.as_str());
    let cases: [(Form, (&str, &str)); 7] = [
        (
            &[("name", " ")],
            ("name", "Give the audience a name of 1 to 60 characters."),
        ),
        (
            &[("name", "All")],
            (
                "rules",
                "Set at least one rule: an audience without rules would be every member.",
            ),
        ),
        (
            &[("name", "A"), ("p_alive_min", "120")],
            ("p_alive_min", "“120” is not a whole number from 0 to 100."),
        ),
        (
            &[("name", "A"), ("clv_min", "500"), ("clv_max", "100")],
            (
                "clv_max",
                "The “at most” figure is below the “at least” one: no member could be in both.",
            ),
        ),
        (
            &[("name", "A"), ("segments[]", "vip")],
            (
                "segments",
                "“vip” is not one of the choices. Reload the page to see the current ones.",
            ),
        ),
        (
            &[
                ("name", "A"),
                ("redeemed_within", "30"),
                ("not_redeemed_within", "30"),
            ],
            (
                "not_redeemed_within",
                "Choose “has redeemed” or “has not redeemed” in the last days, not both.",
            ),
        ),
        (
            &[("name", "A"), ("birthday_month", "13")],
            ("birthday_month", "“13” is not a whole number from 0 to 12."),
        ),
    ];
    for (form, (field, message)) in cases {
        let reply = app.save_audience(staff, form).await;
        assert_eq!(reply.status, 422, "{form:?}");
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), message.to_owned()),
            "{form:?}"
        );
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM audiences")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, 0, "nothing saved");

    // A second audience by the same name, whatever its case, is refused.
    let first = app
        .save_audience(staff, &[("name", "Gold"), ("tiers[]", "gold")])
        .await;
    let id = first.json().as_i64().unwrap();
    let again = app
        .save_audience(staff, &[("name", " gold "), ("tiers[]", "silver")])
        .await;
    assert_eq!(
        field_error(&again),
        (
            "name".to_owned(),
            "There is already an audience named “gold”. Choose another name, or change that one."
                .to_owned()
        )
    );
    // One in use by a drop item is not deleted from under it.
    let item = live_item(&pool, 5, 100).await;
    sqlx::query("UPDATE drop_items SET audience_id = $2 WHERE id = $1")
        .bind(item)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let in_use = app.delete_audience(&store.staff, id).await;
    assert_eq!(in_use.status, 400);
    assert_eq!(
        in_use.app_error().to_string(),
        "“Gold” is aimed at by 1 drop item. Take it off that item first."
    );
}

#[sqlx::test]
async fn only_staff_build_or_count_audiences(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    for cookie in [None, Some(store.ana.1.as_str())] {
        let expected = if cookie.is_some() { 403 } else { 401 };
        assert_eq!(app.audiences(cookie).await.status, expected);
        assert_eq!(
            app.count_audience(cookie, &[("tiers[]", "gold")])
                .await
                .status,
            expected
        );
        let saved = app
            .save_audience(cookie, &[("name", "Mine"), ("tiers[]", "gold")])
            .await;
        assert_eq!(saved.status, expected);
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM audiences")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, 0);
}

#[sqlx::test]
async fn a_storm_on_an_audience_item_sells_its_stock_to_its_members_only(pool: PgPool) {
    support::store(&pool).await;
    let mut members = Vec::new();
    for n in 0..120 {
        let member = member_with(&pool, n, 1_000).await;
        // Every other member is gold: the audience.
        if n % 2 == 0 {
            run(
                &pool,
                "UPDATE accounts SET tier = 'gold' WHERE id = $1",
                member.0,
            )
            .await;
        }
        members.push(member);
    }
    let staff = support::staff(&pool).await;
    let app = TestApp::with_line(pool.clone(), support::patient_line());
    let audience = app
        .save_audience(Some(&staff), &[("name", "Gold"), ("tiers[]", "gold")])
        .await
        .json()
        .as_i64()
        .unwrap();
    let item = live_item(&pool, 20, 100).await;
    sqlx::query("UPDATE drop_items SET audience_id = $2, per_member_limit = 2 WHERE id = $1")
        .bind(item)
        .bind(audience)
        .execute(&pool)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for press in 0..400 {
        let (app, member) = (app.clone(), members[press % 120].clone());
        tasks.push(tokio::spawn(async move {
            (member.0, app.redeem(&member.1, item, &key()).await)
        }));
    }
    let golds: std::collections::HashSet<i64> =
        members.iter().step_by(2).map(|(id, _)| *id).collect();
    let (mut redeemed, mut outside) = (0, 0);
    for task in tasks {
        let (member, reply) = task.await.unwrap();
        if reply.status.is_success() {
            assert!(golds.contains(&member), "only the audience redeems");
            redeemed += 1;
        } else {
            match reply.app_error() {
                AppError::AudienceOnly => {
                    assert!(
                        !golds.contains(&member),
                        "a gold member was told they are outside"
                    );
                    outside += 1;
                }
                // A member's second press while their first is in the line is turned away
                // before the writer, inside the audience or out.
                AppError::SoldOut
                | AppError::LimitReached { .. }
                | AppError::Busy
                | AppError::AlreadyPressing => {}
                other => panic!("unexpected refusal: {other:?}"),
            }
        }
    }
    assert_eq!(redeemed, 20, "exactly the stock");
    assert!(
        outside >= 60,
        "the writer refused the members outside: {outside}"
    );
    let spent_outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM redemptions r JOIN accounts a ON a.id = r.account_id WHERE a.tier <> 'gold'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(spent_outside, 0);
    assert_invariants(&pool).await;
}
