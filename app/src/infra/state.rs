//! What every request handler and server function can reach on the server: infrastructure
//! only. A feature's own long-lived parts (the redemption line, say) are provided beside it by
//! the server, as their own context, so this layer knows no feature.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use tokio::sync::Semaphore;

use super::config::Config;
use crate::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Slots for password hashing, `config.hashing_concurrency` of them: each hash takes a core
    /// and 19 MiB for a fraction of a second, so a crowd of sign-ups (or a bot's) must queue
    /// briefly and then hear "busy" rather than take every core and gigabytes from the
    /// redemption writer.
    pub hashing: Arc<Semaphore>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pool: PgPool, config: Config) -> Self {
        AppState {
            leptos_options,
            pool,
            hashing: Arc::new(Semaphore::new(config.hashing_concurrency)),
            config: Arc::new(config),
        }
    }

    /// The state provided to the current request by the router.
    pub fn current() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| AppError::internal("request context", "AppState was not provided"))
    }
}
