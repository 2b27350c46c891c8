//! `POST /api/v1/purchases/import`: years of purchases brought in when a store adopts the portal.
//!
//! A batch of up to [`MAX_ROWS`] purchases, as a JSON array or as NDJSON (one purchase per
//! line), with their original dates. The rows are checked and written by the import shared
//! with staff's CSV uploads (`app::imports::ssr::rows`): each bad row reported by line, the
//! good ones written in one transaction, a replay adding nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::keys::ApiKey;
use app::AppError;
use app::domain::i18n::tr;
use app::imports::ssr::rows::{MAX_ROWS, Origin, import};
use app::infra::state::AppState;

/// The import's own body limit: 5,000 purchases of ~200 bytes, with room to spare.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Import a batch of historical purchases.
#[utoipa::path(
    post,
    path = "/api/v1/purchases/import",
    tag = "purchases",
    request_body(content = Vec<app::imports::ssr::rows::ImportRow>, description = "A JSON array, or NDJSON with `Content-Type: application/x-ndjson`"),
    responses(
        (status = 200, description = "Checked; the good rows written, the others reported by line", body = app::imports::ssr::rows::ImportReport),
        (status = 400, description = "Not JSON or NDJSON, or more than 5,000 rows", body = super::purchases::ApiErrorBody),
        (status = 401, description = "Missing or invalid API key", body = super::purchases::ApiErrorBody),
        (status = 403, description = "The key lacks the `import` scope", body = super::purchases::ApiErrorBody),
        (status = 413, description = "Body larger than 2 MiB", body = super::purchases::ApiErrorBody),
    )
)]
pub async fn import_purchases(
    State(state): State<AppState>,
    key: ApiKey,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("import") {
        return Ok(refused);
    }
    let body = body.map_err(|_| AppError::PayloadTooLarge {
        message: tr().f(
            "api.body.too_large",
            &[("kib", &(MAX_BODY_BYTES / 1024).to_string())],
        ),
    })?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-ndjson"));
    let rows = split_rows(&body, ndjson)?;
    let origin = Origin {
        source: key.source.clone(),
        api_key_id: Some(key.id),
        upload_id: None,
    };
    let report = import(&state.pool, &origin, rows, Vec::new(), Utc::now()).await?;
    Ok((StatusCode::OK, axum::Json(report)).into_response())
}

/// The body's rows with their line numbers, each still to be read on its own (so one bad row
/// does not hide the others).
fn split_rows(body: &[u8], ndjson: bool) -> Result<Vec<(usize, serde_json::Value)>, AppError> {
    let tr = tr();
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::bad_request(tr.t("api.import.not_utf8")))?;
    let rows: Vec<(usize, serde_json::Value)> = if ndjson {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // A line that is not JSON at all is still a row: reported, not fatal.
            let value = serde_json::from_str(line).unwrap_or(serde_json::Value::Null);
            rows.push((i + 1, value));
        }
        rows
    } else {
        let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| {
            AppError::bad_request(tr.f("api.import.not_json", &[("detail", &e.to_string())]))
        })?;
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect()
    };
    if rows.len() > MAX_ROWS {
        return Err(AppError::bad_request(tr.f(
            "api.import.too_many_rows",
            &[
                ("rows", &rows.len().to_string()),
                ("limit", &MAX_ROWS.to_string()),
            ],
        )));
    }
    Ok(rows)
}
