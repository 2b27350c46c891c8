//! API keys: created by an admin (CLI now, staff console later), shown once, stored as SHA-256.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;
use std::num::NonZeroU32;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use app::AppError;
use app::domain::i18n::tr;
use app::infra::state::AppState;

/// Requests per second per key, and the burst a till may send after being offline.
const PER_SECOND: u32 = 20;
const BURST: u32 = 100;

pub type KeyLimiter = DefaultKeyedRateLimiter<i64>;

pub fn limiter() -> Arc<KeyLimiter> {
    let quota = Quota::per_second(NonZeroU32::new(PER_SECOND).expect("non-zero"))
        .allow_burst(NonZeroU32::new(BURST).expect("non-zero"));
    Arc::new(RateLimiter::keyed(quota))
}

/// The integration a request comes from.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: i64,
    pub source: String,
    /// What it may do: `earn`, `import`, `insights:read`.
    pub scopes: Vec<String>,
}

impl ApiKey {
    /// A key that was not given `scope` is refused with 403 and a message naming the scope.
    /// Not an `AppError`: only integrators meet it, so the browser's bundle need not know it.
    #[expect(
        clippy::result_large_err,
        reason = "the refusal is the response itself, built once per refused call"
    )]
    pub fn require(&self, scope: &str) -> Result<(), Response> {
        if self.scopes.iter().any(|s| s == scope) {
            return Ok(());
        }
        let body = serde_json::json!({
            "error": "scope_missing",
            "message": tr().f("api.key.scope_missing", &[("scope", scope)]),
        });
        Err((StatusCode::FORBIDDEN, axum::Json(body)).into_response())
    }
}

fn sha256(secret: &str) -> Vec<u8> {
    app::team::ssr::sha256(secret)
}

/// Creates a key and returns it in full; only its hash is kept.
pub async fn create_api_key(
    pool: &PgPool,
    name: &str,
    source: &str,
    scopes: &[&str],
    created_by: Option<i64>,
) -> anyhow::Result<String> {
    let mut tx = pool.begin().await?;
    let (id, key) = app::team::ssr::create_key(&mut tx, name, source, created_by)
        .await
        .map_err(|e| match e {
            AppError::Invalid { message, .. } => anyhow::anyhow!(message),
            other => anyhow::anyhow!(other.to_string()),
        })?;
    sqlx::query!(
        "UPDATE api_keys SET scopes = $2 WHERE id = $1",
        id,
        scopes as &[&str]
    )
    .execute(&mut *tx)
    .await
    .map_err(
        |e| match app::domain::error::server::violated_constraint(&e) {
            Some("api_keys_scopes_known") => anyhow::anyhow!(
                "unknown scope in {scopes:?}: choose from earn, import, insights:read"
            ),
            _ => e.into(),
        },
    )?;
    tx.commit().await?;
    Ok(key)
}

impl<S> FromRequestParts<S> for ApiKey
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(key) = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|k| !k.is_empty())
        else {
            return Err(AppError::ApiKey {
                message: tr().t("api.key.missing").into(),
            });
        };
        let found = sqlx::query!(
            r#"UPDATE api_keys SET last_used_at = now()
               WHERE secret_sha256 = $1 AND revoked_at IS NULL
               RETURNING id, source, scopes"#,
            sha256(key)
        )
        .fetch_optional(&state.pool)
        .await?;
        let Some(found) = found else {
            return Err(AppError::ApiKey {
                message: tr().t("api.key.invalid").into(),
            });
        };
        let limiter = parts
            .extensions
            .get::<Arc<KeyLimiter>>()
            .ok_or_else(|| AppError::internal("API key", "rate limiter missing"))?;
        if let Err(not_until) = limiter.check_key(&found.id) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            return Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        Ok(ApiKey {
            id: found.id,
            source: found.source,
            scopes: found.scopes,
        })
    }
}

/// Declares the bearer key in the OpenAPI document.
pub struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rb_…")
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "api_key",
            Vec::<String>::new(),
        )]);
    }
}
