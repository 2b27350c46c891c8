//! The earning API for integrators: the store's shop and tills send purchases (and refunds) and
//! members earn points. JSON over HTTPS under `/api/v1`, authenticated by API key, documented by
//! the OpenAPI document at `/api/v1/openapi.json`.

mod import;
mod insights;
mod keys;
mod members;
mod purchases;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use utoipa::OpenApi;

use app::infra::state::AppState;
use keys::BearerSecurity;

pub use app::imports::ssr::rows::{ImportReport, RejectedRow};
pub use keys::{ApiKey, KeyLimiter, create_api_key, limiter};
pub use purchases::{PurchaseReceipt, PurchaseRequest};

/// Purchases are small; anything bigger than this is not a purchase.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rewards Bazaar earning API",
        description = "Send purchases from shops and tills so members earn points. Every call needs an API key: `Authorization: Bearer <key>`. Purchases are idempotent on `external_id` per integration: sending the same purchase again returns the first result.",
        version = "1"
    ),
    paths(members::enrol_member, purchases::record_purchase, purchases::refund_purchase, import::import_purchases, insights::model_check, insights::member_base, insights::movement, openapi_json),
    components(schemas(members::EnrolRequest, members::Enrolment, purchases::PurchaseRequest, purchases::PurchaseReceipt, purchases::ApiErrorBody, app::imports::ssr::rows::ImportRow, app::imports::ssr::rows::ImportReport, app::imports::ssr::rows::RejectedRow)),
    modifiers(&BearerSecurity),
    tags(
        (name = "members", description = "Customers enrolled by the store's systems (keys with the import scope)"),
        (name = "purchases", description = "Purchases and refunds that earn or reverse points"),
        (name = "insights", description = "The member base's figures, for BI tools (keys with the insights:read scope)")
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "purchases", responses((status = 200, description = "The OpenAPI document")))]
async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

pub fn routes(limiter: Arc<KeyLimiter>) -> Router<AppState> {
    Router::new()
        .route("/api/v1/members", post(members::enrol_member))
        .route("/api/v1/purchases", post(purchases::record_purchase))
        .route(
            "/api/v1/purchases/{external_id}/refund",
            post(purchases::refund_purchase),
        )
        .route(
            "/api/v1/purchases/import",
            // Its own, larger body limit: the layer nearest the handler decides.
            post(import::import_purchases).layer(DefaultBodyLimit::max(import::MAX_BODY_BYTES)),
        )
        .route("/api/v1/insights/model-check", get(insights::model_check))
        .route("/api/v1/insights/members", get(insights::member_base))
        .route("/api/v1/insights/movement", get(insights::movement))
        .route("/api/v1/openapi.json", get(openapi_json))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::Extension(limiter))
}
