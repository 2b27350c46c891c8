//! The whole HTTP app over a test's database, driven like a client: one method per endpoint
//! the tests call (in `member_calls.rs` and `staff_calls.rs`), with the URL taken from the
//! server function, and the plain requests those methods are made of.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use tower::ServiceExt;

use super::endpoints::{Admission, AppState, Config, Limits, ServerFn};
use super::http::{self, ORIGIN, Reply, form_body, urlencode};

/// The router the server builds, over the pool of one `#[sqlx::test]`.
#[derive(Clone)]
pub struct TestApp {
    pub router: Router,
    pub pool: PgPool,
    /// The address requests come from (`at_address`).
    peer: std::net::SocketAddr,
}

impl TestApp {
    /// The app as the server builds it.
    pub fn new(pool: PgPool) -> Self {
        Self::with_line(pool, Default::default())
    }

    /// The app with its redemption line sized by the test.
    pub fn with_line(pool: PgPool, admission: Admission) -> Self {
        let router = server::router(
            state(pool.clone()),
            admission,
            &server::HttpConfig::default(),
            pages(),
        );
        Self {
            router,
            pool,
            peer: http::CLIENT,
        }
    }

    /// The app with HTTP settings chosen by the test.
    pub fn with_config(pool: PgPool, config: &server::HttpConfig) -> Self {
        let router = server::router(state(pool.clone()), Default::default(), config, pages());
        Self {
            router,
            pool,
            peer: http::CLIENT,
        }
    }

    /// The app with Leptos options and HTTP settings chosen by the test (where the site's
    /// files are, whether their names are hashed).
    pub fn with_options(pool: PgPool, options: LeptosOptions, config: &server::HttpConfig) -> Self {
        let state = AppState::new(options, pool.clone(), Config::default());
        let router = server::router(state, Default::default(), config, pages());
        Self {
            router,
            pool,
            peer: http::CLIENT,
        }
    }

    /// The app as the server builds it from `config` (trusted proxies, public URL, hashing
    /// slots, sign-up limits), with the given line.
    pub fn with_settings(pool: PgPool, config: Config, admission: Admission) -> Self {
        let http = server::HttpConfig::new(&config);
        let state = AppState::new(options(), pool.clone(), config);
        let router = server::router(state, admission, &http, pages());
        Self {
            router,
            pool,
            peer: http::CLIENT,
        }
    }

    /// The same app, with requests coming from `ip` (a member on another network).
    pub fn at_address(&self, ip: &str) -> Self {
        Self {
            peer: std::net::SocketAddr::new(ip.parse().expect("an IP address"), 50_000),
            ..self.clone()
        }
    }

    fn stamp(&self, mut request: Request<Body>) -> Request<Body> {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        request
    }

    /// A GET without a session.
    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A GET with a session cookie.
    pub async fn get_as(&self, uri: &str, cookie: &str) -> Reply {
        self.send(
            Request::get(uri)
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST from the portal's own pages (as ActionForm sends it), optionally signed in.
    pub async fn post_form(&self, uri: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let mut request = Request::post(uri)
            .header("host", "bazaar.test")
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        http::send_with_cookie(
            &self.router,
            self.stamp(request.body(Body::from(form_body(form))).unwrap()),
        )
        .await
    }

    /// Any request, answered in full (or failing the test if no answer comes).
    pub async fn send(&self, request: Request<Body>) -> Reply {
        http::send(&self.router, self.stamp(request)).await
    }

    /// Any request, with the response as it comes: its body unread (a stream, a picture).
    pub async fn response(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(self.stamp(request))
            .await
            .unwrap()
    }

    /// A JSON POST to the earning API, with its key if given.
    pub async fn api_post(&self, uri: &str, key: Option<&str>, body: &str) -> Reply {
        let mut request = Request::post(uri).header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// GET server function `F` with `query` (pairs, encoded here), signed in or not.
    pub(super) async fn call<F: ServerFn>(
        &self,
        query: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Reply {
        let uri = if query.is_empty() {
            F::PATH.to_owned()
        } else {
            let query: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect();
            format!("{}?{}", F::PATH, query.join("&"))
        };
        match cookie {
            Some(cookie) => self.get_as(&uri, cookie).await,
            None => self.get(&uri).await,
        }
    }

    /// POST `form` to server function `F`, as its page's form does.
    pub(super) async fn submit<F: ServerFn>(
        &self,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Reply {
        self.post_form(F::PATH, form, cookie).await
    }
}

/// The page routes, listed once for the whole test binary: listing them while another test
/// renders a page would leave that page waiting forever (see `server::Pages`).
fn pages() -> &'static server::Pages {
    static PAGES: std::sync::OnceLock<server::Pages> = std::sync::OnceLock::new();
    PAGES.get_or_init(server::Pages::list)
}

fn options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("bazaar")
        .site_root("target/site")
        .build()
}

fn state(pool: PgPool) -> AppState {
    AppState::new(options(), pool, Config::default())
}

/// A line with room for everyone and a minute of patience, for tests that count
/// units sold rather than presses turned away.
pub fn patient_line() -> Admission {
    Admission::new(Limits {
        batch: 256,
        waiting: 10_000,
        max_wait: std::time::Duration::from_secs(60),
        // Every test request comes from one address.
        per_address: usize::MAX,
        ..Limits::default()
    })
}
