//! Bounds on what one request may ask of the server.
//!
//! Server functions take forms and small JSON: 64 KiB is far beyond any of them, and a body
//! beyond it is refused before it is read, with a message saying so. The earning API and photo
//! uploads have limits of their own (`api::MAX_BODY_BYTES`, `catalog::ssr::upload_photo`,
//! `imports::UPLOAD_MAX_BYTES`).

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;

use app::AppError;
use app::domain::i18n::tr;

/// The largest body a page or server function accepts.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

pub async fn bounded_bodies(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let own_limit = path.starts_with("/api/v1/")
        || path.ends_with("/photo")
        || path == app::imports::UPLOAD_PATH;
    if own_limit {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES as u64) {
        return too_large().into_response();
    }
    // A body sent without a length (chunked) is cut off where it passes the limit.
    let (parts, body) = request.into_parts();
    let body = Body::new(Limited::new(body, MAX_FORM_BYTES));
    next.run(Request::from_parts(parts, body)).await
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge {
        message: tr().f(
            "api.form_too_large",
            &[("kib", &(MAX_FORM_BYTES / 1024).to_string())],
        ),
    }
}
