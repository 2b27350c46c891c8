//! A one-second cache of the bazaar page for visitors who are not signed in.
//!
//! At drop time thousands of people load the bazaar in the same second, and for everyone not
//! signed in the page is the same; rendering it costs far more than serving bytes (the
//! benchmark compares it with a trivial handler). So the rendered, compressed page is kept for
//! at most a second, and one request renders it while the others in that moment wait for it
//! instead of all rendering at once.
//!
//! What keeps this safe:
//! - only `GET` requests without a session cookie, only for the paths given, only `200` HTML
//!   responses that set no cookie are cached: a signed-in member's page (their balance, their
//!   tier) is never stored, and never served to anyone;
//! - an entry never outlives the next drop opening or closing, so nobody is shown a drop as
//!   "opens soon" after it opened, or as open after it closed;
//! - each `Accept-Encoding` gets its own entry, because the body is stored compressed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Different URLs (query strings) kept at once; beyond this, pages are rendered uncached
/// rather than letting made-up query strings fill memory.
const MAX_ENTRIES: usize = 64;
/// Pages are a few tens of kilobytes; a page beyond this is answered with a 500 (and logged).
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    until: DateTime<Utc>,
}

/// What one URL's slot holds.
enum Cached {
    Page(Page),
    /// The last render could not be kept (an error, a cookie): until `until`, requests skip the
    /// slot and render side by side, as without a cache, instead of queueing on its lock.
    Pass {
        until: DateTime<Utc>,
    },
}

impl Cached {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        match self {
            Cached::Page(page) => now < page.until,
            Cached::Pass { until } => now < *until,
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

#[derive(Clone)]
pub struct PageCache {
    pool: PgPool,
    paths: Arc<[&'static str]>,
    ttl: Duration,
    slots: Arc<Mutex<HashMap<(String, String), Slot>>>,
}

impl PageCache {
    /// Caches `paths` (exact, any query string) for `ttl` at most.
    pub fn new(pool: PgPool, paths: &[&'static str], ttl: Duration) -> Self {
        PageCache {
            pool,
            paths: paths.into(),
            ttl,
            slots: Arc::default(),
        }
    }

    /// The slot for this request, or `None` when it must not be cached.
    fn slot(&self, request: &Request) -> Option<Slot> {
        let anonymous = !request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .any(|c| c.to_str().map_or(true, |c| c.contains("bazaar_session=")));
        if request.method() != Method::GET
            || !anonymous
            || self.ttl.is_zero()
            || !self.paths.contains(&request.uri().path())
        {
            return None;
        }
        let url = request.uri().to_string();
        let encoding = request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let key = (url, encoding);
        if !slots.contains_key(&key) && slots.len() >= MAX_ENTRIES {
            // Make room from slots nobody is using whose content has expired.
            let now = Utc::now();
            slots.retain(|_, slot| {
                slot.try_lock()
                    .map_or(true, |held| held.as_ref().is_some_and(|c| c.fresh(now)))
            });
            if slots.len() >= MAX_ENTRIES {
                return None;
            }
        }
        Some(slots.entry(key).or_default().clone())
    }

    /// When a page rendered now stops being true: a second from now, or the next moment a
    /// drop opens or closes, whichever comes first.
    async fn until(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, sqlx::Error> {
        let next = sqlx::query_scalar!(
            r#"SELECT min(t) FROM (
                   SELECT starts_at AS t FROM drops WHERE starts_at > $1
                   UNION ALL
                   SELECT ends_at FROM drops WHERE ends_at > $1
               ) boundaries"#,
            now
        )
        .fetch_one(&self.pool)
        .await?;
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or_default();
        Ok(next.map_or(now + ttl, |next| next.min(now + ttl)))
    }
}

impl Page {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(slot) = cache.slot(&request) else {
        return next.run(request).await;
    };
    // Held while rendering: whoever comes meanwhile waits for this render instead of starting
    // their own.
    let mut held = slot.lock().await;
    let now = Utc::now();
    match held.as_ref() {
        Some(Cached::Page(page)) if now < page.until => return page.response(),
        Some(pass @ Cached::Pass { .. }) if pass.fresh(now) => {
            drop(held);
            return next.run(request).await;
        }
        _ => {}
    }
    let pass = Cached::Pass {
        until: now + chrono::Duration::from_std(cache.ttl).unwrap_or_default(),
    };
    let until = match cache.until(now).await {
        Ok(until) => until,
        Err(error) => {
            tracing::warn!(%error, "page cache: could not read drop times; not caching");
            *held = Some(pass);
            drop(held);
            return next.run(request).await;
        }
    };
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if response.status() != StatusCode::OK
        || !html
        || response.headers().contains_key(header::SET_COOKIE)
    {
        *held = Some(pass);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "page cache: could not read a rendered page");
            *held = Some(pass);
            return app::AppError::Internal.into_response();
        }
    };
    let page = Page {
        status: parts.status,
        headers: parts.headers,
        body,
        until,
    };
    let response = page.response();
    *held = Some(Cached::Page(page));
    response
}
