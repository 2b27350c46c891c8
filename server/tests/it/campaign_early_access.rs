//! A campaign's early access (issue 25, part 3): the treated members may redeem a reward of a
//! coming drop some hours before it opens — the writer checks their group in the press's own
//! transaction — while held-out members wait for the opening like everyone else.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::campaigns::{groups, tier_audience};
use crate::draws::key;
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp, assert_invariants, field_error, patient_line};

#[sqlx::test]
async fn a_campaigns_early_access_opens_a_reward_for_treated_members_while_held_out_ones_wait(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), patient_line());
    // Two Gold members who want offers; a 50% holdout of two keeps one out.
    let mut people = Vec::new();
    for n in 1..=2 {
        let (id, cookie) = support::member_with(&pool, n, 500).await;
        let email = address("gold");
        sqlx::query(
            "UPDATE accounts SET tier = 'gold', mail_offers = true, email = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(&email)
        .execute(&pool)
        .await
        .unwrap();
        people.push((id, cookie, email));
    }
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Friday drop",
        now + Duration::hours(3),
        now + Duration::hours(8),
    )
    .await;
    let reward = support::reward(&pool, "Chef's table", "experience", 100).await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    let item_field = item.to_string();
    let choices = app.campaigns(Some(&staff)).await.json();
    assert!(
        choices["early_items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"].as_str() == Some(item_field.as_str())),
        "{choices}"
    );

    let form = |hours: &'static str| {
        vec![
            ("name", "First pick"),
            ("audience", audience.as_str()),
            ("action", "early_access"),
            ("bonus_points", ""),
            ("holdout", "50"),
            ("days", "7"),
            ("with_email", "on"),
            ("early_item", item_field.as_str()),
            ("early_hours", hours),
        ]
    };
    // Five hours before a drop opening in three would have begun already.
    let too_early = app.create_campaign(Some(&staff), &form("5")).await;
    assert_eq!(
        field_error(&too_early),
        (
            "early_item".to_owned(),
            "Choose a reward of a drop that opens later than the early access would start, and has no early access yet."
                .to_owned()
        )
    );
    let too_long = app.create_campaign(Some(&staff), &form("25")).await;
    assert_eq!(
        field_error(&too_long),
        (
            "early_hours".to_owned(),
            "Give early access 1 to 24 hours before the drop opens.".to_owned()
        )
    );
    assert_eq!(support::count(&pool, "campaigns").await, 0);

    let started = app.create_campaign(Some(&staff), &form("2")).await;
    assert!(started.status.is_success(), "{}", started.body);
    let id = started.json().as_i64().unwrap();
    let (treated, held_out) = groups(&pool, id).await;
    assert_eq!((treated.len(), held_out.len()), (1, 1));
    let person = |id: i64| people.iter().find(|p| p.0 == id).unwrap();
    let (_, treated_cookie, treated_email) = person(treated[0]);
    let (_, held_cookie, held_email) = person(held_out[0]);
    let page = app.staff_drop(&staff, &drop.to_string()).await.json();
    assert_eq!(
        page["items"][0]["early_access"],
        "Campaign “First pick” (its offered members) 120 minutes early"
    );
    let list = app.campaigns(Some(&staff)).await.json();
    assert_eq!(
        list["campaigns"][0]["offer"],
        "early access to Chef's table, 2 hours before its drop · email"
    );
    deliver(&pool).await;
    let offer = only_message(treated_email);
    assert_eq!(offer.subject(), "Early access for you: Chef's table");
    assert!(
        offer.text.contains("You can redeem Chef's table from "),
        "{}",
        offer.text
    );
    assert!(inbox(held_email).is_empty(), "held out");

    // Staff editing the item on the drop's page keeps the campaign's early access.
    let kept = app
        .save_drop_item(
            &staff,
            &[
                ("drop_id", &drop.to_string()),
                ("reward_id", &reward.to_string()),
                ("quantity", "6"),
                ("per_member_limit", "1"),
            ],
        )
        .await;
    assert!(kept.status.is_success(), "{}", kept.body);
    let page = app.staff_drop(&staff, &drop.to_string()).await.json();
    assert_eq!(
        page["items"][0]["early_access"],
        "Campaign “First pick” (its offered members) 120 minutes early"
    );

    // An hour and a half later the drop opens in thirty minutes: the early access has begun.
    sqlx::query("UPDATE drops SET starts_at = now() + interval '30 minutes' WHERE id = $1")
        .bind(drop)
        .execute(&pool)
        .await
        .unwrap();
    let early = app.redeem(treated_cookie, item, &key()).await;
    assert!(early.status.is_success(), "{}", early.body);
    let waits = app.redeem(held_cookie, item, &key()).await;
    assert_eq!(waits.status, 409);
    assert!(
        waits
            .app_error()
            .to_string()
            .starts_with("This drop opens at "),
        "{}",
        waits.body
    );
    assert_eq!(
        app.bazaar(Some(held_cookie)).await.json()["rewards"][0]["action"],
        "Opens"
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_reward_set_aside_for_a_campaign_is_seen_and_redeemed_only_by_its_treated_members(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), patient_line());
    let mut people = Vec::new();
    for n in 1..=2 {
        let (id, cookie) = support::member_with(&pool, n, 500).await;
        let email = address("gold");
        sqlx::query(
            "UPDATE accounts SET tier = 'gold', mail_offers = true, email = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(&email)
        .execute(&pool)
        .await
        .unwrap();
        people.push((id, cookie, email));
    }
    let (_, outsider) = support::member_with(&pool, 3, 500).await;
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Friday drop",
        now + Duration::hours(1),
        now + Duration::hours(8),
    )
    .await;
    let reward = support::reward(&pool, "Chef's table", "experience", 100).await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    let item_field = item.to_string();
    let started = app
        .create_campaign(
            Some(&staff),
            &[
                ("name", "Just for you"),
                ("audience", &audience),
                ("action", "win_back"),
                ("bonus_points", ""),
                ("holdout", "50"),
                ("days", "7"),
                ("with_email", "on"),
                ("early_item", &item_field),
                ("early_hours", ""),
                ("exclusive", "on"),
            ],
        )
        .await;
    assert!(started.status.is_success(), "{}", started.body);
    let id = started.json().as_i64().unwrap();
    let (treated, held_out) = groups(&pool, id).await;
    let person = |id: i64| people.iter().find(|p| p.0 == id).unwrap();
    let (_, treated_cookie, treated_email) = person(treated[0]);
    let (_, held_cookie, held_email) = person(held_out[0]);
    assert_eq!(
        app.campaigns(Some(&staff)).await.json()["campaigns"][0]["offer"],
        "Chef's table set aside for them · email"
    );
    let page = app.staff_drop(&staff, &drop.to_string()).await.json();
    assert_eq!(
        page["items"][0]["audience"],
        "Set aside for campaign “Just for you”'s offered members (others do not see it)"
    );
    // It cannot also be for an audience.
    let both = app
        .save_drop_item(
            &staff,
            &[
                ("drop_id", &drop.to_string()),
                ("reward_id", &reward.to_string()),
                ("quantity", "5"),
                ("per_member_limit", "1"),
                ("audience", &audience),
                ("audience_shown", "shown"),
            ],
        )
        .await;
    assert_eq!(
        field_error(&both),
        (
            "audience".to_owned(),
            "This reward is set aside for a campaign's offered members, so it cannot also be for an audience."
                .to_owned()
        )
    );
    deliver(&pool).await;
    assert_eq!(
        only_message(treated_email).subject(),
        "Set aside for you: Chef's table"
    );
    assert!(inbox(held_email).is_empty(), "held out");

    // The drop opens: only the treated member sees the reward and may redeem it.
    sqlx::query("UPDATE drops SET starts_at = now() - interval '1 minute' WHERE id = $1")
        .bind(drop)
        .execute(&pool)
        .await
        .unwrap();
    let titles = |bazaar: serde_json::Value| -> Vec<String> {
        bazaar["rewards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(app.bazaar(Some(treated_cookie)).await.json()),
        ["Chef's table"]
    );
    for cookie in [held_cookie, &outsider] {
        assert!(titles(app.bazaar(Some(cookie)).await.json()).is_empty());
        let refused = app.redeem(cookie, item, &key()).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            refused.app_error().to_string(),
            "This reward is set aside for a group of members this time, and your account is not in it. The other rewards in the drop are open to you."
        );
    }
    assert!(titles(app.bazaar(None).await.json()).is_empty(), "visitors");
    let bought = app.redeem(treated_cookie, item, &key()).await;
    assert!(bought.status.is_success(), "{}", bought.body);
    assert_invariants(&pool).await;
}
