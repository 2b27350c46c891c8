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

/// The member base now: members and 12-month revenue by segment, the distribution of
/// P(alive), the most valuable members, and the valuable members slipping away (P(alive)
/// falling since the weekly snapshot four weeks before).
#[utoipa::path(
    get,
    path = "/api/v1/insights/members",
    tag = "insights",
    responses(
        (status = 200, description = "as_of, compared_with, segments (members, revenue_12m_cents), p_alive bands, top, slipping"),
        (status = 401, description = "Missing or invalid API key", body = super::purchases::ApiErrorBody),
        (status = 403, description = "The key lacks the `insights:read` scope", body = super::purchases::ApiErrorBody),
    )
)]
pub async fn member_base(State(state): State<AppState>, key: ApiKey) -> Result<Response, AppError> {
    if let Err(refused) = key.require("insights:read") {
        return Ok(refused);
    }
    let base = app::insights::ssr::base::base(&state.pool).await?;
    Ok(Json(base).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MovementPeriod {
    /// The first date (YYYY-MM-DD, the store's zone); 90 days before `to` if absent.
    pub from: Option<String>,
    /// The second date; today if absent.
    pub to: Option<String>,
}

/// How members moved: the segment migration matrix between two dates (each date's segments
/// computed from the purchases made by then) and retention by month of first purchase.
#[utoipa::path(
    get,
    path = "/api/v1/insights/movement",
    tag = "insights",
    params(MovementPeriod),
    responses(
        (status = 200, description = "from, to, segments (column order), migration rows, cohorts (month, members, active per month since)"),
        (status = 401, description = "Missing or invalid API key", body = super::purchases::ApiErrorBody),
        (status = 403, description = "The key lacks the `insights:read` scope", body = super::purchases::ApiErrorBody),
        (status = 422, description = "Dates that are not dates, out of order, or in the future", body = super::purchases::ApiErrorBody),
    )
)]
pub async fn movement(
    State(state): State<AppState>,
    key: ApiKey,
    Query(period): Query<MovementPeriod>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("insights:read") {
        return Ok(refused);
    }
    let movement = app::insights::ssr::view::movement_figures(
        &state.pool,
        period.from.as_deref(),
        period.to.as_deref(),
    )
    .await?;
    Ok(Json(app::insights::ssr::movement::MovementFigures::from(
        movement,
    ))
    .into_response())
}
