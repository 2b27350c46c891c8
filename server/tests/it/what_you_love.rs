//! "What you love": members say what they like on their account page, and the bazaar's "For
//! you" row answers with it the next time they open it, saying why.

use serde_json::json;
use sqlx::PgPool;

use crate::support::{self, TestApp, field_error};

/// The live store with an experience in stock (the seeded one is sold out), so a member who
/// loves experiences has one to be shown. Returns the app and the experience's drop item.
async fn store_with_an_experience(pool: &PgPool) -> (TestApp, i64) {
    let (live, _) = support::live_store(pool).await;
    let trip = support::reward(pool, "Wine tasting", "experience", 900).await;
    let item = support::drop_item(pool, live, trip, 20, 20).await;
    (TestApp::new(pool.clone()), item)
}

/// The "For you" row as the member sees it: (title, why) in order.
async fn for_you(app: &TestApp, cookie: Option<&str>) -> Vec<(String, Option<String>)> {
    let view = app.bazaar(cookie).await.json();
    view["for_you"]
        .as_array()
        .expect("a For you row")
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap().to_owned(),
                c["why"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn interest_id(pool: &PgPool, tag: &str) -> String {
    sqlx::query_scalar::<_, i64>("SELECT id FROM interests WHERE tag = $1")
        .bind(tag)
        .fetch_one(pool)
        .await
        .unwrap()
        .to_string()
}

#[sqlx::test]
async fn a_member_who_loves_experiences_sees_one_first_in_for_you_and_why(pool: PgPool) {
    let (app, _) = store_with_an_experience(&pool).await;
    let (member, cookie) = support::member_with(&pool, 1, 1000).await;
    let before = for_you(&app, Some(&cookie)).await;
    assert_ne!(
        before[0].0, "Wine tasting",
        "not first before they said so: {before:?}"
    );

    let saved = app
        .save_likes(
            Some(&cookie),
            &[("types[]", "experience"), ("types[]", "free_shipping")],
        )
        .await;
    assert!(
        saved.status.is_redirection() || saved.status.is_success(),
        "{}",
        saved.body
    );
    let after = for_you(&app, Some(&cookie)).await;
    assert_eq!(
        after[0],
        (
            "Wine tasting".to_owned(),
            Some("Because you love experiences".to_owned())
        )
    );

    // Stored with when and how it was given; saving the same again keeps that.
    let given = || async {
        sqlx::query_as::<_, (String, chrono::DateTime<chrono::Utc>, String)>(
            "SELECT category, given_at, given_via FROM member_likes WHERE account_id = $1 ORDER BY category",
        )
        .bind(member)
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let first = given().await;
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(_, _, via)| via == "preferences"));
    app.save_likes(
        Some(&cookie),
        &[("types[]", "free_shipping"), ("types[]", "experience")],
    )
    .await;
    assert_eq!(given().await, first);

    // In Spanish, the reason too.
    let spanish = app
        .send(
            axum::http::Request::get(
                <support::endpoints::GetBazaar as support::endpoints::ServerFn>::PATH,
            )
            .header("accept-language", "es-MX")
            .header("cookie", &cookie)
            .body(axum::body::Body::empty())
            .unwrap(),
        )
        .await
        .json();
    assert_eq!(
        spanish["for_you"][0]["why"],
        "Porque te encantan las experiencias"
    );
}

#[sqlx::test]
async fn a_member_who_loves_travel_sees_a_reward_tagged_travel_first_and_why(pool: PgPool) {
    let (app, _) = store_with_an_experience(&pool).await;
    sqlx::query("UPDATE rewards SET tags = '{travel}' WHERE title = 'Wine tasting'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, cookie) = support::member_with(&pool, 1, 1000).await;
    let travel = interest_id(&pool, "travel").await;
    let saved = app
        .save_likes(Some(&cookie), &[("interests[]", &travel)])
        .await;
    assert!(
        saved.status.is_redirection() || saved.status.is_success(),
        "{}",
        saved.body
    );
    assert_eq!(
        for_you(&app, Some(&cookie)).await[0],
        (
            "Wine tasting".to_owned(),
            Some("Because you love Travel".to_owned())
        )
    );
}

#[sqlx::test]
async fn visitors_and_members_who_shared_nothing_get_the_popular_affordable_new_default(
    pool: PgPool,
) {
    let (app, _) = store_with_an_experience(&pool).await;
    let visitor = for_you(&app, None).await;
    assert!(!visitor.is_empty());
    // Everything in the store is new; the gift with most of its stock taken is first, and a
    // visitor is never told they "have the points".
    assert_eq!(visitor[0].0, "Candle duo");
    assert!(
        visitor
            .iter()
            .all(|(_, why)| why.as_deref() != Some("You have the points"))
    );
    // The sold-out experience is never "for you".
    assert!(visitor.iter().all(|(title, _)| title != "Masterclass"));

    let (_, cookie) = support::member_with(&pool, 1, 1000).await;
    let member: Vec<String> = for_you(&app, Some(&cookie))
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    let visitor: Vec<String> = visitor.into_iter().map(|c| c.0).collect();
    assert_eq!(
        member, visitor,
        "sharing nothing, a member sees the default order"
    );

    // A member who filtered has said what they want: no row.
    let filtered = app.bazaar_in("gift").await.json();
    assert_eq!(filtered["for_you"], serde_json::json!([]));
}

#[sqlx::test]
async fn what_a_member_said_is_shown_back_changed_and_cleared(pool: PgPool) {
    let (app, _) = store_with_an_experience(&pool).await;
    let (member, cookie) = support::member_with(&pool, 1, 0).await;
    let travel = interest_id(&pool, "travel").await;
    app.save_likes(
        Some(&cookie),
        &[
            ("types[]", "free_shipping"),
            ("interests[]", &travel),
            ("birthday_day", "29"),
            ("birthday_month", "2"),
        ],
    )
    .await;
    let likes = app.account(Some(&cookie)).await.json()["likes"].clone();
    assert_eq!(likes["types"], serde_json::json!(["free_shipping"]));
    assert_eq!(
        (
            likes["birthday_day"].as_i64(),
            likes["birthday_month"].as_i64()
        ),
        (Some(29), Some(2))
    );
    let chosen: Vec<&str> = likes["interests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["chosen"] == true)
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(chosen, ["Travel"]);
    assert_eq!(likes["month_names"][1], "February");
    let page = app.get_as("/account", &cookie).await;
    let page = page.text();
    assert!(
        page.contains("What you love") && page.contains("We use this to pick rewards for you.")
    );

    // "None of these" instead of interests; the birthday taken away.
    app.save_likes(Some(&cookie), &[("no_interests", "on")])
        .await;
    let likes = app.account(Some(&cookie)).await.json()["likes"].clone();
    assert_eq!(likes["no_interests"], true);
    assert_eq!(likes["types"], serde_json::json!([]));
    assert!(likes["birthday_month"].is_null());

    let cleared = app.clear_likes(Some(&cookie)).await;
    assert!(
        cleared.status.is_redirection() || cleared.status.is_success(),
        "{}",
        cleared.body
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM member_likes WHERE account_id = $1)
              + (SELECT count(*) FROM member_profiles WHERE account_id = $1)",
    )
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "cleared means deleted");
}

/// A form, the field refused and the message its sender reads.
type Refused<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[sqlx::test]
async fn answers_that_cannot_be_right_are_refused_with_why_and_nothing_is_saved(pool: PgPool) {
    let (app, _) = store_with_an_experience(&pool).await;
    let (member, cookie) = support::member_with(&pool, 1, 0).await;
    let travel = interest_id(&pool, "travel").await;
    sqlx::query("UPDATE interests SET retired_at = now() WHERE tag = 'cooking'")
        .execute(&pool)
        .await
        .unwrap();
    let cooking = interest_id(&pool, "cooking").await;
    let cases: [Refused; 6] = [
        (
            &[
                ("types[]", "gift"),
                ("birthday_day", "30"),
                ("birthday_month", "2"),
            ],
            "birthday_day",
            "That month has only 29 days.",
        ),
        (
            &[("birthday_day", "4")],
            "birthday_month",
            "Choose the month of your birthday too.",
        ),
        (
            &[("birthday_month", "4")],
            "birthday_day",
            "Choose the day of your birthday too.",
        ),
        (
            &[("interests[]", &travel), ("no_interests", "on")],
            "interests",
            "Choose some interests or \"None of these\", not both.",
        ),
        (
            &[("interests[]", &cooking)],
            "interests",
            "One of those interests is no longer offered. Reload the page and choose again.",
        ),
        (
            &[("types[]", "yachts")],
            "types",
            "Unknown category \u{201c}yachts\u{201d}. Choose one of: samples, experiences, services, discounts, free shipping, gifts.",
        ),
    ];
    for (form, field, message) in cases {
        let reply = app.save_likes(Some(&cookie), form).await;
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), message.to_owned()),
            "{form:?}"
        );
    }
    let written: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM member_likes WHERE account_id = $1)
              + (SELECT count(*) FROM member_profiles WHERE account_id = $1)",
    )
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(written, 0);
}

#[sqlx::test]
async fn what_you_love_is_only_ever_the_signed_in_members_own(pool: PgPool) {
    let (app, _) = store_with_an_experience(&pool).await;
    let (alice, alice_cookie) = support::member_with(&pool, 1, 0).await;
    let (_, bob_cookie) = support::member_with(&pool, 2, 0).await;
    app.save_likes(Some(&bob_cookie), &[("types[]", "sample")])
        .await;

    // Anonymous callers are refused and nothing is written.
    for reply in [
        app.save_likes(None, &[("types[]", "gift")]).await,
        app.clear_likes(None).await,
    ] {
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    // Alice's save and clear touch Alice's answers only: there is no account to name.
    app.save_likes(Some(&alice_cookie), &[("types[]", "gift")])
        .await;
    app.clear_likes(Some(&alice_cookie)).await;
    let bob = app.account(Some(&bob_cookie)).await.json();
    assert_eq!(bob["likes"]["types"], serde_json::json!(["sample"]));
    let alice_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM member_likes WHERE account_id = $1")
            .bind(alice)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(alice_rows, 0);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM member_likes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, 1, "only Bob's answer, and no anonymous one");
}

#[sqlx::test]
async fn staff_keep_the_interest_list_and_see_what_members_want_beside_what_is_on_offer(
    pool: PgPool,
) {
    let (app, _) = store_with_an_experience(&pool).await;
    let staff = support::staff(&pool).await;
    let refused: [Refused; 3] = [
        (
            &[("tag", "spa & wellness"), ("name", "Spa"), ("name_es", "")],
            "tag",
            "A tag is lower-case letters, digits and hyphens (up to 30), as on rewards: skincare, home-spa.",
        ),
        (
            &[("tag", "skincare"), ("name", "Skin"), ("name_es", "")],
            "tag",
            "There is already an interest with the tag \u{201c}skincare\u{201d}.",
        ),
        (
            &[("tag", "wine"), ("name", " "), ("name_es", "")],
            "name",
            "Give a name of 1 to 40 characters.",
        ),
    ];
    for (form, field, message) in refused {
        let reply = app.add_interest(Some(&staff), form).await;
        assert_eq!(
            field_error(&reply),
            (field.to_owned(), message.to_owned()),
            "{form:?}"
        );
    }
    let added = app
        .add_interest(
            Some(&staff),
            &[("tag", "Wine"), ("name", "Wine"), ("name_es", "Vino")],
        )
        .await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}",
        added.body
    );
    sqlx::query("UPDATE rewards SET tags = '{wine}' WHERE title = 'Wine tasting'")
        .execute(&pool)
        .await
        .unwrap();
    let wine = interest_id(&pool, "wine").await;

    // A member who loves wine is offered the tasting first, and told why.
    let (_, cookie) = support::member_with(&pool, 1, 1000).await;
    app.save_likes(Some(&cookie), &[("interests[]", &wine)])
        .await;
    assert_eq!(
        for_you(&app, Some(&cookie)).await[0],
        (
            "Wine tasting".to_owned(),
            Some("Because you love Wine".to_owned())
        )
    );

    let wants = app.wants(Some(&staff)).await.json();
    assert_eq!(wants["answered"], 1);
    let experience = &wants["types"][1];
    assert_eq!(
        (
            &experience["tag"],
            &experience["members"],
            &experience["catalogue"],
            &experience["in_drops"]
        ),
        (&json!("experience"), &json!(0), &json!(2), &json!(2))
    );
    let row = wants["interests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tag"] == "wine")
        .unwrap();
    assert_eq!(
        (&row["members"], &row["catalogue"], &row["in_drops"]),
        (&json!(1), &json!(1), &json!(1))
    );

    // No longer offered: new answers cannot pick it; the member who picked it keeps it.
    let id: i64 = wine.parse().unwrap();
    app.offer_interest(&staff, id, false).await;
    let (_, other) = support::member_with(&pool, 2, 0).await;
    let offered: Vec<String> = app.account(Some(&other)).await.json()["likes"]["interests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!offered.contains(&"Wine".to_owned()), "{offered:?}");
    let kept = app.account(Some(&cookie)).await.json()["likes"]["interests"].clone();
    assert!(
        kept.as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "Wine" && i["chosen"] == true)
    );

    // Members and visitors are refused.
    assert_eq!(app.wants(Some(&other)).await.status, 403);
    assert_eq!(app.wants(None).await.status, 401);
    assert_eq!(
        app.add_interest(
            Some(&other),
            &[("tag", "x"), ("name", "X"), ("name_es", "")]
        )
        .await
        .status,
        403
    );
}
