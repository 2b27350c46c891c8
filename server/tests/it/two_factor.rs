//! Two-factor sign-in: turning it on from the account page, the code after the password (each
//! code once, recovery codes once), admins refused admin pages without it, and an admin's
//! reset of a colleague's second factor.

use sqlx::PgPool;
use totp_rs::{Algorithm, TOTP};

use crate::support::endpoints::Config;
use crate::support::{self, TestApp, visible_text};

const PW: &str = "correct horse battery";

/// The code an authenticator app shows now for `secret` (base32, as the account page shows it).
fn code_now(secret_base32: &str) -> String {
    let secret = totp_rs::Secret::Encoded(secret_base32.replace(' ', ""))
        .to_bytes()
        .unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new())
        .generate_current()
        .unwrap()
}

/// The code of the next 30-second step (what the app shows half a minute later).
fn code_next(secret_base32: &str) -> String {
    let secret = totp_rs::Secret::Encoded(secret_base32.replace(' ', ""))
        .to_bytes()
        .unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new());
    totp.generate(chrono::Utc::now().timestamp() as u64 + 30)
}

/// A member with two-factor on, set up through the account page; their recovery codes and
/// the secret.
async fn turned_on(app: &TestApp, email: &str) -> (Vec<String>, String) {
    let cookie = app.signed_in(email, PW).await;
    let status = app.two_factor(&cookie).await.json();
    assert_eq!(status["enabled"], false);
    let secret = status["setup"]["secret"].as_str().unwrap().to_owned();
    assert!(
        status["setup"]["qr_svg"]
            .as_str()
            .unwrap()
            .starts_with("<?xml")
    );

    let wrong = app.enable_two_factor(&cookie, "000000").await;
    assert_eq!(wrong.status, 422);
    let on = app.enable_two_factor(&cookie, &code_now(&secret)).await;
    assert!(
        on.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/account?two_factor=on")
    );
    let status = app.two_factor_just_on(&cookie).await.json();
    assert_eq!(status["enabled"], true);
    let codes: Vec<String> = serde_json::from_value(status["fresh_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    // Read again on that page (a second render): still there. The next other read is the
    // last to see them.
    let again = app.two_factor_just_on(&cookie).await.json();
    assert_eq!(again["fresh_codes"], status["fresh_codes"]);
    app.two_factor(&cookie).await;
    let later = app.two_factor_just_on(&cookie).await.json();
    assert_eq!(later["fresh_codes"], serde_json::json!([]));
    (codes, secret)
}

#[sqlx::test]
async fn with_two_factor_on_the_password_alone_does_not_sign_in(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    support::member(&pool, "maya@example.com", PW).await;
    let (codes, secret) = turned_on(&app, "maya@example.com").await;

    let password = app
        .sign_in_then("maya@example.com", PW, "/account?page=2")
        .await;
    assert_eq!(
        password.headers["location"],
        "/sign-in?step=code&next=/account%3Fpage%3D2"
    );
    let half = password.cookie().expect("the session that owes a code");
    assert_eq!(
        app.account(Some(&half)).await.status,
        401,
        "not signed in yet"
    );
    let page = visible_text(&app.get_as("/sign-in?step=code", &half).await.body);
    assert!(page.contains("Enter your code"), "{page}");

    let wrong = app.sign_in_code(&half, "123456").await;
    assert_eq!(
        support::field_error(&wrong),
        (
            "code".to_owned(),
            "That code is not right. Enter the 6 digits your authenticator app shows now (each code works once), or one of your recovery codes.".to_owned()
        )
    );
    // The app's code for the next step is within the accepted window; it signs in.
    let code = code_next(&secret);
    let done = app.sign_in_code_then(&half, &code, "/account?page=2").await;
    assert_eq!(done.headers["location"], "/account?page=2");
    let cookie = done.cookie().expect("signed in");
    assert_eq!(app.account(Some(&cookie)).await.status, 200);

    // The same code again, in another sign-in: refused (seen over a shoulder, say).
    let again = app.sign_in("maya@example.com", PW).await.cookie().unwrap();
    assert_eq!(app.sign_in_code(&again, &code).await.status, 422);
    // A recovery code works, once.
    let recovered = app.sign_in_code(&again, &codes[0].to_uppercase()).await;
    assert_eq!(recovered.headers["location"], "/account");
    let third = app.sign_in("maya@example.com", PW).await.cookie().unwrap();
    assert_eq!(app.sign_in_code(&third, &codes[0]).await.status, 422);
    let status = app.two_factor(&cookie).await.json();
    assert_eq!(status["recovery_left"], 9);
}

#[sqlx::test]
async fn a_code_with_no_password_before_it_is_refused(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let reply = app.sign_in_code("bazaar_session=nothing", "123456").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.app_error().to_string(),
        "Your sign-in took too long. Sign in again with your password."
    );
}

#[sqlx::test]
async fn admins_without_two_factor_are_refused_admin_pages_and_told_how(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let id = support::member(&pool, "ada@example.com", PW).await;
    sqlx::query("UPDATE accounts SET role = 'admin' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let cookie = app.signed_in("ada@example.com", PW).await;
    let refused = app.mailbox(&cookie).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.app_error().to_string(),
        "Admin pages need two-factor sign-in. Turn it on under “Two-factor sign-in” on your account page, then come back."
    );
    let status = app.two_factor(&cookie).await.json();
    assert_eq!(status["required"], true);

    turned_on(&app, "ada@example.com").await;
    // Signed in again with the code, the admin pages open.
    let secret: Vec<u8> = sqlx::query_scalar("SELECT totp_secret FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let half = app.sign_in("ada@example.com", PW).await.cookie().unwrap();
    let b32 = totp_rs::Secret::Raw(secret).to_encoded().to_string();
    let done = app.sign_in_code(&half, &code_next(&b32)).await;
    let admin = done.cookie().unwrap();
    assert_eq!(app.mailbox(&admin).await.status, 200);

    // The demo store on this machine lets its admin in without (Config::admin_two_factor).
    let demo = TestApp::with_settings(
        pool.clone(),
        Config {
            admin_two_factor: false,
            ..Config::default()
        },
        Default::default(),
    );
    let (_, plain_admin) = support::account_with_role(&pool, "plain@example.com", "admin").await;
    sqlx::query("UPDATE accounts SET totp_secret = NULL, totp_enabled_at = NULL WHERE email = 'plain@example.com'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(demo.mailbox(&plain_admin).await.status, 200);
}

#[sqlx::test]
async fn an_admin_resets_a_colleagues_second_factor_and_it_is_audited(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let (_, admin) = support::account_with_role(&pool, "admin@example.com", "admin").await;
    support::member(&pool, "lost.phone@example.com", PW).await;
    turned_on(&app, "lost.phone@example.com").await;
    let their_session = app
        .sign_in("lost.phone@example.com", PW)
        .await
        .cookie()
        .unwrap();

    let own = app.reset_two_factor(&admin, "admin@example.com").await;
    assert_eq!(
        support::field_error(&own),
        (
            "email".to_owned(),
            "You cannot reset your own second factor: ask another admin.".to_owned()
        )
    );
    let reset = app.reset_two_factor(&admin, "lost.phone@example.com").await;
    assert_eq!(reset.headers["location"], "/staff/team?two_factor=reset");
    assert!(
        support::audit_actions(&pool)
            .await
            .contains(&"account.two_factor_reset".to_owned())
    );
    // The half-finished sign-in cannot finish; the password alone signs in again.
    assert_eq!(app.sign_in_code(&their_session, "123456").await.status, 400);
    let again = app.sign_in("lost.phone@example.com", PW).await;
    assert_eq!(again.headers["location"], "/account");
    let none_left = app.reset_two_factor(&admin, "lost.phone@example.com").await;
    assert_eq!(
        support::field_error(&none_left).1,
        "That account does not have two-factor sign-in on."
    );
    // Staff cannot reset anyone's.
    let staff = support::staff(&pool).await;
    assert_eq!(
        app.reset_two_factor(&staff, "admin@example.com")
            .await
            .status,
        403
    );
}
