use axum::body::Body;
use axum::http::Request;
use sqlx::PgPool;

use crate::support::endpoints::{ServerFn, SignIn};
use crate::support::{self, TestApp};

const PW: &str = "correct horse battery";

async fn viewer(app: &TestApp, cookie: &str) -> serde_json::Value {
    app.viewer(cookie).await.json()
}

#[sqlx::test]
async fn sign_up_creates_a_member_with_zero_points_who_can_sign_in_before_confirming(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let reply = app
        .sign_up(" New.Member@Example.com ", "New Member", PW)
        .await;
    assert_eq!(
        reply.headers["location"], "/account?step=check-email",
        "{}",
        reply.body
    );
    // Signing up signs no one in: the answer must read the same for an address with an account.
    assert!(reply.cookie().is_none());
    let cookie = app.signed_in("new.member@example.com", PW).await;
    let me = viewer(&app, &cookie).await;
    assert_eq!(me["email"], "new.member@example.com");
    assert_eq!(me["role"], "member");
    assert_eq!(me["balance"], 0);
    assert_eq!(me["tier"], "bronze");
}

#[sqlx::test]
async fn sign_up_errors_name_the_field_and_write_nothing(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "taken@example.com", PW).await;
    let app = TestApp::new(pool.clone());
    let long_email = format!("{}@example.com", "a".repeat(250));
    let long_password = "p".repeat(129);
    let long_name = "n".repeat(81);
    let cases = [
        ((" ", "Someone", PW), "email", "Enter your email address."),
        (
            (long_email.as_str(), "Someone", PW),
            "email",
            "That email address is too long.",
        ),
        (
            ("ok@example.com", "Someone", long_password.as_str()),
            "password",
            "Use at most 128 characters for your password.",
        ),
        (
            ("ok@example.com", long_name.as_str(), PW),
            "display_name",
            "Use at most 80 characters for your name.",
        ),
        (
            ("not-an-email", "Someone", PW),
            "email",
            "Enter an email address like name@example.com.",
        ),
        (
            ("ok@example.com", "Someone", "short"),
            "password",
            "Use at least 10 characters for your password.",
        ),
        (
            ("ok@example.com", "   ", PW),
            "display_name",
            "Enter the name we should call you.",
        ),
    ];
    for ((email, name, password), field, message) in cases {
        let reply = app.sign_up(email, name, password).await;
        assert_eq!(reply.status, 422, "{email}: {}", reply.body);
        let error: serde_json::Value = serde_json::from_str(reply.text()).unwrap();
        assert_eq!(error["kind"], "invalid");
        assert_eq!(error["field"], field);
        assert_eq!(error["message"], message);
        assert!(reply.cookie().is_none(), "no session for a failed sign-up");
    }
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[sqlx::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_message(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    for (email, password) in [
        ("maya@example.com", "wrong password!"),
        ("nobody@example.com", PW),
    ] {
        let reply = app.sign_in(email, password).await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.app_error().to_string(),
            "That email and password don't match an account."
        );
        assert!(reply.cookie().is_none());
    }
}

#[sqlx::test]
async fn five_failures_from_one_address_make_it_wait_even_with_the_right_password(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    for _ in 0..5 {
        let reply = app.sign_in("maya@example.com", "wrong password!").await;
        assert_eq!(reply.status, 401);
    }
    let reply = app.sign_in("Maya@example.com", PW).await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.app_error().to_string(),
        "Too many sign-in attempts. Try again in 1 minute."
    );
    assert!(reply.cookie().is_none());
}

#[sqlx::test]
async fn guesses_sent_all_at_once_get_no_more_tries_than_guesses_sent_one_by_one(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let guesses = (0..20).map(|n| {
        let app = app.clone();
        async move {
            let guess = format!("wrong password {n}");
            app.sign_in("maya@example.com", &guess).await.status
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let tried = answers.iter().filter(|s| s.as_u16() == 401).count();
    let refused = answers.iter().filter(|s| s.as_u16() == 429).count();
    assert_eq!((tried, refused), (5, 15), "{answers:?}");
}

#[sqlx::test]
async fn sign_in_is_limited_per_address_across_emails(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    for n in 0..30 {
        let email = format!("guess{n}@example.com");
        app.sign_in(&email, "wrong password!").await;
    }
    let reply = app.sign_in("maya@example.com", PW).await;
    assert_eq!(reply.status, 429);
    assert!(
        reply
            .app_error()
            .to_string()
            .starts_with("Too many sign-in attempts. Try again in")
    );
}

#[sqlx::test]
async fn signing_in_issues_a_new_session_id_with_safe_cookie_flags(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let first = app.sign_in("maya@example.com", PW).await;
    let set_cookie = first.set_cookie().unwrap().to_owned();
    assert!(set_cookie.starts_with("bazaar_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP in tests: {set_cookie}"
    );
    let old = first.cookie().unwrap();
    // Signing in again from a session that already exists (e.g. one planted by an attacker)
    // gives a new id; the old one is dead.
    let again = app.sign_in_from(&old, "maya@example.com", PW).await;
    let new = again.cookie().expect("a new session id");
    assert_ne!(old, new);
    assert!(viewer(&app, &old).await.is_null());
    assert_eq!(viewer(&app, &new).await["email"], "maya@example.com");
}

#[sqlx::test]
async fn cookies_are_secure_when_served_over_https(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::with_options(
        pool,
        leptos::config::LeptosOptions::builder()
            .output_name("bazaar")
            .build(),
        &server::HttpConfig {
            https: true,
            ..Default::default()
        },
    );
    let reply = app.sign_in("maya@example.com", PW).await;
    let set_cookie = reply.set_cookie().unwrap();
    // `__Host-`: the browser keeps it only if Secure, for this host and path `/`.
    assert!(
        set_cookie.starts_with("__Host-bazaar_session="),
        "{set_cookie}"
    );
    assert!(
        set_cookie.contains("Secure") && set_cookie.contains("Path=/"),
        "{set_cookie}"
    );
}

#[sqlx::test]
async fn signing_out_ends_the_session_on_the_server(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool.clone());
    let cookie = app.signed_in("maya@example.com", PW).await;
    assert_eq!(viewer(&app, &cookie).await["email"], "maya@example.com");
    let reply = app.sign_out(&cookie).await;
    assert!(reply.status.is_success() || reply.status.is_redirection());
    // The same cookie, replayed, is worth nothing: the session row is gone.
    assert!(viewer(&app, &cookie).await.is_null());
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[sqlx::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let phone = app.signed_in("maya@example.com", PW).await;
    let laptop = app.signed_in("maya@example.com", PW).await;

    let wrong = app
        .change_password(Some(&laptop), "not my password", "a brand new password")
        .await;
    assert_eq!(wrong.status, 422);
    let error: serde_json::Value = serde_json::from_str(wrong.text()).unwrap();
    assert_eq!(error["field"], "current_password");
    assert_eq!(error["message"], "Your current password is not right.");

    let short = app.change_password(Some(&laptop), PW, "short").await;
    assert_eq!(short.status, 422);
    assert!(short.text().contains("Use at least 10 characters"));

    let ok = app
        .change_password(Some(&laptop), PW, "a brand new password")
        .await;
    assert!(
        ok.status.is_success() || ok.status.is_redirection(),
        "{}",
        ok.body
    );
    let laptop = ok.cookie().unwrap_or(laptop);
    assert_eq!(
        viewer(&app, &laptop).await["email"],
        "maya@example.com",
        "this session continues"
    );
    assert!(
        viewer(&app, &phone).await.is_null(),
        "the other session ended"
    );
    app.signed_in("maya@example.com", "a brand new password")
        .await;
}

#[sqlx::test]
async fn change_password_needs_a_signed_in_member(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool);
    let reply = app.change_password(None, PW, "a brand new password").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.app_error().to_string(), "Please sign in to continue.");
}

#[sqlx::test]
async fn the_demo_logins_from_the_readme_work(pool: PgPool) {
    let small = server::demo::DemoSize {
        rewards: 10,
        members: 5,
        live_items: 3,
        upcoming_drops: 1,
        items_per_drop: 2,
    };
    server::demo::seed_if_empty(&pool, small, chrono::Utc::now())
        .await
        .unwrap();
    let app = TestApp::new(pool);
    for (email, password, _, role) in server::demo::DEMO_LOGINS {
        let cookie = app.signed_in(email, password).await;
        assert_eq!(viewer(&app, &cookie).await["role"], role);
    }
}

#[sqlx::test]
async fn cross_site_posts_are_refused(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let body = format!(
        "email=maya%40example.com&password={}",
        support::urlencode(PW)
    );
    for origin in [Some("https://evil.example"), None] {
        let mut request = Request::post(SignIn::PATH)
            .header("host", "bazaar.test")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let reply = app
            .send(request.body(Body::from(body.clone())).unwrap())
            .await;
        assert_eq!(reply.status, 403, "{origin:?}");
        assert_eq!(
            reply.json()["message"],
            "This request came from another site and was refused."
        );
    }
}

#[sqlx::test]
async fn a_failed_form_post_without_javascript_returns_to_the_form_with_the_error(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool);
    let request = Request::post(SignIn::PATH)
        .header("host", "bazaar.test")
        .header("origin", support::ORIGIN)
        .header("referer", "http://bazaar.test/sign-in")
        .header("accept", "text/html,application/xhtml+xml")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(
            "email=nobody%40example.com&password=whatever+it+is",
        ))
        .unwrap();
    let response = app.response(request).await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!(
            "http://bazaar.test/sign-in?__path={}&__err=",
            support::urlencode(SignIn::PATH)
        )),
        "{location}"
    );
    // Following the redirect shows the message on the form.
    let page = app
        .get(location.trim_start_matches("http://bazaar.test"))
        .await;
    assert!(
        page.body
            .contains("That email and password don&#x27;t match an account.")
            || page
                .body
                .contains("That email and password don't match an account."),
        "{}",
        page.body
    );
}

#[sqlx::test]
async fn after_signing_in_a_member_is_only_sent_to_a_page_of_this_site(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool.clone());
    for (next, expected) in [
        ("/redeem/4", "/redeem/4"),
        ("//evil.example", "/account"),
        ("/\\evil.example", "/account"),
        // A browser drops the tab and would go to //evil.example.
        ("/\t/evil.example", "/account"),
        // Not a header value at all: once a 500 instead of a signed-in member.
        ("/\n", "/account"),
    ] {
        let reply = app.sign_in_then("maya@example.com", PW, next).await;
        assert!(reply.cookie().is_some(), "{next:?}: {}", reply.status);
        assert_eq!(reply.headers["location"], expected, "{next:?}");
    }
}
