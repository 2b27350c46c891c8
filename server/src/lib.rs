//! The Rewards Bazaar server: the HTTP router, the database, the embedded cluster and the demo
//! store. `main.rs` wires these together; integration tests use them directly.

pub mod api;
pub mod demo;
pub mod embedded_pg;
pub mod invariants;
pub mod jobs;
pub mod language;
pub mod limits;
pub mod live;
pub mod mail;
pub mod media;
pub mod page_cache;
pub mod security;
pub mod serve;
pub mod sessions;
pub mod web_app;

use axum::Router;
use axum::routing::get;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::infra::config::Config;
use app::infra::state::AppState;
use app::redemptions::ssr::admission::Admission;
use app::{App, shell};

/// The schema, embedded in the binary.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// How many connections the server keeps to PostgreSQL: `DATABASE_POOL_SIZE`, or four per core
/// of this machine, from 8 to 32. More connections than the database has cores to run them only
/// queue inside PostgreSQL, where they take the cores from the batch that holds a hot reward's
/// row (README, Performance: the pool sized to the cores). The cap keeps a big host (or a container that sees the host's cores) with a few
/// replicas under PostgreSQL's default limit of 100 connections. The live-stock listener keeps
/// one of them.
pub fn pool_size(setting: Option<&str>, cores: usize) -> anyhow::Result<u32> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (4..=1000).contains(n))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "DATABASE_POOL_SIZE {text:?} is not a number of connections from 4 to 1000"
                )
            }),
        None => Ok(u32::try_from(cores.saturating_mul(4))
            .unwrap_or(u32::MAX)
            .clamp(8, 32)),
    }
}

/// The longest a request waits for a database connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// A pooled connection idle this long is checked before use (see `connect`).
const CHECK_CONNECTIONS_IDLE_FOR: std::time::Duration = std::time::Duration::from_millis(50);

/// A server starting while PostgreSQL restarts (a failover, the whole machine booting) keeps
/// trying this long before it gives up.
const START_WAITING_FOR_DATABASE: std::time::Duration = std::time::Duration::from_secs(60);

/// Connects to `url` and brings the schema up to date. Each connection carries the store's
/// language as the setting `bazaar.default_language`: the database's `fits_audience` takes it
/// for members who never chose one.
pub async fn connect(
    url: &str,
    max_connections: u32,
    default_language: app::domain::i18n::Lang,
) -> anyhow::Result<PgPool> {
    let connect_options = url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a PostgreSQL address: {e}"))?
        .options([("bazaar.default_language", default_language.code())]);
    let options = PgPoolOptions::new()
        .max_connections(max_connections)
        // While PostgreSQL is unreachable, a request hears "press again in a moment" within a
        // second instead of hanging; the pool reconnects by itself when it is back.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx checks every connection with a round trip when it is taken from the pool, on top
        // of the one it makes when the connection is put back: on a busy page of seven queries
        // that is a third of the round trips. A connection put back moments ago answered then;
        // one that sat idle may have been cut (a database restart takes far longer than this),
        // so only that one is checked. A failed check drops it and the pool takes another.
        .test_before_acquire(false)
        .before_acquire(|connection, taken| {
            Box::pin(async move {
                if taken.idle_for >= CHECK_CONNECTIONS_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        });
    let started = std::time::Instant::now();
    let pool = loop {
        match options.clone().connect_with(connect_options.clone()).await {
            Ok(pool) => break pool,
            Err(error)
                if app::domain::error::server::unreachable(&error)
                    && started.elapsed() < START_WAITING_FOR_DATABASE =>
            {
                tracing::warn!(%error, "the database is not reachable yet; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(error) => anyhow::bail!("could not connect to the database: {error}"),
        }
    };
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies pending migrations; a failure names the migration and why, and the caller stops.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    migrator()
        .run(pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}. The server will not start on a schema it does not understand."))
}

/// How the server is reached, which decides cookie settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Served over HTTPS (directly or behind a TLS proxy): cookies get `Secure`.
    pub https: bool,
    /// How long the bazaar page is kept for visitors who are not signed in; see `page_cache`.
    pub page_cache: std::time::Duration,
    /// Live-stock streams allowed per client address and in all; see `live`.
    pub live_streams: live::StreamLimits,
    /// The store's language, for readers who choose none (`BAZAAR_DEFAULT_LANGUAGE`).
    pub default_lang: app::domain::i18n::Lang,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            https: false,
            page_cache: std::time::Duration::from_secs(1),
            live_streams: live::StreamLimits::default(),
            default_lang: app::domain::i18n::Lang::En,
        }
    }
}

impl HttpConfig {
    /// From the server's configuration (`BAZAAR_PUBLIC_URL`, e.g. `https://rewards.example.com`).
    pub fn new(config: &Config) -> Self {
        Self {
            https: config.https,
            default_lang: config.default_language,
            ..Self::default()
        }
    }
}

/// Makes sure the store has its settings row; a fresh production database gets these defaults,
/// which staff change later.
pub async fn ensure_store_settings(pool: &PgPool, name: &str, zone: &str) -> anyhow::Result<()> {
    let _: chrono_tz::Tz = zone.parse().map_err(|_| {
        anyhow::anyhow!(
            "BAZAAR_STORE_TIME_ZONE {zone:?} is not an IANA time zone such as America/New_York"
        )
    })?;
    sqlx::query!(
        "INSERT INTO store_settings (name, time_zone) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        name,
        zone
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The app's page routes, as Leptos lists them by running the app once with data loading
/// switched off. Leptos switches it off for the whole process while it lists (leptos#4773), so
/// a page being rendered at that moment waits forever for its data. So the list is made once,
/// before anything is served, and every router is built from it.
#[derive(Clone)]
pub struct Pages(Vec<AxumRouteListing>);

impl Pages {
    pub fn list() -> Self {
        Pages(generate_route_list(App))
    }
}

/// The whole HTTP surface: pages, server functions, the integrator API, media and static files.
/// `line` is the redemption line every press goes through; it is provided to server functions
/// beside the app's state (which holds infrastructure only).
pub fn router(state: AppState, line: Admission, config: &HttpConfig, pages: &Pages) -> Router {
    let routes = pages.0.clone();
    let options = state.leptos_options.clone();
    let hashed_files = options.hash_files;
    // Only the bazaar itself: it is what a drop's crowd loads in the same second.
    let pages = page_cache::PageCache::new(state.pool.clone(), &["/"], config.page_cache);
    // Sessions live in Postgres so that every server instance sees them and sign-out is real.
    // Under https the cookie is `__Host-`: browsers then refuse it unless it is `Secure`, for
    // this host only and the whole site, so a sibling subdomain cannot plant or shadow it.
    let cookie_name = if config.https {
        "__Host-bazaar_session"
    } else {
        "bazaar_session"
    };
    let sessions = SessionManagerLayer::new(sessions::PgSessionStore::new(state.pool.clone()))
        .with_name(cookie_name)
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.https)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(14),
        ));
    Router::new()
        .route("/media/rewards/{file}", get(media::reward_image))
        .route("/media/rewards/{id}/photo", get(media::reward_photo))
        .route(
            "/staff/rewards/{id}/photo",
            axum::routing::post(app::catalog::ssr::upload_photo),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/sw.js", get(web_app::service_worker))
        .route("/manifest.webmanifest", get(web_app::manifest))
        .route("/language", axum::routing::post(language::switch))
        .route(
            "/mail/unsubscribe",
            axum::routing::post(one_click_unsubscribe),
        )
        .route("/staff/drops/{id}/report.csv", get(app::reports::ssr::csv))
        .route(
            "/staff/next-actions.csv",
            get(app::campaigns::ssr::actions::csv),
        )
        .route(
            app::imports::UPLOAD_PATH,
            // A CSV file of history: its own body limit (the form limit is 64 KiB).
            axum::routing::post(app::imports::ssr::upload::upload).layer(
                axum::extract::DefaultBodyLimit::max(app::imports::UPLOAD_MAX_BYTES + 64 * 1024),
            ),
        )
        .route(
            "/staff/members/{id}/data.json",
            get(app::member_care::ssr::member_data),
        )
        .route(
            app::account::data_rights::MY_DATA_PATH,
            get(app::account::ssr::download_my_data),
        )
        .route(
            "/staff/imports/{id}/rejected.csv",
            get(app::imports::ssr::upload::rejected_csv),
        )
        .route("/api/live/stock", get(live::stock_events))
        .layer(axum::Extension(live::StockFeed::new(
            state.pool.clone(),
            config.live_streams,
        )))
        .merge(api::routes(api::limiter()))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::prelude::provide_context(line.clone());
                leptos::prelude::provide_context(app::infra::caller::PageCaller::default());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            hashed_files,
            media::site_file_cache,
        ))
        .layer(axum::middleware::from_fn_with_state(
            security::SiteOrigin(state.config.public_origin.as_deref().map(Into::into)),
            security::same_origin_mutations,
        ))
        .layer(axum::middleware::from_fn(limits::bounded_bodies))
        .layer(CompressionLayer::new())
        // Outside compression, so a cached page is stored (and served) already compressed.
        .layer(axum::middleware::from_fn_with_state(
            pages,
            page_cache::serve,
        ))
        // Outside the page cache, which asks the request's session whether a member is signed in:
        // the session's record is then read once, for the cache and the page alike.
        .layer(sessions)
        // Outside the page cache, which keys on the language chosen here.
        .layer(axum::middleware::from_fn_with_state(
            language::Choice {
                default: config.default_lang,
                https: config.https,
            },
            language::choose,
        ))
        .layer(axum::middleware::from_fn_with_state(
            config.https,
            security::headers,
        ))
        .with_state(state)
}

/// RFC 8058 one-click unsubscribe: a mail client posts `List-Unsubscribe=One-Click` to the
/// address in the message's `List-Unsubscribe` header, with no cookie and no page. The signed
/// token in the address is the whole authority (and why this path is exempt from the origin
/// check, as the integrators' API is).
async fn one_click_unsubscribe(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = query.get("token").map(String::as_str).unwrap_or_default();
    match app::account::ssr::unsubscribe(&state.pool, token).await {
        Ok(()) => (
            axum::http::StatusCode::OK,
            app::domain::i18n::tr().t("account.by_mail.unsubscribed"),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::pool_size;

    /// Integrators, load tests and caches rely on stable, readable server function URLs such
    /// as `/api/fn/redeem`: without its own `endpoint`, a function gets a hashed one.
    #[test]
    fn every_server_function_has_a_readable_url_under_api_fn() {
        let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect();
        assert!(paths.len() >= 30, "found {} server functions", paths.len());
        for path in &paths {
            let endpoint = path
                .strip_prefix("/api/fn/")
                .unwrap_or_else(|| panic!("{path} is not under /api/fn/"));
            assert!(
                endpoint
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'/'),
                "{path} is not a readable endpoint"
            );
        }
        assert!(paths.contains(&"/api/fn/redeem"));
    }

    #[test]
    fn the_pool_has_four_connections_per_core_from_eight_to_thirty_two() {
        assert_eq!(pool_size(None, 1).unwrap(), 8);
        assert_eq!(pool_size(None, 2).unwrap(), 8);
        assert_eq!(pool_size(None, 6).unwrap(), 24);
        assert_eq!(pool_size(None, 64).unwrap(), 32);
        assert_eq!(pool_size(Some(" "), 2).unwrap(), 8);
        assert_eq!(pool_size(Some("24"), 2).unwrap(), 24);
        assert_eq!(pool_size(Some("200"), 2).unwrap(), 200);
    }

    #[test]
    fn a_pool_size_that_is_not_a_sensible_number_is_refused_naming_the_setting() {
        for bad in ["lots", "0", "3", "-8", "100000"] {
            let err = pool_size(Some(bad), 2).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("DATABASE_POOL_SIZE {bad:?} is not a number of connections from 4 to 1000")
            );
        }
    }
}
