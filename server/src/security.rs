//! Cross-site request refusal for state-changing requests.
//!
//! Session cookies are `SameSite=Lax`, which already keeps them off most cross-site POSTs; this
//! check is the second lock: a POST (or other mutation) to a page or server function must carry
//! an `Origin` (or, failing that, `Referer`) naming this very host. The integrator API is exempt:
//! it authenticates with keys, not cookies, so a forged request gains nothing.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::AppError;

pub async fn same_origin_mutations(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path().starts_with("/api/v1/") || same_origin(request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        AppError::CrossSite.into_response()
    }
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
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
