//! A reward given outright as a campaign's offer (issue 25, part 3: "a reward"): each treated
//! member gets the catalogue's reward with a code of their own — on their account page, in the
//! offer's email in their language, in "Download my data" — with no points spent; held-out
//! members get nothing, and the database itself refuses them a gift.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::PgPool;

use crate::campaigns::{groups, tier_audience};
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp, field_error};

/// "Start the campaign" with a reward given to each treated member: its reply.
async fn give(app: &TestApp, staff: &str, audience: &str, gift: &str) -> support::Reply {
    app.create_campaign(
        Some(staff),
        &[
            ("name", "A mug for gold"),
            ("audience", audience),
            ("action", "win_back"),
            ("bonus_points", ""),
            ("with_email", "on"),
            ("holdout", "25"),
            ("days", "14"),
            ("gift_reward", gift),
        ],
    )
    .await
}

#[sqlx::test]
async fn a_reward_given_by_a_campaign_reaches_each_treated_member_with_a_code_of_their_own(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), support::patient_line());
    let mug = support::reward(&pool, "Enamel mug", "gift", 500).await;
    sqlx::query("UPDATE rewards SET title_es = 'Taza esmaltada' WHERE id = $1")
        .bind(mug)
        .execute(&pool)
        .await
        .unwrap();
    // Twenty gold members who want offers by mail; every other one reads Spanish.
    let emails: Vec<String> = (0..20).map(|n| address(&format!("gift{n}"))).collect();
    let mut ids = Vec::new();
    for email in &emails {
        ids.push(support::account(&pool, email, "Sam", "member").await);
    }
    sqlx::query(
        "UPDATE accounts SET tier = 'gold', mail_offers = true,
                language = CASE WHEN id % 2 = 0 THEN 'es' ELSE 'en' END
         WHERE id = ANY($1)",
    )
    .bind(&ids)
    .execute(&pool)
    .await
    .unwrap();
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;
    let started = give(&app, &staff, &audience, &mug.to_string()).await;
    assert!(started.status.is_success(), "{}", started.body);
    let id = started.json().as_i64().unwrap();
    let (treated, held_out) = groups(&pool, id).await;
    assert_eq!((treated.len(), held_out.len()), (15, 5));

    // One code each, for the treated members only, and no two alike.
    let codes: Vec<(i64, String)> = sqlx::query_as(
        "SELECT account_id, code FROM campaign_gifts WHERE campaign_id = $1 ORDER BY account_id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(codes.iter().map(|c| c.0).collect::<Vec<_>>(), treated);
    assert_eq!(codes.iter().map(|c| &c.1).collect::<HashSet<_>>().len(), 15);
    assert!(
        codes
            .iter()
            .all(|(_, c)| c.len() == 12 && c.starts_with("GF-")),
        "{codes:?}"
    );
    // Given, not redeemed: no points move, no redemption is made.
    assert_eq!(support::count(&pool, "ledger_entries").await, 0);
    assert_eq!(support::count(&pool, "redemptions").await, 0);

    // The member sees it on their account page, with their code.
    let code_of = |member: i64| codes.iter().find(|c| c.0 == member).unwrap().1.clone();
    let english = *treated.iter().find(|id| *id % 2 == 1).unwrap();
    let spanish = *treated.iter().find(|id| *id % 2 == 0).unwrap();
    let cookie = support::session_for(&pool, english).await;
    let account = app.account(Some(&cookie)).await.json();
    assert_eq!(account["gifts"][0]["title"], "Enamel mug");
    assert_eq!(
        account["gifts"][0]["code"],
        format!("Your code: {}", code_of(english))
    );
    assert!(
        account["gifts"][0]["until"]
            .as_str()
            .unwrap()
            .starts_with("Show the code in store by "),
        "{account}"
    );
    let page = app
        .send(
            axum::http::Request::get("/account")
                .header("cookie", &cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let text = support::visible_text(&page.body);
    assert!(
        text.contains("Gifts for you")
            && text.contains("Enamel mug")
            && text.contains(&format!("Your code: {}", code_of(english))),
        "{text}"
    );
    let held = support::session_for(&pool, held_out[0]).await;
    assert_eq!(
        app.account(Some(&held)).await.json()["gifts"],
        Value::Array(vec![])
    );

    // The offer's email names the reward and the code, in the member's language.
    deliver(&pool).await;
    let email_of = |member: i64| &emails[ids.iter().position(|i| *i == member).unwrap()];
    let mail = only_message(email_of(english));
    assert_eq!(mail.subject(), "A gift for you: Enamel mug");
    assert!(mail.text.contains(&code_of(english)), "{}", mail.text);
    let correo = only_message(email_of(spanish));
    assert_eq!(correo.subject(), "Un regalo para ti: Taza esmaltada");
    assert!(
        correo
            .text
            .contains(&format!("Muestra el código {}", code_of(spanish))),
        "{}",
        correo.text
    );
    for member in &held_out {
        assert!(inbox(email_of(*member)).is_empty());
    }

    // "Download my data" lists it with the campaign.
    let data: Value = serde_json::from_str(
        &app.get_as(app::account::data_rights::MY_DATA_PATH, &cookie)
            .await
            .body,
    )
    .unwrap();
    assert_eq!(data["campaigns"][0]["gift"], "Enamel mug");
    assert_eq!(data["campaigns"][0]["gift_code"], code_of(english));

    // Staff see what was given.
    let report = app.campaign(&staff, id).await.json();
    assert_eq!(
        report["given"],
        "bonuses paid: 0 · emails written: 15 · rewards given: 15"
    );
    assert_eq!(report["row"]["offer"], "Enamel mug given to each · email");

    // The database refuses a gift to a held-out member, whatever the code asks.
    let refused = sqlx::query(
        "INSERT INTO campaign_gifts (campaign_id, account_id, reward_id, code) VALUES ($1, $2, $3, 'GF-TEST-0000')",
    )
    .bind(id)
    .bind(held_out[0])
    .bind(mug)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        refused.as_database_error().and_then(|e| e.constraint()),
        Some("campaign_gifts_campaign_id_account_id_held_out_fkey")
    );
}

#[sqlx::test]
async fn a_reward_that_is_archived_or_unknown_cannot_be_given_and_nothing_is_written(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let mug = support::reward(&pool, "Enamel mug", "gift", 500).await;
    let old = support::reward(&pool, "Old tote", "gift", 500).await;
    sqlx::query("UPDATE rewards SET archived_at = now() WHERE id = $1")
        .bind(old)
        .execute(&pool)
        .await
        .unwrap();
    let ids = crate::campaigns::members(&pool, "gold", 3, "gold").await;
    assert_eq!(ids.len(), 3);
    let audience = tier_audience(&app, &staff, "Gold members", "gold").await;

    // The form offers the catalogue's rewards, the archived one left out.
    let form = app.campaigns(Some(&staff)).await.json();
    let offered: Vec<&str> = form["gift_rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["Enamel mug"]);
    assert_eq!(form["gift_rewards"][0]["value"], mug.to_string());

    for gift in [old.to_string(), "999999".to_owned(), "a mug".to_owned()] {
        let reply = give(&app, &staff, &audience, &gift).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(
            field_error(&reply),
            (
                "gift_reward".to_owned(),
                "Choose a reward of the catalogue that is not archived.".to_owned()
            ),
            "{gift}"
        );
    }
    assert_eq!(support::count(&pool, "campaigns").await, 0);
    assert_eq!(support::count(&pool, "campaign_members").await, 0);
    assert_eq!(support::count(&pool, "campaign_gifts").await, 0);
}
