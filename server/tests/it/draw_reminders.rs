//! Draw reminders (issue 26, part 4): a member who asked hears once, a few hours before a
//! draw's entries close, through a real SMTP server — unless they entered, or turned reminders
//! off; asking for a reminder of the draw's drop counts as asking.

use chrono::Utc;
use sqlx::PgPool;

use crate::draws::{entrant, key, open_draw};
use crate::outbox::second_server;
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp};

/// An entrant (see `draws::entrant`) with a mail address of their own.
async fn reader(pool: &PgPool, n: usize, name: &str) -> (i64, String, String) {
    let (id, cookie) = entrant(pool, n, 900).await;
    let email = address(name);
    sqlx::query("UPDATE accounts SET email = $2 WHERE id = $1")
        .bind(id)
        .bind(&email)
        .execute(pool)
        .await
        .unwrap();
    (id, cookie, email)
}

#[sqlx::test]
async fn members_who_asked_hear_once_before_entries_close_unless_they_entered(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), Default::default());
    // The window closes in an hour: inside the three hours' notice.
    let item = open_draw(&pool, &app, &staff, 2, 300).await;
    let (_, asked, asked_email) = reader(&pool, 1, "asked").await;
    let (by_drop, _, by_drop_email) = reader(&pool, 2, "bydrop").await;
    let (_, entered, entered_email) = reader(&pool, 3, "entered").await;
    let (quiet, quiet_cookie, quiet_email) = reader(&pool, 4, "quiet").await;

    let page = app.draw(Some(&asked), item).await.json();
    assert_eq!(page["reminded"], false);
    for cookie in [&asked, &entered, &quiet_cookie] {
        let reply = app.remind_draw(cookie, item).await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    let page = app.draw(Some(&asked), item).await.json();
    assert_eq!(page["reminded"], true);
    let reply = app.get_as(&format!("/draws/{item}"), &asked).await;
    let html = reply.text();
    assert!(
        html.contains(
            "We will email you 3 hours before entries close, unless you have entered by then."
        ),
        "{html}"
    );
    // A reminder for the draw's drop is a reminder for its draws.
    sqlx::query("INSERT INTO drop_reminders (account_id, drop_id) SELECT $1, drop_id FROM drop_items WHERE id = $2")
        .bind(by_drop)
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET mail_drop_reminders = true WHERE id = $1")
        .bind(by_drop)
        .execute(&pool)
        .await
        .unwrap();
    let reply = app.enter_draw(Some(&entered), item, &key()).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    sqlx::query("UPDATE accounts SET mail_drop_reminders = false WHERE id = $1")
        .bind(quiet)
        .execute(&pool)
        .await
        .unwrap();

    // Two servers look: the reminders are written once.
    let (_, one) = second_server(&pool).await;
    let (_, two) = second_server(&pool).await;
    let (a, b) = tokio::join!(
        app::draws::ssr::reminders::mail_due(&one, Utc::now()),
        app::draws::ssr::reminders::mail_due(&two, Utc::now())
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(
        app::draws::ssr::reminders::mail_due(&one, Utc::now())
            .await
            .unwrap(),
        0
    );
    deliver(&pool).await;
    for email in [&asked_email, &by_drop_email] {
        let mail = only_message(email);
        assert_eq!(mail.subject(), "Entries for Signed handbag close soon");
        assert!(
            mail.text
                .contains("you have not entered yet. Entering holds 300 points"),
            "{}",
            mail.text
        );
        assert_eq!(
            mail.link(&format!("/draws/{item}")),
            format!("/draws/{item}")
        );
        assert!(mail.header("List-Unsubscribe").is_some());
    }
    assert!(inbox(&entered_email).is_empty(), "entered");
    assert!(inbox(&quiet_email).is_empty(), "reminders off");
}

#[sqlx::test]
async fn a_reminder_for_a_closed_or_unknown_draw_is_refused_with_its_reason(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 2, 300).await;
    let (_, member) = entrant(&pool, 1, 900).await;
    sqlx::query("UPDATE draws SET closes_at = now() - interval '1 second' WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    let closed = app.remind_draw(&member, item).await;
    assert!(
        closed
            .app_error()
            .to_string()
            .starts_with("Entries closed "),
        "{}",
        closed.body
    );
    let unknown = app.remind_draw(&member, 999_999).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(support::count(&pool, "draw_reminders").await, 0);
}
