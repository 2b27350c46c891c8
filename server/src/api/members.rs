//! `POST /api/v1/members`: the store's systems enrol a customer before they ever sign in.
//!
//! An enrolled account has no password, so nobody can sign in to it. Its owner claims it by
//! following a link mailed to the address (asked for with "Forgot your password?", or mailed
//! when someone signs up with the address): following it proves the address and sets the
//! password. Signing up with an enrolled address creates nothing and changes nothing, exactly
//! as for any taken address, so an enrolled member's history cannot be taken by a stranger
//! who knows their email.
//!
//! Idempotent per (integration, customer id): enrolling the same customer again answers with
//! the same member. An address that is already a member's is linked to the customer id.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use super::keys::ApiKey;
use super::purchases::json_error;
use app::AppError;
use app::domain::account::{DISPLAY_NAME_MAX, Email, parse_display_name};
use app::domain::i18n::tr;
use app::infra::state::AppState;

/// A customer to enrol.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The customer's email address: the link to claim the account goes there.
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// What the portal calls the member (1-80 characters).
    #[schema(example = "Ana López")]
    pub name: String,
    /// The customer's id in your system (1-128 characters), unique per integration.
    #[schema(example = "C-000481")]
    pub customer_id: String,
    /// When the customer joined your programme (RFC 3339); now if absent.
    pub joined_at: Option<DateTime<Utc>>,
}

/// The member the customer is in the portal.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Enrolment {
    pub member_id: i64,
    pub email: String,
    pub customer_id: String,
    /// False when the customer was enrolled (or had signed up) before this call.
    pub created: bool,
    /// False until the member has claimed the account by following a mailed link.
    pub claimed: bool,
}

/// Enrol a customer as a member, without a password.
#[utoipa::path(
    post,
    path = "/api/v1/members",
    tag = "members",
    request_body = EnrolRequest,
    responses(
        (status = 201, description = "Enrolled", body = Enrolment),
        (status = 200, description = "Already a member: the same member, now linked to the customer id", body = Enrolment),
        (status = 403, description = "The key lacks the import scope", body = super::purchases::ApiErrorBody),
        (status = 409, description = "The customer id is another member's", body = super::purchases::ApiErrorBody),
        (status = 422, description = "Bad email, name, customer id or date", body = super::purchases::ApiErrorBody),
    )
)]
pub async fn enrol_member(
    State(state): State<AppState>,
    key: ApiKey,
    body: Result<Json<EnrolRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("import") {
        return Ok(refused);
    }
    let Json(request) = body.map_err(|rejection| match rejection {
        JsonRejection::JsonDataError(e) => AppError::invalid(
            "body",
            tr().f("api.member.wrong_field", &[("detail", &e.body_text())]),
        ),
        other => json_error(other),
    })?;
    let (enrolment, status) = enrol(&state.pool, &key, request, Utc::now()).await?;
    Ok((status, Json(enrolment)).into_response())
}

async fn enrol(
    pool: &PgPool,
    key: &ApiKey,
    request: EnrolRequest,
    now: DateTime<Utc>,
) -> Result<(Enrolment, StatusCode), AppError> {
    let tr = tr();
    // Everything checked before anything is written.
    let email = Email::parse(&request.email).map_err(|_| {
        AppError::invalid(
            "email",
            tr.f(
                "api.purchase.not_an_email",
                &[("email", &format!("{:?}", request.email))],
            ),
        )
    })?;
    // The member-facing words ("the name we should call you") are not the integrator's.
    let name = parse_display_name(&request.name).map_err(|_| {
        AppError::invalid(
            "name",
            tr.f(
                "api.member.name_format",
                &[("max", &DISPLAY_NAME_MAX.to_string())],
            ),
        )
    })?;
    let customer_id = request.customer_id.trim();
    if customer_id.is_empty()
        || customer_id.chars().count() > 128
        || customer_id.chars().any(char::is_control)
    {
        return Err(AppError::invalid(
            "customer_id",
            tr.t("api.member.customer_id_format"),
        ));
    }
    let joined_at = request.joined_at.unwrap_or(now);
    if joined_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "joined_at",
            tr.t("api.member.joined_in_the_future"),
        ));
    }

    let mut tx = pool.begin().await?;
    // The customer id and the address are each taken at most once; checking both under one
    // lock per integration keeps two calls for the same customer from racing.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("enrol {}", key.source)
    )
    .fetch_one(&mut *tx)
    .await?;
    let by_customer = sqlx::query!(
        "SELECT id, email FROM accounts WHERE enrolled_by = $1 AND customer_id = $2",
        key.source,
        customer_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (member_id, status) = match by_customer {
        Some(found) if found.email == email.as_str() => (found.id, StatusCode::OK),
        Some(_) => {
            return Err(AppError::Conflict {
                message: tr.f(
                    "api.member.customer_id_taken",
                    &[("customer_id", &format!("{customer_id:?}"))],
                ),
            });
        }
        None => {
            let created = sqlx::query_scalar!(
                "INSERT INTO accounts (email, display_name, enrolled_by, customer_id, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT ON CONSTRAINT accounts_email_unique DO NOTHING RETURNING id",
                email.as_str(),
                name,
                key.source,
                customer_id,
                joined_at
            )
            .fetch_optional(&mut *tx)
            .await?;
            match created {
                Some(id) => (id, StatusCode::CREATED),
                None => {
                    // Already a member (signed up, or enrolled by another integration): the
                    // customer id is linked unless the account carries another one already.
                    let linked = sqlx::query_scalar!(
                        "UPDATE accounts SET enrolled_by = $2, customer_id = $3
                         WHERE email = $1 AND customer_id IS NULL RETURNING id",
                        email.as_str(),
                        key.source,
                        customer_id
                    )
                    .fetch_optional(&mut *tx)
                    .await?;
                    let id = linked.ok_or_else(|| AppError::Conflict {
                        message: tr.f(
                            "api.member.email_has_other_customer_id",
                            &[("email", email.as_str())],
                        ),
                    })?;
                    (id, StatusCode::OK)
                }
            }
        }
    };
    let claimed = sqlx::query_scalar!(
        r#"SELECT password_hash IS NOT NULL AS "claimed!" FROM accounts WHERE id = $1"#,
        member_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        Enrolment {
            member_id,
            email: email.as_str().to_owned(),
            customer_id: customer_id.to_owned(),
            created: status == StatusCode::CREATED,
            claimed,
        },
        status,
    ))
}
