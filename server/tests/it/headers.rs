//! What every response tells the browser about itself: a Content-Security-Policy, no framing,
//! no sniffing, a short referrer, and HSTS under https.

use sqlx::PgPool;

use crate::support::{self, TestApp};

#[sqlx::test]
async fn pages_say_where_scripts_may_come_from_and_that_nothing_may_frame_them(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool);
    let page = app.get("/sign-in").await;
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    for part in [
        "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        page.headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers.get("strict-transport-security").is_none(),
        "plain http"
    );
}

#[sqlx::test]
async fn answers_that_are_not_pages_may_not_be_framed_either(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool);
    let answer = app.get("/healthz").await;
    assert_eq!(
        answer.headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[sqlx::test]
async fn under_https_browsers_are_told_to_keep_to_https(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::with_config(
        pool,
        &server::HttpConfig {
            https: true,
            ..Default::default()
        },
    );
    let page = app.get("/sign-in").await;
    assert_eq!(
        page.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
