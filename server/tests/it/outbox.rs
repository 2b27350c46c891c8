//! The outbox and the mail members ask for, through a real SMTP server: drop reminders (once
//! across servers, in the member's language and zone, stopped by unsubscribing), delivery
//! guarantees, hard bounces, the admins' mailbox and the member's choice of messages.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::endpoints::AppState;
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp, visible_text};

pub(crate) const PW: &str = "correct horse battery";

/// The app as a server with an SMTP server configured builds it.
pub(crate) fn mailing_app(pool: &PgPool) -> TestApp {
    TestApp::with_settings(pool.clone(), mail_config(), Default::default())
}

/// A member who reads Spanish, in Mexico City, who asked to be reminded of a drop opening in
/// ten minutes; the drop's id and start.
pub(crate) async fn spanish_member_reminded(
    pool: &PgPool,
    app: &TestApp,
    email: &str,
) -> (i64, chrono::DateTime<Utc>) {
    let id = support::member(pool, email, PW).await;
    sqlx::query(
        "UPDATE accounts SET language = 'es', time_zone = 'America/Mexico_City' WHERE id = $1",
    )
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
    let starts = Utc::now() + Duration::minutes(10);
    let drop =
        support::drop_window(pool, "Tuesday Drop", starts, starts + Duration::hours(2)).await;
    sqlx::query("UPDATE drops SET title_es = 'Drop del martes' WHERE id = $1")
        .bind(drop)
        .execute(pool)
        .await
        .unwrap();
    let cookie = app.signed_in(email, PW).await;
    let reply = app.remind(Some(&cookie), &drop.to_string(), true).await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    (drop, starts)
}

/// A second server on the same database: its own pool and state.
pub(crate) async fn second_server(pool: &PgPool) -> (PgPool, AppState) {
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let state = AppState::new(
        leptos::config::LeptosOptions::builder()
            .output_name("bazaar")
            .build(),
        other.clone(),
        mail_config(),
    );
    (other, state)
}

#[sqlx::test]
async fn a_reminder_goes_once_across_two_servers_in_the_members_language_and_time_zone(
    pool: PgPool,
) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("lucia");
    let (_, starts) = spanish_member_reminded(&pool, &app, &email).await;
    let (other_pool, other) = second_server(&pool).await;
    let (this_pool, this) = second_server(&pool).await;

    // Both servers look for due reminders at once, then both deliver at once.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        app::bazaar::ssr::mail_due_reminders(&this, now),
        app::bazaar::ssr::mail_due_reminders(&other, now)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let transport = crate::support::mail::transport();
    let (x, y) = tokio::join!(
        server::mail::deliver_due(&this_pool, &transport),
        server::mail::deliver_due(&other_pool, &transport)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    // Looking again finds nothing more to write or send.
    assert_eq!(
        app::bazaar::ssr::mail_due_reminders(&this, Utc::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(deliver(&pool).await, 0);

    let mail = only_message(&email);
    assert_eq!(mail.subject(), "Drop del martes abre en 15 minutos");
    let when = app::domain::i18n::format_date(
        app::domain::i18n::Locale::EsMx,
        chrono_tz::America::Mexico_City,
        starts,
    );
    assert!(
        mail.text.contains(&format!(
            "El drop que pediste, Drop del martes, abre el {when}."
        )),
        "{}",
        mail.text
    );
    assert!(when.contains("CST"), "{when}");
    assert!(mail.html.contains("lang=\"es\""));
    // The footer leads to the Messages settings as well as stopping reminders outright.
    assert!(
        mail.text.lines().any(|line| line
            .split("Elige qué correos recibes: ")
            .nth(1)
            .is_some_and(
                |url| url.starts_with("http") && url.ends_with("/account#messages-heading")
            )),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("/account#messages-heading\" style="));
    assert_eq!(
        mail.header("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        mail.header("list-unsubscribe")
            .unwrap()
            .contains("/mail/unsubscribe?token=")
    );
}

#[sqlx::test]
async fn after_unsubscribing_in_one_click_no_reminder_mail_goes(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("done");
    spanish_member_reminded(&pool, &app, &email).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(&pool)
        .await
        .unwrap();
    let key = app::infra::mail::server_key(&pool, "unsubscribe")
        .await
        .unwrap();
    let token =
        app::infra::mail::unsubscribe_token(&key, id, app::infra::mail::Topic::DropReminders);

    // A mail client's one-click post (RFC 8058): no cookie, no Origin.
    let one_click = app
        .send(
            Request::post(format!("/mail/unsubscribe?token={token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("List-Unsubscribe=One-Click"))
                .unwrap(),
        )
        .await;
    assert_eq!(one_click.status, 200, "{}", one_click.body);

    let state = second_server(&pool).await.1;
    assert_eq!(
        app::bazaar::ssr::mail_due_reminders(&state, Utc::now())
            .await
            .unwrap(),
        0
    );
    deliver(&pool).await;
    assert!(inbox(&email).is_empty());
}

#[sqlx::test]
async fn an_unsubscribe_link_works_signed_out_and_a_tampered_one_is_refused(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let lucia = address("lucia");
    let other = address("other");
    let lucia_id = support::member(&pool, &lucia, PW).await;
    let other_id = support::member(&pool, &other, PW).await;
    let key = app::infra::mail::server_key(&pool, "unsubscribe")
        .await
        .unwrap();
    let token =
        app::infra::mail::unsubscribe_token(&key, lucia_id, app::infra::mail::Topic::DropReminders);

    // Someone edits the member number in Lucía's link to reach another member.
    let tampered = token.replacen(&format!("{lucia_id}."), &format!("{other_id}."), 1);
    let refused = app.unsubscribe(&tampered).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.app_error().to_string(),
        "This unsubscribe link is not valid. Sign in and choose your messages on your account page."
    );

    let page = visible_text(
        &app.get(&format!("/account?step=unsubscribe&token={token}"))
            .await
            .body,
    );
    assert!(page.contains("Stop these emails"), "{page}");
    let done = app.unsubscribe(&token).await;
    assert_eq!(done.headers["location"], "/account?step=unsubscribe&done=1");
    let flags: Vec<bool> =
        sqlx::query_scalar("SELECT mail_drop_reminders FROM accounts ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(flags, [false, true], "only Lucía's reminders stopped");
}

#[sqlx::test]
async fn a_crash_between_sending_and_marking_sends_one_duplicate_with_the_same_message_id(
    pool: PgPool,
) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("twice");
    app.sign_up(&email, "Twice", PW).await;
    let transport = crate::support::mail::transport();
    // The server sends, then dies before it records the send.
    assert_eq!(
        server::mail::send_without_marking(&pool, &transport)
            .await
            .unwrap(),
        1
    );
    // While its claim holds, no other server takes the message.
    assert_eq!(deliver(&pool).await, 0);
    // The claim lapses (`server::mail::CLAIM`); another server sends it again, and marks it.
    sqlx::query("UPDATE outbox SET claimed_until = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(deliver(&pool).await, 1);
    assert_eq!(deliver(&pool).await, 0, "sent and marked: never again");

    let received = inbox(&email);
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].message_id(), received[1].message_id());
    assert!(received[0].message_id().starts_with('<'));
}

#[sqlx::test]
async fn a_hard_bounce_marks_the_address_and_the_account_page_says_so(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let gone = format!("bounce-{}", address("x"));
    support::member(&pool, &gone, PW).await;
    let busy = format!("later-{}", address("y"));
    support::member(&pool, &busy, PW).await;
    app.request_password_reset(&gone).await;
    app.request_password_reset(&busy).await;
    assert_eq!(deliver(&pool).await, 2);

    let rows: Vec<(String, bool, bool, i32)> = sqlx::query_as(
        "SELECT to_address, failed_at IS NOT NULL, due_at > now(), attempts FROM outbox ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows[0].0, gone);
    assert!(rows[0].1, "a 550 is final");
    assert!(!rows[1].1 && rows[1].2, "a 451 is tried again later");
    assert_eq!(rows[1].3, 1);

    let cookie = app.signed_in(&gone, PW).await;
    let page = visible_text(&app.get_as("/account", &cookie).await.body);
    assert!(
        page.contains(&format!("We couldn't reach your email at {gone}")),
        "{page}"
    );
    let fine = app.signed_in(&busy, PW).await;
    let page = visible_text(&app.get_as("/account", &fine).await.body);
    assert!(!page.contains("We couldn't reach your email"), "{page}");
}

#[sqlx::test]
async fn without_an_smtp_server_admins_read_the_mail_in_the_mailbox(pool: PgPool) {
    support::store(&pool).await;
    // No SMTP server configured: the run command's default.
    let app = TestApp::new(pool.clone());
    let (_, admin) = support::account_with_role(&pool, "admin@example.com", "admin").await;
    let staff = support::staff(&pool).await;
    app.sign_up("newcomer@example.com", "Newcomer", PW).await;
    server::mail::deliver_due(&pool, &server::mail::Transport::Mailbox)
        .await
        .unwrap();

    let mailbox = app.mailbox(&admin).await.json();
    assert_eq!(mailbox["keeps_mail"], true);
    assert_eq!(mailbox["messages"][0]["to"], "newcomer@example.com");
    assert_eq!(mailbox["messages"][0]["status"], "sent");
    assert!(
        mailbox["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("/account?step=verify&token=")
    );
    let page = visible_text(&app.get_as("/staff/mailbox", &admin).await.body);
    assert!(page.contains("Confirm your email address"), "{page}");

    let refused = app.mailbox(&staff).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.app_error().to_string(),
        "You don't have access to this."
    );
}

#[sqlx::test]
async fn an_admin_checks_the_mail_server_with_a_test_message(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let (_, admin) = support::account_with_role(&pool, "admin@example.com", "admin").await;
    let to = address("postmaster");
    let sent = app.send_test_email(&admin, &to).await;
    assert!(
        sent.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/staff/mailbox?sent=1")
    );
    deliver(&pool).await;
    assert_eq!(
        only_message(&to).subject(),
        "Test email from Rewards Bazaar"
    );
    assert!(
        support::audit_actions(&pool)
            .await
            .contains(&"mail.test".to_owned())
    );
    // With a mail server, the mailbox is a record without bodies.
    let mailbox = app.mailbox(&admin).await.json();
    assert_eq!(mailbox["keeps_mail"], false);
    assert_eq!(mailbox["messages"][0]["text"], serde_json::Value::Null);

    let bad = app.send_test_email(&admin, "not an address").await;
    assert_eq!(bad.status, 422);
    assert_eq!(support::field_error(&bad).0, "email");
}

#[sqlx::test]
async fn a_member_chooses_their_messages_and_asks_for_a_new_link(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("chooser");
    app.sign_up(&email, "Chooser", PW).await;
    let cookie = app.signed_in(&email, PW).await;
    let account = app.account(Some(&cookie)).await.json();
    assert_eq!(account["mail"]["drop_reminders"], true);
    assert_eq!(account["mail"]["expiring_points"], false);
    assert_eq!(account["mail"]["verified"], false);

    let saved = app.set_messages(&cookie, &["expiring_points"]).await;
    assert!(
        saved.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/account?messages=saved")
    );
    let account = app.account(Some(&cookie)).await.json();
    assert_eq!(account["mail"]["drop_reminders"], false);
    assert_eq!(account["mail"]["expiring_points"], true);

    app.resend_verification(&cookie).await;
    app.resend_verification(&cookie).await;
    let refused = app.resend_verification(&cookie).await;
    assert_eq!(
        refused.app_error().to_string(),
        "We have sent you several links in the last few minutes. Check your inbox and spam folder, or try again in 10 minutes."
    );
    deliver(&pool).await;
    assert_eq!(inbox(&email).len(), 3, "the first link and two more");
    // Any of the links confirms the address.
    let token = inbox(&email)[2].token("/account?step=verify");
    app.verify_email(&token).await;
    let again = app.resend_verification(&cookie).await;
    assert_eq!(
        again.app_error().to_string(),
        "Your email address is already confirmed."
    );
}
