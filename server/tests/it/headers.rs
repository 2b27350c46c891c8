//! What every response tells the browser about itself: a Content-Security-Policy whose nonce
//! only the server's own scripts carry, no framing, no sniffing, a short referrer, and HSTS
//! under https.

use sqlx::PgPool;

use crate::support::{self, TestApp};

fn nonce_of(policy: &str) -> String {
    policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
        .to_owned()
}

#[sqlx::test]
async fn every_script_in_a_page_carries_the_nonce_its_policy_names(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool);
    let page = app.get("/sign-in").await;
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    let nonce = nonce_of(policy);
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let scripts = page.body.matches("<script").count();
    let nonced = page.body.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(scripts, nonced, "a script without the nonce would not run");
    // Each response draws its own.
    let again = app.get("/sign-in").await;
    let other = nonce_of(again.headers["content-security-policy"].to_str().unwrap());
    assert_ne!(nonce, other);
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        page.headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
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
