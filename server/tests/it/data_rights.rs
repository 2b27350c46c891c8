//! Data rights: "Download my data" gives a member everything held about them; "Delete my
//! account" erases who they were and keeps the store's accounting.

use sqlx::PgPool;

use crate::outbox::PW;
use crate::support::{self, TestApp, field_error};

const EMAIL: &str = "marta@example.com";

/// A member who told us things, redeemed from a live drop and was adjusted by staff (an audit
/// entry naming them). Returns the app, the member's id, session and redemption code.
async fn busy_member(pool: &PgPool) -> (TestApp, i64, String, String) {
    let item = support::live_item(pool, 10, 100).await;
    let app = TestApp::new(pool.clone());
    let member = support::member(pool, EMAIL, PW).await;
    let cookie = app.signed_in(EMAIL, PW).await;
    let staff = support::staff(pool).await;
    let adjusted = app
        .adjust_points(&staff, &member.to_string(), "500", "Welcome gift")
        .await;
    assert!(
        adjusted.status.is_success() || adjusted.status.is_redirection(),
        "{}",
        adjusted.body
    );
    app.save_likes(
        Some(&cookie),
        &[
            ("types[]", "gift"),
            ("birthday_day", "3"),
            ("birthday_month", "12"),
        ],
    )
    .await;
    let redeemed = app
        .redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
        .await
        .json();
    let code = redeemed["code"].as_str().expect("a code").to_owned();
    (app, member, cookie, code)
}

#[sqlx::test]
async fn a_member_downloads_everything_the_portal_holds_about_them(pool: PgPool) {
    let (app, _, cookie, code) = busy_member(&pool).await;
    let reply = app
        .get_as(app::account::data_rights::MY_DATA_PATH, &cookie)
        .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"),
        "a file to keep"
    );
    let data: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(data["account"]["email"], EMAIL);
    assert_eq!(data["account"]["balance"], 400);
    let like = &data["what_you_love"]["likes"][0];
    assert_eq!(
        (&like["reward_type"], &like["given_via"]),
        (
            &serde_json::json!("gift"),
            &serde_json::json!("preferences")
        )
    );
    assert!(like["given_at"].is_string(), "with when it was given");
    assert_eq!(data["what_you_love"]["profile"]["birthday_month"], 12);
    assert_eq!(data["redemptions"][0]["code"], code);
    let reasons: Vec<&str> = data["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"Welcome gift"), "{reasons:?}");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);

    let anonymous = app.get(app::account::data_rights::MY_DATA_PATH).await;
    assert_eq!(anonymous.status, 401);
}

#[sqlx::test]
async fn deleting_an_account_erases_who_the_member_was_and_keeps_the_ledger(pool: PgPool) {
    let (app, member, cookie, code) = busy_member(&pool).await;
    let delete = |password: &'static str, open: &'static str| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            app.delete_account(
                Some(&cookie),
                &[("password", password), ("open_redemptions", open)],
            )
            .await
        }
    };
    // A wrong password, or no choice about open redemptions, deletes nothing.
    assert_eq!(
        field_error(&delete("not my password", "cancel").await),
        (
            "password".to_owned(),
            "That is not your password. Your account is not deleted.".to_owned()
        )
    );
    assert_eq!(
        field_error(&delete(PW, "later").await),
        (
            "open_redemptions".to_owned(),
            "Choose whether to keep or cancel your open redemptions.".to_owned()
        )
    );
    assert_eq!(app.account(Some(&cookie)).await.status, 200);

    let ledger_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE account_id = $1")
            .bind(member)
            .fetch_one(&pool)
            .await
            .unwrap();
    let deleted = delete(PW, "cancel").await;
    assert!(
        deleted.status.is_redirection() || deleted.status.is_success(),
        "{}",
        deleted.body
    );

    // No email, name, birthday or preference anywhere.
    let (email, name, deleted_at): (String, String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT email, display_name, deleted_at FROM accounts WHERE id = $1")
            .bind(member)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(email, format!("deleted-{member}@deleted.invalid"));
    assert_eq!(name, "Deleted member");
    assert!(deleted_at.is_some());
    let traces: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM member_likes WHERE account_id = $1)
              + (SELECT count(*) FROM member_profiles WHERE account_id = $1)
              + (SELECT count(*) FROM sessions WHERE account_id = $1)
              + (SELECT count(*) FROM outbox WHERE account_id = $1 OR to_address = $2)
              + (SELECT count(*) FROM sign_in_attempts WHERE email = $2)
              + (SELECT count(*) FROM audit_log WHERE strpos(before::text, $2) > 0 OR strpos(after::text, $2) > 0)",
    )
    .bind(member)
    .bind(EMAIL)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(traces, 0);
    // Signed out here, and no way back in (the attempt itself is new, after the erasure).
    assert_eq!(app.account(Some(&cookie)).await.status, 401);
    assert_eq!(
        app.sign_in(EMAIL, PW).await.app_error().to_string(),
        "That email and password don't match an account."
    );

    // The ledger stays (with the cancelled redemption's refund), and adds up to the balance.
    let (entries, sum, balance): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(points)::bigint, (SELECT balance FROM accounts WHERE id = $1)
         FROM ledger_entries WHERE account_id = $1",
    )
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((entries, sum, balance), (ledger_before + 1, 500, 500));
    let status: String = sqlx::query_scalar("SELECT status FROM redemptions WHERE code = $1")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'account.delete' AND subject = $1 AND actor_id = $2",
    )
    .bind(format!("account:{member}"))
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test]
async fn a_member_who_keeps_their_open_redemptions_still_has_valid_codes(pool: PgPool) {
    let (app, _, cookie, code) = busy_member(&pool).await;
    app.delete_account(
        Some(&cookie),
        &[("password", PW), ("open_redemptions", "honour")],
    )
    .await;
    let status: String = sqlx::query_scalar("SELECT status FROM redemptions WHERE code = $1")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "confirmed");
    assert_eq!(
        app.delete_account(None, &[("password", PW), ("open_redemptions", "honour")])
            .await
            .status,
        401
    );
}

#[sqlx::test]
async fn staff_download_and_delete_a_members_data_on_their_request(pool: PgPool) {
    let (app, member, cookie, _) = busy_member(&pool).await;
    let staff = support::account_with_role(&pool, "care@example.com", "staff")
        .await
        .1;
    let path = app::member_care::member_data_path(member);
    let data: serde_json::Value =
        serde_json::from_str(&app.get_as(&path, &staff).await.body).unwrap();
    assert_eq!(data["account"]["email"], EMAIL);
    // A member cannot read another's (or their own through staff's door).
    assert_eq!(app.get_as(&path, &cookie).await.status, 403);

    let id = member.to_string();
    let form = |confirm: &'static str| {
        [
            ("member_id", id.clone()),
            ("open_redemptions", "honour".to_owned()),
            ("confirm", confirm.to_owned()),
        ]
    };
    let send = |confirm: &'static str| {
        let form = form(confirm);
        let app = &app;
        let staff = staff.clone();
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.delete_member(&staff, &pairs).await
        }
    };
    assert_eq!(
        field_error(&send("someone@example.com").await),
        (
            "confirm".to_owned(),
            "Type the member's email exactly to confirm.".to_owned()
        )
    );
    let deleted = send(EMAIL).await;
    assert!(
        deleted.status.is_redirection() || deleted.status.is_success(),
        "{}",
        deleted.body
    );
    assert_eq!(
        app.account(Some(&cookie)).await.status,
        401,
        "the member is signed out"
    );
    let actor: i64 =
        sqlx::query_scalar("SELECT actor_id FROM audit_log WHERE action = 'account.delete'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_ne!(actor, member, "staff did it, and the log says so");
    assert_eq!(
        send(EMAIL).await.app_error().to_string(),
        "This account is already deleted."
    );
}

#[sqlx::test]
async fn staff_cannot_delete_a_staff_account_from_member_care(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let (colleague, _) = support::account_with_role(&pool, "colleague@example.com", "staff").await;
    let (_, staff) = support::account_with_role(&pool, "care@example.com", "staff").await;
    let id = colleague.to_string();
    let reply = app
        .delete_member(
            &staff,
            &[
                ("member_id", id.as_str()),
                ("open_redemptions", "honour"),
                ("confirm", "colleague@example.com"),
            ],
        )
        .await;
    assert_eq!(
        reply.app_error().to_string(),
        "Only a member's account is deleted here: an admin changes a staff account's role first."
    );
    let deleted: bool =
        sqlx::query_scalar("SELECT deleted_at IS NOT NULL FROM accounts WHERE id = $1")
            .bind(colleague)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!deleted, "nothing was written");
}
