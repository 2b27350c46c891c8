//! Accounts by mail, through a real SMTP server: confirming an address, sign-up that reveals
//! nothing, and resetting a forgotten password.

use axum::body::Body;
use axum::http::Request;
use sqlx::PgPool;

use crate::support::endpoints::{ServerFn, SignUp};
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp, visible_text};

const PW: &str = "correct horse battery";

/// The app as a server with an SMTP server configured builds it.
fn mailing_app(pool: &PgPool) -> TestApp {
    TestApp::with_settings(pool.clone(), mail_config(), Default::default())
}

async fn verified(pool: &PgPool, email: &str) -> bool {
    sqlx::query_scalar("SELECT email_verified_at IS NOT NULL FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn signing_up_mails_a_link_that_confirms_the_address_once(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("robin");
    let reply = app.sign_up(&email, "Robin", PW).await;
    assert_eq!(
        reply.headers["location"], "/account?step=check-email",
        "{}",
        reply.body
    );
    assert!(!verified(&pool, &email).await);

    deliver(&pool).await;
    let mail = only_message(&email);
    assert_eq!(mail.subject(), "Confirm your email address");
    assert!(mail.text.starts_with("Hi Robin,"), "{}", mail.text);
    assert!(mail.html.contains("Confirm my email"), "{}", mail.html);
    assert_eq!(
        mail.header("list-unsubscribe"),
        None,
        "account mail always goes"
    );

    // The link's page asks for a press; a mail scanner opening it confirms nothing.
    let link = mail.link("/account?step=verify");
    let page = visible_text(&app.get(&link).await.body);
    assert!(page.contains("Confirm your email address"), "{page}");
    assert!(!verified(&pool, &email).await);

    let token = mail.token("/account?step=verify");
    let confirmed = app.verify_email(&token).await;
    assert_eq!(confirmed.headers["location"], "/account?step=verified");
    assert!(verified(&pool, &email).await);

    let again = app.verify_email(&token).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.app_error().to_string(),
        "This link was already used: your email address is confirmed."
    );
    let forged = app.verify_email("not-a-token-we-sent").await;
    assert_eq!(
        forged.app_error().to_string(),
        "This link is not one we sent, or it was cut short. Copy the whole link from the email, or ask for a new one."
    );
}

#[sqlx::test]
async fn a_verification_link_expires_after_a_day(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("late");
    app.sign_up(&email, "Late Reader", PW).await;
    deliver(&pool).await;
    let token = only_message(&email).token("/account?step=verify");
    let hours: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 / 3600 FROM email_tokens",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(hours, 24.0);
    // A day passes.
    sqlx::query("UPDATE email_tokens SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let reply = app.verify_email(&token).await;
    assert_eq!(
        reply.app_error().to_string(),
        "This link has expired (links work for 24 hours). Sign in and ask for a new one on your account page."
    );
    assert!(!verified(&pool, &email).await);
}

#[sqlx::test]
async fn signing_up_with_a_taken_address_answers_as_for_a_new_one_and_mails_the_owner(
    pool: PgPool,
) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let owner = address("owner");
    support::member(&pool, &owner, PW).await;
    let newcomer = address("newcomer");

    let taken = app
        .sign_up(&owner, "Someone Else", "another password 123")
        .await;
    let fresh = app
        .sign_up(&newcomer, "Someone Else", "another password 123")
        .await;
    assert_eq!(taken.status, fresh.status);
    assert_eq!(taken.headers["location"], fresh.headers["location"]);
    assert_eq!(taken.body, fresh.body);
    assert_eq!(taken.cookie().is_some(), fresh.cookie().is_some());
    assert_eq!(
        support::count(&pool, "accounts").await,
        2,
        "no second account for the owner's address"
    );

    deliver(&pool).await;
    let warning = only_message(&owner);
    assert_eq!(
        warning.subject(),
        "Someone tried to sign up with your email"
    );
    assert!(
        warning.text.contains("/account?step=forgot-password"),
        "{}",
        warning.text
    );
    assert_eq!(
        only_message(&newcomer).subject(),
        "Confirm your email address"
    );

    // The owner's password still works; the stranger's does not.
    app.signed_in(&owner, PW).await;
    assert_eq!(
        app.sign_in(&owner, "another password 123").await.status,
        401
    );
}

#[sqlx::test]
async fn a_password_reset_link_works_once_and_ends_every_other_session(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("forgetful");
    support::member(&pool, &email, PW).await;
    let old_session = app.signed_in(&email, PW).await;

    let asked = app.request_password_reset(&email).await;
    assert_eq!(
        asked.headers["location"],
        "/account?step=forgot-password&sent=1"
    );
    deliver(&pool).await;
    let mail = only_message(&email);
    assert_eq!(mail.subject(), "Reset your password");
    let token = mail.token("/account?step=reset-password");

    let short = app.reset_password(&token, "short").await;
    assert_eq!(short.status, 422);
    assert_eq!(
        support::field_error(&short),
        (
            "new_password".into(),
            "Use at least 10 characters for your password.".into()
        )
    );

    let reset = app.reset_password(&token, "a brand new password").await;
    assert_eq!(reset.headers["location"], "/account?password=reset");
    let new_session = reset.cookie().expect("signed in after the reset");
    assert_eq!(
        app.account(Some(&old_session)).await.status,
        401,
        "the old session ended"
    );
    assert_eq!(app.account(Some(&new_session)).await.status, 200);
    assert_eq!(app.sign_in(&email, PW).await.status, 401);
    app.signed_in(&email, "a brand new password").await;
    assert!(
        verified(&pool, &email).await,
        "following the link proved the address"
    );

    let again = app.reset_password(&token, "yet another password").await;
    assert_eq!(
        again.app_error().to_string(),
        "This link was already used. Ask for a new one if you still need to reset your password."
    );
}

#[sqlx::test]
async fn a_reset_link_expires_after_thirty_minutes(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("slow");
    support::member(&pool, &email, PW).await;
    app.request_password_reset(&email).await;
    deliver(&pool).await;
    let token = only_message(&email).token("/account?step=reset-password");
    sqlx::query("UPDATE email_tokens SET expires_at = created_at + interval '30 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    // Thirty minutes pass.
    sqlx::query("UPDATE email_tokens SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let reply = app.reset_password(&token, "a brand new password").await;
    assert_eq!(
        reply.app_error().to_string(),
        "This link has expired (links work for 30 minutes). Ask for a new one."
    );
    app.signed_in(&email, PW).await;
}

#[sqlx::test]
async fn a_reset_request_answers_the_same_whether_or_not_the_address_has_an_account(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let member = address("known");
    support::member(&pool, &member, PW).await;
    let stranger = address("unknown");
    let known = app.request_password_reset(&member).await;
    let unknown = app.request_password_reset(&stranger).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.headers["location"], unknown.headers["location"]);
    assert_eq!(known.body, unknown.body);
    deliver(&pool).await;
    assert_eq!(inbox(&member).len(), 1);
    assert!(inbox(&stranger).is_empty());

    // The page after the request says what happens either way.
    let page = visible_text(&app.get("/account?step=forgot-password&sent=1").await.body);
    assert!(
        page.contains("If an account uses that address, we have sent it a link"),
        "{page}"
    );
}

#[sqlx::test]
async fn reset_requests_are_limited_per_address_asked_about(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("target");
    support::member(&pool, &email, PW).await;
    for n in 0..3 {
        let reply = app
            .at_address(&format!("198.51.100.{n}"))
            .request_password_reset(&email)
            .await;
        assert_eq!(
            reply.headers["location"], "/account?step=forgot-password&sent=1",
            "{}",
            reply.body
        );
    }
    let refused = app
        .at_address("198.51.100.9")
        .request_password_reset(&email)
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.app_error().to_string(),
        "We have had several reset requests for this address or from your network in the last hour. Check your inbox and spam folder, or try again in an hour."
    );
    deliver(&pool).await;
    assert_eq!(inbox(&email).len(), 3);
}

#[sqlx::test]
async fn mail_is_written_in_the_language_of_whoever_signs_up(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("ana");
    let form = crate::support::form_body(&[
        ("email", email.as_str()),
        ("display_name", "Ana"),
        ("password", PW),
    ]);
    let reply = app
        .send(
            Request::post(<SignUp as ServerFn>::PATH)
                .header("host", "bazaar.test")
                .header("origin", crate::support::ORIGIN)
                .header("accept-language", "es-MX,es;q=0.9")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(
        reply.headers["location"], "/account?step=check-email",
        "{}",
        reply.body
    );
    deliver(&pool).await;
    let mail = only_message(&email);
    assert_eq!(mail.subject(), "Confirma tu correo electrónico");
    assert!(mail.text.starts_with("Hola, Ana:"), "{}", mail.text);
}
