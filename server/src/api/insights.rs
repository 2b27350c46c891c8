//! `GET /api/v1/insights/...`: the insights figures as JSON for BI tools, under keys with the
//! `insights:read` scope (a till's key cannot read the member base).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::keys::ApiKey;
use app::AppError;
use app::infra::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CheckPeriod {
    /// The models are fitted on purchases up to this day (YYYY-MM-DD, the store's zone).
    pub cutoff: String,
    /// …and compared with what happened up to this day.
    pub end: String,
}

/// The model check: BG/NBD and Gamma-Gamma fitted on purchases up to `cutoff` and compared
/// with what happened up to `end` (time unit: weeks).
#[utoipa::path(
    get,
    path = "/api/v1/insights/model-check",
    tag = "insights",
    params(CheckPeriod),
    responses(
        (status = 200, description = "Fitted parameters, holdout totals, conditional expectations, calibration histogram, weekly tracking"),
        (status = 401, description = "Missing or invalid API key", body = super::purchases::ApiErrorBody),
        (status = 403, description = "The key lacks the `insights:read` scope", body = super::purchases::ApiErrorBody),
        (status = 422, description = "Dates that are not dates, out of order, or in the future", body = super::purchases::ApiErrorBody),
    )
)]
pub async fn model_check(
    State(state): State<AppState>,
    key: ApiKey,
    Query(period): Query<CheckPeriod>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("insights:read") {
        return Ok(refused);
    }
    let check =
        app::insights::ssr::check::model_check(&state.pool, &period.cutoff, &period.end).await?;
    Ok(Json(check).into_response())
}
