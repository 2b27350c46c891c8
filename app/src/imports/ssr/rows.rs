//! The import itself, whoever sends the rows: an integrator through
//! `POST /api/v1/purchases/import`, or staff from a CSV file. Each row is checked on its own:
//! the rows that are wrong are reported with their line and reason, the others are written,
//! all in one transaction (a failure part-way writes nothing). Idempotent per (source,
//! external id) like single purchases: a replayed batch adds nothing. Historical purchases
//! may be $0.00 (paid with a gift card: still a visit) and older than the points' expiry;
//! they are recorded for insight, and earn points only as the store chooses
//! (`store_settings.import_points`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::AppError;
use crate::domain::account::Email;
use crate::domain::i18n::tr;
use crate::domain::store::{parse_cents, parse_external_id};
use crate::infra::ledger::{Credit, credit, expiry_period, lock_balance, recalculate_tier};

/// Purchases per call (and per batch of a CSV file).
pub const MAX_ROWS: usize = 5_000;

/// Where a batch comes from: the integration (purchases' `source`), and the key or the upload
/// that sent it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub source: String,
    pub api_key_id: Option<i64>,
    pub upload_id: Option<i64>,
}

/// One historical purchase. Name the member by `member_id` or `member_email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRow {
    pub member_id: Option<i64>,
    pub member_email: Option<String>,
    /// The purchase's id in your system, unique per integration (1-128 characters).
    pub external_id: String,
    /// The amount paid, "0.00" allowed (a purchase paid entirely with a gift card).
    #[schema(example = "25.40")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: String,
    /// When the purchase happened (RFC 3339), however long ago.
    pub purchased_at: DateTime<Utc>,
}

/// A row that was not written, and why.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's line (NDJSON) or position (JSON array), counting from 1.
    pub line: usize,
    pub external_id: Option<String>,
    /// The field at fault, when one is.
    pub field: Option<String>,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ImportReport {
    /// The batch's id, for undoing it; absent when nothing was written.
    pub batch_id: Option<i64>,
    pub received: usize,
    /// Rows written now.
    pub written: usize,
    /// Rows sent before with the same details: nothing added.
    pub already_imported: usize,
    pub rejected: Vec<RejectedRow>,
    /// Points earned by the rows written (see the store's setting for imported history).
    pub points_earned: i64,
}

/// A row that passed every check, ready to write.
struct Checked {
    line: usize,
    member_id: i64,
    external_id: String,
    cents: i64,
    purchased_at: DateTime<Utc>,
    fingerprint: Vec<u8>,
}

/// Imports `rows` (each with its line), reporting `rejected` (rows already found wrong while
/// reading the file) with the others.
pub async fn import(
    pool: &PgPool,
    origin: &Origin,
    rows: Vec<(usize, serde_json::Value)>,
    mut rejected: Vec<RejectedRow>,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let received = rows.len() + rejected.len();
    let reject = |line: usize, external_id: Option<&str>, error: AppError| {
        let field = match &error {
            AppError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        RejectedRow {
            line,
            external_id: external_id.map(str::to_owned),
            field,
            message: error.to_string(),
        }
    };

    // Every row read and checked on its own first; members looked up all at once.
    let mut parsed = Vec::new();
    let mut seen_ids = HashSet::new();
    for (line, value) in rows {
        let row: ImportRow = match serde_json::from_value(value) {
            Ok(row) => row,
            Err(e) => {
                let message = tr.f("api.import.bad_row", &[("detail", &e.to_string())]);
                rejected.push(reject(line, None, AppError::bad_request(message)));
                continue;
            }
        };
        match check_row(&row, &store.info.currency, now) {
            Ok((external_id, cents)) if seen_ids.insert(external_id.clone()) => {
                parsed.push((line, row, external_id, cents));
            }
            Ok((external_id, _)) => {
                let message = tr.f(
                    "api.import.repeated_in_batch",
                    &[("external_id", &format!("{external_id:?}"))],
                );
                rejected.push(reject(
                    line,
                    Some(&external_id),
                    AppError::invalid("external_id", message),
                ));
            }
            Err(e) => rejected.push(reject(line, Some(row.external_id.trim()), e)),
        }
    }
    let members = find_members(pool, &parsed).await?;
    let mut checked = Vec::new();
    for (line, row, external_id, cents) in parsed {
        let member = match (row.member_id, row.member_email.as_deref()) {
            (Some(id), _) => members.by_id.contains(&id).then_some(id).ok_or_else(|| {
                AppError::invalid(
                    "member_id",
                    tr.f("api.purchase.no_member_id", &[("id", &id.to_string())]),
                )
            }),
            (None, Some(email)) => Email::parse(email)
                .ok()
                .and_then(|e| members.by_email.get(e.as_str()).copied())
                .ok_or_else(|| {
                    AppError::invalid(
                        "member_email",
                        tr.f("api.purchase.no_member_email", &[("email", email.trim())]),
                    )
                }),
            (None, None) => Err(AppError::invalid(
                "member_id",
                tr.t("api.purchase.no_member"),
            )),
        };
        match member {
            Ok(member_id) => {
                // The same fingerprint as a single purchase's, so a row replayed later through
                // either endpoint is recognised.
                let fingerprint = Sha256::digest(format!(
                    "{member_id}|{cents}|{}|{}",
                    store.info.currency,
                    row.purchased_at.timestamp_micros()
                ))
                .to_vec();
                checked.push(Checked {
                    line,
                    member_id,
                    external_id,
                    cents,
                    purchased_at: row.purchased_at,
                    fingerprint,
                });
            }
            Err(e) => rejected.push(reject(line, Some(&external_id), e)),
        }
    }
    let written = write(pool, origin, &store.info.currency, received, &checked, now).await?;

    // Rows that were already there: the same purchase is "already imported", a different one
    // with a used external id is refused by line, as a single purchase would be.
    let mut already_imported = 0;
    for row in checked
        .iter()
        .filter(|r| !written.ids.contains(&r.external_id))
    {
        if written.existing.get(&row.external_id) == Some(&Some(row.fingerprint.clone())) {
            already_imported += 1;
        } else {
            let message = tr.f(
                "api.purchase.external_id_reused",
                &[("external_id", &format!("{:?}", row.external_id))],
            );
            rejected.push(reject(
                row.line,
                Some(&row.external_id),
                AppError::invalid("external_id", message),
            ));
        }
    }
    rejected.sort_by_key(|r| r.line);
    Ok(ImportReport {
        batch_id: written.batch_id,
        received,
        written: written.ids.len(),
        already_imported,
        rejected,
        points_earned: written.points,
    })
}

/// A row's own checks: external id, amount ($0 allowed), currency, not in the future.
fn check_row(
    row: &ImportRow,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<(String, i64), AppError> {
    let tr = tr();
    let external_id = parse_external_id(&row.external_id)?;
    let cents = parse_cents(&row.amount)?;
    let sent = row.currency.trim().to_uppercase();
    if sent != currency {
        return Err(AppError::invalid(
            "currency",
            tr.f(
                "api.purchase.currency_not_accepted",
                &[("store", currency), ("currency", &format!("{sent:?}"))],
            ),
        ));
    }
    if row.purchased_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "purchased_at",
            tr.t("api.purchase.in_the_future"),
        ));
    }
    Ok((external_id, cents))
}

struct Members {
    by_id: HashSet<i64>,
    by_email: HashMap<String, i64>,
}

async fn find_members(
    pool: &PgPool,
    rows: &[(usize, ImportRow, String, i64)],
) -> Result<Members, AppError> {
    let ids: Vec<i64> = rows.iter().filter_map(|(_, r, ..)| r.member_id).collect();
    let emails: Vec<String> = rows
        .iter()
        .filter(|(_, r, ..)| r.member_id.is_none())
        .filter_map(|(_, r, ..)| r.member_email.as_deref())
        .filter_map(|e| Email::parse(e).ok())
        .map(|e| e.as_str().to_owned())
        .collect();
    let by_id = sqlx::query_scalar!(
        "SELECT id FROM accounts WHERE id = ANY($1) AND deleted_at IS NULL",
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let by_email = sqlx::query!(
        "SELECT id, email FROM accounts WHERE email = ANY($1)",
        &emails
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.email, r.id))
    .collect();
    Ok(Members { by_id, by_email })
}

struct Written {
    batch_id: Option<i64>,
    /// External ids written now.
    ids: HashSet<String>,
    /// For the others: the fingerprint of the purchase already recorded under that id.
    existing: HashMap<String, Option<Vec<u8>>>,
    points: i64,
}

/// One transaction: the batch, its purchases (one statement), the points the store's setting
/// gives them, and the members' tiers.
async fn write(
    pool: &PgPool,
    origin: &Origin,
    currency: &str,
    received: usize,
    rows: &[Checked],
    now: DateTime<Utc>,
) -> Result<Written, AppError> {
    let mut tx = pool.begin().await?;
    let batch_id = sqlx::query_scalar!(
        "INSERT INTO import_batches (source, api_key_id, upload_id, rows_received, rows_written) VALUES ($1, $2, $3, $4, 0) RETURNING id",
        origin.source,
        origin.api_key_id,
        origin.upload_id,
        i32::try_from(received).unwrap_or(i32::MAX)
    )
    .fetch_one(&mut *tx)
    .await?;
    let inserted = sqlx::query!(
        r#"INSERT INTO purchases (account_id, source, external_id, amount_cents, currency, purchased_at,
                                  points_earned, request_sha256, import_batch_id)
           SELECT member, $2, external_id, cents, $3, at, 0, fingerprint, $4
             FROM unnest($1::bigint[], $5::text[], $6::bigint[], $7::timestamptz[], $8::bytea[])
                  AS row (member, external_id, cents, at, fingerprint)
           -- A purchase of an undone batch is free to be imported again, with its new details.
           ON CONFLICT (source, external_id) DO UPDATE SET
               account_id = EXCLUDED.account_id, amount_cents = EXCLUDED.amount_cents,
               purchased_at = EXCLUDED.purchased_at, points_earned = 0,
               request_sha256 = EXCLUDED.request_sha256, import_batch_id = EXCLUDED.import_batch_id,
               refunded_at = NULL, points_reversed = NULL, points_unrecovered = NULL
             WHERE purchases.import_batch_id IN (SELECT id FROM import_batches WHERE undone_at IS NOT NULL)
           RETURNING id, account_id, external_id, amount_cents, purchased_at"#,
        &rows.iter().map(|r| r.member_id).collect::<Vec<_>>(),
        origin.source,
        currency,
        batch_id,
        &rows.iter().map(|r| r.external_id.clone()).collect::<Vec<_>>(),
        &rows.iter().map(|r| r.cents).collect::<Vec<_>>(),
        &rows.iter().map(|r| r.purchased_at).collect::<Vec<_>>(),
        &rows.iter().map(|r| r.fingerprint.clone()).collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?;
    let ids: HashSet<String> = inserted.iter().map(|r| r.external_id.clone()).collect();
    let others: Vec<String> = rows
        .iter()
        .map(|r| r.external_id.clone())
        .filter(|id| !ids.contains(id))
        .collect();
    let existing = sqlx::query!(
        "SELECT external_id, request_sha256 FROM purchases WHERE source = $1 AND external_id = ANY($2)",
        origin.source,
        &others
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.external_id, r.request_sha256))
    .collect();
    if inserted.is_empty() {
        // Nothing new: no batch to undo.
        tx.rollback().await?;
        return Ok(Written {
            batch_id: None,
            ids,
            existing,
            points: 0,
        });
    }

    let earns = sqlx::query_scalar!("SELECT import_points FROM store_settings")
        .fetch_one(&mut *tx)
        .await?
        == "within_expiry";
    let expires_after = expiry_period(&mut *tx).await?;
    let mut members: Vec<i64> = inserted.iter().map(|r| r.account_id).collect();
    members.sort_unstable();
    members.dedup();
    let mut points = 0;
    // Members locked in id order, as every writer of balances does, so no two writers wait
    // for each other in a circle.
    for member in &members {
        lock_balance(&mut tx, *member).await?;
        if !earns {
            continue;
        }
        let rate = i64::from(
            sqlx::query_scalar!(
                "SELECT t.earn_rate_pct FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = $1",
                member
            )
            .fetch_one(&mut *tx)
            .await?,
        );
        for row in inserted.iter().filter(|r| r.account_id == *member) {
            let expires_at = row.purchased_at + expires_after;
            let earned = row.amount_cents * rate / 10_000;
            if expires_at <= now || earned == 0 {
                continue;
            }
            sqlx::query!(
                "UPDATE purchases SET points_earned = $2 WHERE id = $1",
                row.id,
                earned
            )
            .execute(&mut *tx)
            .await?;
            credit(
                &mut tx,
                *member,
                Credit::Earn,
                earned,
                "Purchase",
                Some(&row.external_id),
                Some(row.id),
                expires_at,
            )
            .await?;
            points += earned;
        }
    }
    for member in &members {
        recalculate_tier(&mut tx, *member, now).await?;
    }
    sqlx::query!(
        "UPDATE import_batches SET rows_written = $2 WHERE id = $1",
        batch_id,
        i32::try_from(inserted.len()).unwrap_or(i32::MAX)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Written {
        batch_id: Some(batch_id),
        ids,
        existing,
        points,
    })
}
