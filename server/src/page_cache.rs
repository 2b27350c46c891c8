//! A one-second cache of the bazaar page for visitors who are not signed in.
//!
//! At drop time thousands of people load the bazaar in the same second, and for everyone not
//! signed in the page is the same; rendering it costs far more than serving bytes (the
//! benchmark compares it with a trivial handler). So the rendered, compressed page is kept for
//! at most a second, and one request renders it while the others in that moment wait for it
//! instead of all rendering at once.
//!
//! What keeps this safe:
//! - only `GET` requests without a signed-in session, only for the paths given, only `200` HTML
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
use tower_sessions::Session;

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
    async fn slot(&self, slot: Option<Slot>, session: Option<&Session>) -> Option<Slot> {
        let slot = slot?;
        if signed_in(session).await {
            return None;
        }
        Some(slot)
    }

    fn slot_for(&self, request: &Request) -> Option<Slot> {
        if request.method() != Method::GET
            || self.ttl.is_zero()
            || !self.paths.contains(&request.uri().path())
        {
            return None;
        }
        let url = page_key(request.uri())?;
        let encoding = request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // A page is in one language: the language chosen for this request is part of its key.
        let locale = request
            .extensions()
            .get::<app::domain::i18n::Locale>()
            .copied()
            .unwrap_or_default();
        // ...and so is the time zone a reader chose, which its times are written in.
        let zone = request
            .extensions()
            .get::<app::domain::i18n::ReaderZone>()
            .map_or("", |zone| zone.0.name());
        let key = (format!("{}{zone}{url}", locale.tag()), encoding);
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

/// Whether the request's session has an account signed in to it. It asks the session the
/// session layer (outside this one) made for the request, which loads its record once for
/// whoever asks: the page rendered next reads the same record, so a member's page costs no
/// query for this. A made-up or expired session cookie is a visitor like any other: it must not
/// buy a fresh render of the page.
async fn signed_in(session: Option<&Session>) -> bool {
    let Some(session) = session else {
        // No session layer outside: never serve a member the visitors' page wrongly.
        return true;
    };
    session
        .get_value(app::infra::caller::ACCOUNT_ID)
        .await
        // Not knowing, render for them, for the same reason.
        .map_or(true, |account| account.is_some())
}

/// What a cached page is keyed on: its path and the one query parameter the bazaar reads,
/// `category`, when it names a category. Anything else in the query string (tracking tags,
/// junk) does not change the page, so it shares the page's entry instead of pushing real pages
/// out; a `category` that names nothing is rendered uncached (its page names the mistake).
fn page_key(uri: &axum::http::Uri) -> Option<String> {
    let category = uri.query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "category")
            .map(|(_, value)| value)
    });
    match category {
        None | Some("") => Some(uri.path().to_owned()),
        Some(slug) => slug
            .parse::<app::domain::category::Category>()
            .ok()
            .map(|category| format!("{}?category={}", uri.path(), category.slug())),
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
    let slot = cache.slot_for(&request);
    let Some(slot) = cache
        .slot(slot, request.extensions().get::<Session>())
        .await
    else {
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
    let nonce = request
        .extensions()
        .get::<app::kit::page_status::PageNonce>()
        .cloned();
    let mut response = next.run(request).await;
    let html = crate::security::is_html(response.headers());
    if response.status() != StatusCode::OK
        || !html
        || response.headers().contains_key(header::SET_COOKIE)
    {
        *held = Some(pass);
        return response;
    }
    // The stored page names the nonce its scripts were rendered with: everyone served it in
    // its second gets that policy (a visitors' page holds nothing anyone wrote or owns).
    if let Some(app::kit::page_status::PageNonce(nonce)) = nonce {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            crate::security::page_policy(&nonce),
        );
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
