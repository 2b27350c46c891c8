//! While PostgreSQL cannot be reached (restarting, failing over), every page and press is
//! answered at once with 503, `Retry-After` and a kind message, never a hang or a bare 500.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::support::{self, TestApp, member_with};

const KIND: &str = "We can’t reach your points right now — press again in a moment; a press is never charged twice.";

/// The app over a database nobody answers for: a port on this machine where nothing listens.
fn app_without_its_database() -> TestApp {
    let gone = PgPoolOptions::new()
        .acquire_timeout(server::ACQUIRE_TIMEOUT)
        .connect_lazy("postgres://bazaar@127.0.0.1:9/bazaar")
        .unwrap();
    TestApp::new(gone)
}

#[sqlx::test]
async fn while_the_database_is_unreachable_presses_and_pages_are_answered_503_at_once(
    pool: PgPool,
) {
    let item = support::live_item(&pool, 20, 300).await;
    let (_, cookie) = member_with(&pool, 1, 1_000).await;
    let app = app_without_its_database();

    let started = Instant::now();
    let press = app.press(&cookie, item).await;
    // The pool gives up on a connection after `ACQUIRE_TIMEOUT` (0.8 s); anything near a
    // second more would be a hang somewhere.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(press.status, 503, "{}", press.body);
    assert_eq!(press.headers["retry-after"], "2");
    assert_eq!(press.app_error().to_string(), KIND);

    for (page, cookie) in [("/", None), ("/account", Some(cookie.as_str()))] {
        let started = Instant::now();
        let reply = match cookie {
            Some(cookie) => app.get_as(page, cookie).await,
            None => app.get(page).await,
        };
        assert!(started.elapsed() < Duration::from_secs(2), "{page}");
        assert_eq!(reply.status, 503, "{page}: {}", reply.body);
        assert_eq!(reply.headers["retry-after"], "2", "{page}");
        assert!(
            reply.body.contains("We can’t reach your points right now"),
            "{page}"
        );
    }
}
