//! Server-side halves of [`AppError`]: conversion from database errors and the HTTP mapping.

use super::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if unreachable(&error) {
            // Expected while PostgreSQL restarts or fails over: a warning, and a kind answer
            // with `Retry-After` instead of an opaque 500.
            tracing::warn!(%error, "database unreachable");
            return Self::Unavailable;
        }
        tracing::error!(%error, "database error");
        Self::Internal
    }
}

/// Whether `error` means the database could not be reached or went away mid-request (as
/// opposed to a query the database refused): no connection within the pool's short wait, a
/// refused or reset socket, or PostgreSQL shutting down or starting up (SQLSTATE class 08 and
/// 57P01–57P03).
pub fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        tracing::error!(%error, "migration error");
        Self::Internal
    }
}

/// A negative number where points were expected is a broken invariant (the database's CHECKs
/// keep balances and costs non-negative): an internal error, logged.
impl From<crate::domain::points::NegativePoints> for AppError {
    fn from(error: crate::domain::points::NegativePoints) -> Self {
        Self::internal("reading points", error)
    }
}

impl AppError {
    /// For `Retry-After`: how long until trying again can succeed.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Busy | Self::AlreadyPressing | Self::Overloaded => Some(1),
            Self::Unavailable => Some(2),
            Self::TooManySignUps { minutes } => Some((*minutes).max(1) as u64 * 60),
            Self::TooManyAttempts { minutes } => Some((*minutes).max(1) as u64 * 60),
            _ => None,
        }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Logs an unexpected failure with its detail and returns the opaque error the caller sees.
    pub fn internal(context: &str, detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        Self::Internal
    }
}

/// The name of the constraint a database error violated, if any. Errors are mapped by
/// constraint name so that rewording a message in Postgres can never change behaviour.
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    error.as_database_error().and_then(|e| e.constraint())
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::json!({
            "error": self,
            "message": self.to_string(),
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}

/// Sets the HTTP status of the current server-function (or page) response to match `error` and
/// hands the error back, so a server function ends in `.map_err(reply)`: a failed call is then a
/// 4xx/5xx on the wire, not a 200 (or a blanket 500) with an error body.
///
/// A plain HTML form post (no WebAssembly yet) is the exception: it must stay a redirect back to
/// the form, which carries the error in its URL for the page to show. Pages set their own status
/// when they render an error.
pub fn reply(error: AppError) -> AppError {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let wants_html = parts
        .as_ref()
        .and_then(|p| p.headers.get(axum::http::header::ACCEPT))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html
        && let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        options.set_status(error.status_code());
        if let Some(secs) = error.retry_after_secs() {
            options.insert_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
    }
    error
}
