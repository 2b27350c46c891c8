//! Bounded work per client: what one stranger can and cannot take from everyone else at drop
//! time (sign-in and sign-up limits, password hashing, request sizes, proxies, origins).

use axum::body::Body;
use axum::http::Request;
use sqlx::PgPool;

use crate::support::endpoints::{Config, ServerFn, SignIn, SignUp};
use crate::support::{self, TestApp, count, patient_line};

const PW: &str = "correct horse battery";

fn behind_our_proxy() -> Config {
    Config {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Config::default()
    }
}

#[sqlx::test]
async fn a_strangers_failed_sign_ins_do_not_lock_the_owner_out(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let stranger = app.at_address("203.0.113.9");
    for _ in 0..5 {
        let reply = stranger.sign_in("maya@example.com", "rival's guess").await;
        assert_eq!(reply.status, 401);
    }
    let locked = stranger.sign_in("maya@example.com", "another guess").await;
    assert_eq!(locked.status, 429);
    assert_eq!(
        locked.app_error().to_string(),
        "Too many sign-in attempts. Try again in 1 minute."
    );
    // Maya, on her own phone, signs in as if nothing happened.
    let owner = app
        .at_address("198.51.100.7")
        .sign_in("maya@example.com", PW)
        .await;
    assert!(owner.cookie().is_some(), "{}", owner.body);
}

#[sqlx::test]
async fn each_further_failure_doubles_the_wait(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool.clone()).at_address("203.0.113.9");
    let mut waits = Vec::new();
    for _ in 0..4 {
        app.sign_in("maya@example.com", "guess").await;
    }
    // Failures five, six and seven; after each, the wait it earned passes (the attempts move
    // back in time by that much) before the next guess.
    for waited in [61, 121, 0] {
        app.sign_in("maya@example.com", "guess").await;
        waits.push(
            app.sign_in("maya@example.com", PW)
                .await
                .app_error()
                .to_string(),
        );
        sqlx::query("UPDATE sign_in_attempts SET at = at - make_interval(secs => $1)")
            .bind(f64::from(waited))
            .execute(&pool)
            .await
            .unwrap();
    }
    assert_eq!(
        waits,
        [
            "Too many sign-in attempts. Try again in 1 minute.",
            "Too many sign-in attempts. Try again in 2 minutes.",
            "Too many sign-in attempts. Try again in 4 minutes.",
        ]
    );
}

#[sqlx::test]
async fn behind_a_trusted_proxy_each_client_is_counted_by_the_address_the_proxy_saw(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::with_settings(pool, behind_our_proxy(), Default::default());
    let via_proxy = |forwarded: String, password: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::post(SignIn::PATH)
                .header("host", "bazaar.test")
                .header("origin", support::ORIGIN)
                .header("x-forwarded-for", forwarded)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "email=maya%40example.com&password={}",
                    support::urlencode(password)
                )))
                .unwrap();
            app.send(request).await
        }
    };
    // The stranger makes up a new first entry every time; the proxy appends what it saw.
    for n in 0..5 {
        let reply = via_proxy(format!("10.9.9.{n}, 203.0.113.9"), "guess").await;
        assert_eq!(reply.status, 401);
    }
    let locked = via_proxy("1.1.1.1, 203.0.113.9".into(), PW).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    let owner = via_proxy("198.51.100.7".into(), PW).await;
    assert!(owner.status.is_success(), "{}", owner.body);
}

#[sqlx::test]
async fn a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    // No proxy is trusted: X-Forwarded-For is the client's own invention.
    let app = TestApp::new(pool).at_address("203.0.113.9");
    for n in 0..6 {
        let request = Request::post(SignIn::PATH)
            .header("host", "bazaar.test")
            .header("origin", support::ORIGIN)
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("email=maya%40example.com&password=guess"))
            .unwrap();
        let reply = app.send(request).await;
        let expected = if n < 5 { 401 } else { 429 };
        assert_eq!(reply.status, expected, "attempt {n}: {}", reply.body);
    }
}

#[sqlx::test]
async fn sign_ups_beyond_the_hashing_bound_are_answered_busy_without_hashing(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "taken@example.com", PW).await;
    // No hashing slot at all: every password that would need hashing is refused at once.
    let config = Config {
        hashing_concurrency: 0,
        hashing_wait: std::time::Duration::ZERO,
        ..Config::default()
    };
    let app = TestApp::with_settings(pool.clone(), config, Default::default());
    let busy = app.sign_up("new@example.com", "New Member", PW).await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert_eq!(busy.headers["retry-after"], "1");
    assert_eq!(
        busy.app_error().to_string(),
        "The bazaar is very busy right now. Nothing was saved; please try again in a moment."
    );
    assert_eq!(count(&pool, "accounts").await, 1, "nothing was written");
    // A taken email is hashed like a new one (the answers must not differ), so it is busy too.
    let taken = app.sign_up("taken@example.com", "Someone", PW).await;
    assert_eq!(taken.status, 503);
    // Sign-in checks a password too: busy as well, and it says so rather than "wrong password";
    // a sign-in turned away busy was never tried, so it counts as no failure.
    for _ in 0..6 {
        let sign_in = app.sign_in("taken@example.com", PW).await;
        assert_eq!(sign_in.status, 503);
    }
    assert_eq!(count(&pool, "sign_in_attempts").await, 0);
}

#[sqlx::test]
async fn sign_ups_from_one_address_are_limited_per_hour(pool: PgPool) {
    support::store(&pool).await;
    let config = Config {
        sign_ups_per_address_hour: 2,
        ..Config::default()
    };
    let app = TestApp::with_settings(pool.clone(), config, Default::default());
    let bot = app.at_address("203.0.113.9");
    for n in 0..2 {
        let reply = bot.sign_up(&format!("bot{n}@example.com"), "Bot", PW).await;
        assert_eq!(
            reply.headers["location"], "/account?step=check-email",
            "{}",
            reply.body
        );
    }
    let refused = bot.sign_up("bot2@example.com", "Bot", PW).await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.app_error().to_string(),
        "Too many new accounts were made from your network just now. Try again in 60 minutes."
    );
    assert_eq!(count(&pool, "accounts").await, 2);
    let neighbour = app
        .at_address("198.51.100.7")
        .sign_up("maya@example.com", "Maya", PW)
        .await;
    assert_eq!(
        neighbour.headers["location"], "/account?step=check-email",
        "another address is not held back"
    );
}

#[sqlx::test]
async fn wrong_current_passwords_are_limited_like_sign_ins(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool);
    let cookie = app.signed_in("maya@example.com", PW).await;
    for _ in 0..5 {
        let reply = app
            .change_password(
                Some(&cookie),
                "a stolen session's guess",
                "new password 123",
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
    }
    let reply = app
        .change_password(Some(&cookie), PW, "new password 123")
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.app_error().to_string(),
        "Too many sign-in attempts. Try again in 1 minute."
    );
}

#[sqlx::test]
async fn a_form_over_64_kib_is_refused_before_it_is_read(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let huge = format!(
        "email=maya%40example.com&display_name=Maya&password={}",
        "p".repeat(100 * 1024)
    );
    let request = Request::post(SignUp::PATH)
        .header("host", "bazaar.test")
        .header("origin", support::ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", huge.len())
        .body(Body::from(huge))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.json()["message"],
        "This request is too large: forms take at most 64 KiB."
    );
    assert_eq!(count(&pool, "accounts").await, 0);
}

#[sqlx::test]
async fn with_a_public_url_only_its_own_scheme_and_host_may_post(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let config = Config {
        public_origin: Some("https://rewards.example.com".into()),
        https: true,
        ..Config::default()
    };
    let app = TestApp::with_settings(pool, config, patient_line());
    let post_from = |origin: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::post(SignIn::PATH)
                .header("host", "rewards.example.com")
                .header("origin", origin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "email=maya%40example.com&password={}",
                    support::urlencode(PW)
                )))
                .unwrap();
            app.send(request).await
        }
    };
    let twin = post_from("http://rewards.example.com").await;
    assert_eq!(twin.status, 403);
    assert_eq!(
        twin.json()["message"],
        "This request came from another site and was refused."
    );
    let own = post_from("https://rewards.example.com").await;
    assert!(own.status.is_success(), "{}", own.body);
}

/// The app served on a real socket with `limits`, as the server binary serves it.
async fn served(pool: PgPool, limits: server::serve::ConnectionLimits) -> std::net::SocketAddr {
    let app = TestApp::new(pool);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve::serve(
        listener,
        app.router,
        limits,
        std::future::pending(),
    ));
    addr
}

/// What the server sends on `stream` until it closes it (or `within` passes: `None`).
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut got))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&got).into_owned())
}

#[sqlx::test]
async fn a_connection_that_never_finishes_its_headers_is_closed(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    support::store(&pool).await;
    let addr = served(
        pool,
        server::serve::ConnectionLimits {
            max_connections: 10,
            header_read_timeout: std::time::Duration::from_millis(300),
        },
    )
    .await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: bazaar.test\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow, std::time::Duration::from_secs(10)).await;
    assert!(answer.is_some(), "the slow connection was closed");
    assert!(!answer.unwrap().contains("200 OK"), "and never served");
}

#[sqlx::test]
async fn connections_beyond_the_cap_are_closed_at_once_and_the_others_served(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    support::store(&pool).await;
    let addr = served(
        pool,
        server::serve::ConnectionLimits {
            max_connections: 2,
            header_read_timeout: std::time::Duration::from_secs(30),
        },
    )
    .await;
    let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let shed = read_until_closed(&mut third, std::time::Duration::from_secs(5)).await;
    assert_eq!(shed.as_deref(), Some(""), "closed without a word");
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: bazaar.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut first, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[sqlx::test]
async fn members_loaded_in_bulk_do_not_count_as_a_crowd_of_sign_ups(pool: PgPool) {
    // The demo store (or an import) makes a thousand accounts at once.
    server::demo::seed_if_empty(&pool, server::demo::DemoSize::FULL, chrono::Utc::now())
        .await
        .unwrap();
    let app = TestApp::new(pool);
    let reply = app.sign_up("new@example.com", "New Member", PW).await;
    assert_eq!(
        reply.headers["location"], "/account?step=check-email",
        "{}",
        reply.body
    );
}
