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
        "script-src 'nonce-",
        "'strict-dynamic' 'wasm-unsafe-eval'",
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

/// The nonce a page's policy names, and every `nonce` its scripts carry.
fn nonces(page: &crate::support::Reply) -> (String, Vec<String>) {
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    let named = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
        .to_owned();
    let carried = page
        .body
        .split("<script")
        .skip(1)
        .map(|tag| {
            tag.split_once("nonce=\"")
                .filter(|(before, _)| !before.contains('>'))
                .and_then(|(_, rest)| rest.split('"').next())
                .unwrap_or_else(|| panic!("a script without a nonce: <script{tag:.80}"))
                .to_owned()
        })
        .collect();
    (named, carried)
}

#[sqlx::test]
async fn only_scripts_carrying_the_responses_own_nonce_may_run(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool);
    let first = app.get("/sign-in").await;
    let (named, carried) = nonces(&first);
    assert!(named.len() >= 22, "a nonce of 128 bits or more: {named}");
    assert!(
        carried.len() >= 2,
        "the script starting the bundle and the hydration script"
    );
    assert!(
        carried.iter().all(|n| *n == named),
        "{carried:?} vs {named}"
    );
    let (again, _) = nonces(&app.get("/sign-in").await);
    assert_ne!(named, again, "each response draws its own nonce");
}

#[sqlx::test]
async fn the_cached_bazaar_page_names_the_nonce_its_scripts_were_rendered_with(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::with_config(
        pool,
        &server::HttpConfig {
            page_cache: std::time::Duration::from_secs(60),
            ..Default::default()
        },
    );
    for _ in 0..2 {
        let page = app.get("/").await;
        let (named, carried) = nonces(&page);
        assert!(!carried.is_empty());
        assert!(
            carried.iter().all(|n| *n == named),
            "{carried:?} vs {named}"
        );
    }
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
