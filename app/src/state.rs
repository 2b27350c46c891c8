//! What every request handler and server function can reach on the server.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    /// The line and the batched writer every redemption goes through; see `redemptions::admission`.
    pub admission: crate::redemptions::admission::Admission,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pool: PgPool) -> Self {
        AppState {
            leptos_options,
            pool,
            admission: Default::default(),
        }
    }

    /// The state provided to the current request by the router.
    pub fn current() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| AppError::internal("request context", "AppState was not provided"))
    }
}
