//! `POST /api/v1/purchases` and `POST /api/v1/purchases/{external_id}/refund`.
//!
//! Points per purchase: the amount in the store's currency times the member's tier earn rate,
//! rounded down (Bronze 1, Silver 1.25, Gold 1.5 points per unit). Each purchase is one database
//! transaction: the purchase, its ledger entry and lot, and the member's new tier.
//!
//! Refunds reverse the purchase's points once. If the member has already spent some of them,
//! only what the balance still holds is taken back: a balance never goes negative. The rest is
//! recorded on the purchase as `points_unrecovered`, so staff can see it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;

use super::keys::ApiKey;
use app::AppError;
use app::domain::account::Email;
use app::domain::card::CardNumber;
use app::domain::i18n::tr;
use app::domain::store::{parse_cents, parse_external_id};
use app::infra::ledger::{
    Credit, Reversal, credit, expiry_period, lock_balance, recalculate_tier, reverse_purchase,
};
use app::infra::state::AppState;

/// A purchase to earn points for. Name the member by `member_id`, `member_email` or
/// `card_number` (one of them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// The member's id in the portal.
    pub member_id: Option<i64>,
    /// The member's email address (used when `member_id` is absent).
    pub member_email: Option<String>,
    /// The number on the member's card, as the till scanned it from the QR code on their phone
    /// or typed it (16 digits; spaces and dashes are ignored). Used when neither `member_id`
    /// nor `member_email` is sent.
    #[schema(example = "4539 1488 0343 6467")]
    pub card_number: Option<String>,
    /// The purchase's id in your system, unique per integration (1-128 characters). Sending
    /// the same id again returns the first result and earns nothing more.
    #[schema(example = "till-7-000481")]
    pub external_id: String,
    /// The amount paid, as a decimal string with at most two decimals.
    #[schema(example = "25.40")]
    pub amount: String,
    /// ISO 4217 code; must be the store's currency.
    #[schema(example = "USD")]
    pub currency: String,
    /// When the purchase happened (RFC 3339).
    pub purchased_at: DateTime<Utc>,
}

/// What was recorded for a purchase.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PurchaseReceipt {
    pub purchase_id: i64,
    pub member_id: i64,
    pub external_id: String,
    pub amount: String,
    pub currency: String,
    pub points_earned: i64,
    /// The member's balance after this purchase (or refund).
    pub balance: i64,
    pub tier: String,
    pub refunded: bool,
    /// Points taken back by the refund.
    pub points_reversed: Option<i64>,
    /// Points the refund could not take back because the member had already spent them.
    pub points_unrecovered: Option<i64>,
}

/// Every error: a machine-readable `error` and a `message` for the person reading the logs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: String,
    pub message: String,
}

/// Record a purchase and earn points for it.
#[utoipa::path(
    post,
    path = "/api/v1/purchases",
    tag = "purchases",
    request_body = PurchaseRequest,
    responses(
        (status = 201, description = "Recorded; points earned", body = PurchaseReceipt),
        (status = 200, description = "Already recorded with the same details: the first result", body = PurchaseReceipt),
        (status = 400, description = "Malformed request", body = ApiErrorBody),
        (status = 401, description = "Missing or invalid API key", body = ApiErrorBody),
        (status = 409, description = "The external id was used for a different purchase", body = ApiErrorBody),
        (status = 413, description = "Body larger than 16 KiB", body = ApiErrorBody),
        (status = 422, description = "Unknown member, bad amount, currency or time", body = ApiErrorBody),
        (status = 429, description = "Too many requests for this key", body = ApiErrorBody),
    )
)]
pub async fn record_purchase(
    State(state): State<AppState>,
    key: ApiKey,
    body: Result<Json<PurchaseRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("earn") {
        return Ok(refused);
    }
    let Json(request) = body.map_err(json_error)?;
    let (receipt, created) = record(&state.pool, &key, request, Utc::now()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(receipt)).into_response())
}

/// Refund a purchase: its points are taken back, as far as the balance allows.
#[utoipa::path(
    post,
    path = "/api/v1/purchases/{external_id}/refund",
    tag = "purchases",
    params(("external_id" = String, Path, description = "The purchase's id in your system")),
    responses(
        (status = 200, description = "Refunded (or already refunded)", body = PurchaseReceipt),
        (status = 401, description = "Missing or invalid API key", body = ApiErrorBody),
        (status = 404, description = "No such purchase from this integration", body = ApiErrorBody),
        (status = 429, description = "Too many requests for this key", body = ApiErrorBody),
    )
)]
pub async fn refund_purchase(
    State(state): State<AppState>,
    key: ApiKey,
    Path(external_id): Path<String>,
) -> Result<Response, AppError> {
    if let Err(refused) = key.require("earn") {
        return Ok(refused);
    }
    Ok(Json(refund(&state.pool, &key, &external_id).await?).into_response())
}

pub(super) fn json_error(rejection: JsonRejection) -> AppError {
    let tr = tr();
    match rejection {
        JsonRejection::BytesRejection(_) => AppError::PayloadTooLarge {
            message: tr.f(
                "api.body.too_large",
                &[("kib", &(super::MAX_BODY_BYTES / 1024).to_string())],
            ),
        },
        JsonRejection::MissingJsonContentType(_) => {
            AppError::bad_request(tr.t("api.body.not_json_type"))
        }
        JsonRejection::JsonSyntaxError(e) => {
            AppError::bad_request(tr.f("api.body.not_json", &[("detail", &e.body_text())]))
        }
        JsonRejection::JsonDataError(e) => AppError::invalid(
            "body",
            tr.f("api.body.wrong_field", &[("detail", &e.body_text())]),
        ),
        other => AppError::bad_request(other.body_text()),
    }
}

/// "25.40" → 2540. At most two decimals, no sign, no exponent; more than zero.
pub fn parse_amount(raw: &str) -> Result<i64, AppError> {
    let cents = parse_cents(raw)?;
    if cents == 0 {
        return Err(AppError::invalid(
            "amount",
            tr().t("api.purchase.amount_zero"),
        ));
    }
    Ok(cents)
}

fn format_amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

async fn record(
    pool: &PgPool,
    key: &ApiKey,
    request: PurchaseRequest,
    now: DateTime<Utc>,
) -> Result<(PurchaseReceipt, bool), AppError> {
    let tr = tr();
    // Everything is checked before anything is written.
    let external_id = parse_external_id(&request.external_id)?;
    let cents = parse_amount(&request.amount)?;
    let currency = request.currency.trim().to_uppercase();
    let store = app::infra::store::load(pool).await?;
    if currency != store.info.currency {
        return Err(AppError::invalid(
            "currency",
            tr.f(
                "api.purchase.currency_not_accepted",
                &[
                    // The store's first: what the caller sent is filled in last, as it is.
                    ("store", &store.info.currency),
                    ("currency", &format!("{currency:?}")),
                ],
            ),
        ));
    }
    if request.purchased_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "purchased_at",
            tr.t("api.purchase.in_the_future"),
        ));
    }
    let expires_after = expiry_period(pool).await?;
    let expires_at = request.purchased_at + expires_after;
    if expires_at <= now {
        return Err(AppError::invalid(
            "purchased_at",
            tr.t("api.purchase.too_long_ago"),
        ));
    }
    let member_id = match (
        request.member_id,
        request.member_email.as_deref(),
        request.card_number.as_deref(),
    ) {
        (Some(id), _, _) => sqlx::query_scalar!(
            "SELECT id FROM accounts WHERE id = $1 AND deleted_at IS NULL",
            id
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "member_id",
                tr.f("api.purchase.no_member_id", &[("id", &id.to_string())]),
            )
        })?,
        (None, Some(email), _) => {
            let email = Email::parse(email).map_err(|_| {
                AppError::invalid(
                    "member_email",
                    tr.f(
                        "api.purchase.not_an_email",
                        &[("email", &format!("{email:?}"))],
                    ),
                )
            })?;
            sqlx::query_scalar!("SELECT id FROM accounts WHERE email = $1", email.as_str())
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "member_email",
                        tr.f("api.purchase.no_member_email", &[("email", email.as_str())]),
                    )
                })?
        }
        (None, None, Some(card)) => {
            let card = CardNumber::parse(card, "card_number")?;
            sqlx::query_scalar!(
                "SELECT id FROM accounts WHERE card_number = $1",
                card.as_str()
            )
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "card_number",
                    tr.f(
                        "api.purchase.no_member_card",
                        &[("card", &card.to_string())],
                    ),
                )
            })?
        }
        (None, None, None) => {
            return Err(AppError::invalid(
                "member_id",
                tr.t("api.purchase.no_member"),
            ));
        }
    };
    let fingerprint = Sha256::digest(format!(
        "{member_id}|{cents}|{currency}|{}",
        request.purchased_at.timestamp_micros()
    ))
    .to_vec();

    let mut tx = pool.begin().await?;
    lock_balance(&mut tx, member_id).await?;
    let rate = sqlx::query_scalar!(
        "SELECT t.earn_rate_pct FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = $1",
        member_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let points = cents * i64::from(rate) / 10_000;
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO purchases (account_id, source, external_id, amount_cents, currency, purchased_at, points_earned, request_sha256)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (source, external_id) DO NOTHING
           RETURNING id"#,
        member_id,
        key.source,
        external_id,
        cents,
        currency,
        request.purchased_at,
        points,
        fingerprint
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(purchase_id) = inserted else {
        // Sent before: the same purchase gets the first answer; a different one is refused.
        tx.rollback().await?;
        let existing = sqlx::query!(
            "SELECT request_sha256 FROM purchases WHERE source = $1 AND external_id = $2",
            key.source,
            external_id
        )
        .fetch_one(pool)
        .await?;
        if existing.request_sha256.as_deref() != Some(fingerprint.as_slice()) {
            return Err(AppError::Conflict {
                message: tr.f(
                    "api.purchase.external_id_reused",
                    &[("external_id", &format!("{external_id:?}"))],
                ),
            });
        }
        return Ok((receipt(pool, &key.source, &external_id).await?, false));
    };
    if points > 0 {
        credit(
            &mut tx,
            member_id,
            Credit::Earn,
            points,
            "Purchase",
            Some(&external_id),
            Some(purchase_id),
            expires_at,
        )
        .await?;
    }
    // A campaign's bonus on the member's next purchase, in the same transaction.
    app::campaigns::ssr::bonus::pay(
        &mut tx,
        member_id,
        purchase_id,
        request.purchased_at,
        expires_at,
    )
    .await?;
    recalculate_tier(&mut tx, member_id, now).await?;
    tx.commit().await?;
    Ok((receipt(pool, &key.source, &external_id).await?, true))
}

async fn refund(
    pool: &PgPool,
    key: &ApiKey,
    external_id: &str,
) -> Result<PurchaseReceipt, AppError> {
    let mut tx = pool.begin().await?;
    let purchase = sqlx::query!(
        "SELECT id, account_id, points_earned, refunded_at FROM purchases WHERE source = $1 AND external_id = $2",
        key.source,
        external_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::not_found(tr().f(
            "api.purchase.not_found",
            &[("external_id", &format!("{external_id:?}"))],
        ))
    })?;
    // Lock the member first (the ledger's rule), then re-read the purchase under that lock.
    let balance = lock_balance(&mut tx, purchase.account_id).await?;
    let refunded = sqlx::query_scalar!(
        "SELECT refunded_at FROM purchases WHERE id = $1 FOR UPDATE",
        purchase.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if refunded.is_none() {
        reverse_purchase(
            &mut tx,
            balance,
            Reversal {
                account_id: purchase.account_id,
                purchase_id: purchase.id,
                points_earned: purchase.points_earned,
                reason: "Purchase refunded",
                reference: external_id,
            },
        )
        .await?;
        recalculate_tier(&mut tx, purchase.account_id, Utc::now()).await?;
    }
    tx.commit().await?;
    receipt(pool, &key.source, external_id).await
}

async fn receipt(
    pool: &PgPool,
    source: &str,
    external_id: &str,
) -> Result<PurchaseReceipt, AppError> {
    let r = sqlx::query!(
        r#"SELECT p.id, p.account_id, p.external_id, p.amount_cents, p.currency, p.points_earned,
                  p.refunded_at, p.points_reversed, p.points_unrecovered, a.balance, a.tier
           FROM purchases p JOIN accounts a ON a.id = p.account_id
           WHERE p.source = $1 AND p.external_id = $2"#,
        source,
        external_id
    )
    .fetch_one(pool)
    .await?;
    Ok(PurchaseReceipt {
        purchase_id: r.id,
        member_id: r.account_id,
        external_id: r.external_id,
        amount: format_amount(r.amount_cents),
        currency: r.currency,
        points_earned: r.points_earned,
        balance: r.balance,
        tier: r.tier,
        refunded: r.refunded_at.is_some(),
        points_reversed: r.points_reversed,
        points_unrecovered: r.points_unrecovered,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_parse_to_cents() {
        assert_eq!(parse_amount("25.40").unwrap(), 2540);
        assert_eq!(parse_amount("25.4").unwrap(), 2540);
        assert_eq!(parse_amount("25").unwrap(), 2500);
        assert_eq!(parse_amount("0.01").unwrap(), 1);
    }

    #[test]
    fn bad_amounts_say_what_is_wrong() {
        assert_eq!(
            parse_amount("0").unwrap_err().to_string(),
            "amount must be greater than zero."
        );
        assert!(
            parse_amount("-5")
                .unwrap_err()
                .to_string()
                .starts_with("amount must be a positive decimal")
        );
        assert!(parse_amount("1.234").is_err());
        assert!(parse_amount("1e5").is_err());
        assert_eq!(
            parse_amount("250000").unwrap_err().to_string(),
            "amount 250000 is above the 100000 limit for one purchase."
        );
    }
}
