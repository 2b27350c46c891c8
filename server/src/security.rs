//! Cross-site request refusal for state-changing requests.
//!
//! Session cookies are `SameSite=Lax`, which already keeps them off most cross-site POSTs; this
//! check is the second lock: a POST (or other mutation) to a page or server function must carry
//! an `Origin` (or, failing that, `Referer`) naming this site: the configured public URL's
//! scheme and host (`BAZAAR_PUBLIC_URL`), or without one the host the request was sent to. The
//! integrator API is exempt:
//! it authenticates with keys, not cookies, so a forged request gains nothing; so is the
//! one-click unsubscribe address mail clients post to (its signed token is its authority).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::AppError;

/// The site's own origin (`https://rewards.example.com`), when configured.
#[derive(Clone, Default)]
pub struct SiteOrigin(pub Option<Arc<str>>);

pub async fn same_origin_mutations(
    State(site): State<SiteOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe
        || request.uri().path().starts_with("/api/v1/")
        || request.uri().path() == "/mail/unsubscribe"
        || same_origin(request.headers(), site.0.as_deref())
    {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        AppError::CrossSite.into_response()
    }
}

fn same_origin(headers: &HeaderMap, site: Option<&str>) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    if let Some(site) = site {
        // Scheme and host both: an `http://` page of the same host is another origin.
        return source.is_some_and(|url| {
            let origin = url.split(['?', '#']).next().unwrap_or_default();
            let origin = match origin.split_once("://") {
                Some((scheme, rest)) => {
                    let host = rest.split('/').next().unwrap_or_default();
                    format!("{scheme}://{host}")
                }
                None => return false,
            };
            origin.eq_ignore_ascii_case(site)
        });
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    match source {
        Some(url) => {
            let rest = url
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            authority.eq_ignore_ascii_case(host)
        }
        None => false,
    }
}

/// Headers every response carries: no MIME sniffing, no referrer beyond this site's origin,
/// no framing (also for answers that are not pages, which have no policy of their own), and
/// under https, HSTS: browsers use https for a year without asking.
///
/// Every request gets a fresh nonce from the OS random source, which the page writes on its
/// scripts and the policy names. The policy is set here rather than by the page as it
/// renders: a streamed page's headers can leave before its shell runs, and a page without its
/// policy got the deny-all one below, which stopped its scripts. A page that already carries a
/// policy keeps it: the visitors' bazaar page, served from its one-second cache, names the
/// nonce its body was rendered with.
pub async fn headers(State(https): State<bool>, mut request: Request, next: Next) -> Response {
    let nonce = app::infra::secret::random_token(22);
    request
        .extensions_mut()
        .insert(app::kit::page_status::PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if is_html(headers) {
            page_policy(&nonce)
        } else {
            header::HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Whether a response is a page (its policy names its nonce; anything else gets deny-all).
pub fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// A page's policy naming `nonce` (a token of letters and digits, so always a valid header).
pub fn page_policy(nonce: &str) -> header::HeaderValue {
    header::HeaderValue::from_str(&app::kit::page_status::page_policy(nonce))
        .unwrap_or_else(|_| header::HeaderValue::from_static("default-src 'none'"))
}
