//! Staff's CSV file: the upload (a plain multipart form), the mapping of its columns to a
//! purchase's fields, the import in batches of [`BATCH_ROWS`] with its progress recorded, and
//! the rejected rows as a CSV file to fix and upload again.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use tower_sessions::Session;

use super::rows::{Origin, RejectedRow, import};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::imports::{UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, UploadProblem};
use crate::infra::caller::{Staff, authorize_session};
use crate::infra::state::AppState;

/// Rows per batch: each its own transaction, so the page can show progress between them.
pub const BATCH_ROWS: usize = 1_000;
/// Purchases from staff's files share one integration name: their ids are unique across them.
pub const SOURCE: &str = "csv";

/// The column chosen for each field (its index in the file), checked: a member column, a
/// purchase id, an amount and a date are needed; the currency may be left to the store's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub member_email: Option<usize>,
    pub member_id: Option<usize>,
    pub external_id: usize,
    pub amount: usize,
    pub purchased_at: usize,
    pub currency: Option<usize>,
}

impl Mapping {
    pub fn parse(
        member_email: &str,
        member_id: &str,
        external_id: &str,
        amount: &str,
        purchased_at: &str,
        currency: &str,
    ) -> Result<Mapping, AppError> {
        let tr = tr();
        let column = |raw: &str| raw.trim().parse::<usize>().ok();
        let needed = |field: &'static str, message: &'static str, raw: &str| {
            column(raw).ok_or_else(|| AppError::invalid(field, tr.t(message)))
        };
        let (member_email, member_id) = (column(member_email), column(member_id));
        if member_email.is_none() && member_id.is_none() {
            return Err(AppError::invalid(
                "member_email",
                tr.t("imports.mapping.member_missing"),
            ));
        }
        Ok(Mapping {
            member_email,
            member_id,
            external_id: needed(
                "external_id",
                "imports.mapping.external_id_missing",
                external_id,
            )?,
            amount: needed("amount", "imports.mapping.amount_missing", amount)?,
            purchased_at: needed(
                "purchased_at",
                "imports.mapping.purchased_at_missing",
                purchased_at,
            )?,
            currency: column(currency),
        })
    }

    /// The column that `field` holds by default, guessed from the header's words.
    pub fn guess(field: &str, header: &[String]) -> Option<usize> {
        let words: &[&str] = match field {
            "member_email" => &["member_email", "email", "e-mail", "correo"],
            "member_id" => &["member_id", "member", "miembro"],
            "external_id" => &[
                "external_id",
                "purchase_id",
                "order_id",
                "order",
                "receipt",
                "transaction_id",
                "id",
                "pedido",
                "ticket",
            ],
            "amount" => &["amount", "total", "value", "importe", "monto", "sales"],
            "purchased_at" => &["purchased_at", "date", "time", "fecha", "purchased"],
            "currency" => &["currency", "moneda", "divisa"],
            _ => &[],
        };
        let normal = |h: &str| h.trim().to_lowercase().replace([' ', '-'], "_");
        words
            .iter()
            .find_map(|w| header.iter().position(|h| normal(h) == *w))
    }
}

/// Reads the file: its delimiter (`,` or `;`, as spreadsheets in Spain save), header and rows.
pub fn read_csv(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), UploadProblem> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| UploadProblem::NotText)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| UploadProblem::NotText)?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() == UPLOAD_MAX_ROWS {
            return Err(UploadProblem::TooManyRows);
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    if header.iter().all(String::is_empty) || rows.is_empty() {
        return Err(UploadProblem::NoRows);
    }
    Ok((header, rows))
}

async fn file_field(mut form: Multipart) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::bad_request(tr().f("imports.upload.unreadable", &[("detail", &e.body_text())]))
    };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("purchases.csv").to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > UPLOAD_MAX_BYTES {
                break;
            }
        }
        return Ok(Some((name, bytes)));
    }
    Ok(None)
}

/// `POST /staff/imports/upload` (`UPLOAD_PATH`) (multipart, field `file`): keeps the file and sends staff to its
/// page to map the columns; a file that cannot be imported goes back with the reason.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let caller = match authorize_session::<Staff>(state, session).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let refuse = |p: UploadProblem| Redirect::to(&format!("/staff/imports?error={}", p.code()));
    let form = match form {
        Ok(form) => form,
        Err(_) => return refuse(UploadProblem::Missing).into_response(),
    };
    let (name, bytes) = match file_field(form).await {
        Ok(Some((name, bytes))) if !bytes.is_empty() => (name, bytes),
        Ok(_) => return refuse(UploadProblem::Missing).into_response(),
        Err(e) => return e.into_response(),
    };
    if bytes.len() > UPLOAD_MAX_BYTES {
        return refuse(UploadProblem::TooLarge).into_response();
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return refuse(UploadProblem::NotText).into_response();
    };
    let rows = match read_csv(&text) {
        Ok((_, rows)) => rows.len(),
        Err(problem) => return refuse(problem).into_response(),
    };
    let name: String = name.chars().filter(|c| !c.is_control()).take(255).collect();
    let stored = sqlx::query_scalar!(
        "INSERT INTO import_uploads (uploaded_by, file_name, content, rows) VALUES ($1, $2, $3, $4) RETURNING id",
        caller.account().id,
        if name.trim().is_empty() { "purchases.csv" } else { name.trim() },
        text,
        i32::try_from(rows).unwrap_or(i32::MAX)
    )
    .fetch_one(caller.pool())
    .await;
    match stored {
        Ok(id) => Redirect::to(&format!("/staff/imports?upload={id}")).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Starts the import of upload `id` with `mapping`, once: a second start is refused.
pub async fn start(caller: &Staff, id: i64, mapping: Mapping) -> Result<(), AppError> {
    let pool = caller.pool().clone();
    let started = sqlx::query_scalar!(
        "UPDATE import_uploads SET mapping = $2, started_at = now()
         WHERE id = $1 AND started_at IS NULL RETURNING id",
        id,
        serde_json::to_value(&mapping).map_err(|e| AppError::internal("keeping a mapping", e))?
    )
    .fetch_optional(&pool)
    .await?;
    if started.is_none() {
        let exists = sqlx::query_scalar!("SELECT id FROM import_uploads WHERE id = $1", id)
            .fetch_optional(&pool)
            .await?;
        return Err(match exists {
            Some(_) => AppError::bad_request(tr().t("imports.already_started")),
            None => AppError::not_found(tr().t("imports.the_upload")),
        });
    }
    // The batches are written after this answer: the page shows their progress. The reader's
    // words go with them, for the rejected rows' reasons.
    let locale = tr().locale();
    tokio::spawn(crate::domain::i18n::CURRENT.scope(locale, async move {
        if let Err(e) = run(&pool, id, &mapping).await {
            tracing::error!(upload = id, error = %e, "importing an upload failed");
            let _ = sqlx::query!(
                "UPDATE import_uploads SET failed = $2, finished_at = now() WHERE id = $1",
                id,
                tr().t("imports.failed")
            )
            .execute(&pool)
            .await;
        }
    }));
    Ok(())
}

/// A purchase's date as the file writes it: RFC 3339, or a date and time (or a date alone,
/// taken at noon) in the store's zone. A time the clocks skipped (02:30 on the night summer
/// time starts, as a file exported from a UTC system may hold) is read an hour later.
pub fn parse_when(raw: &str, zone: Tz) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(12, 0, 0))
        })?;
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

/// The file's rows as the import reads them (line numbers count the header as line 1), and
/// the rows already wrong for want of a date.
fn to_rows(
    rows: &[Vec<String>],
    first_line: usize,
    mapping: &Mapping,
    zone: Tz,
) -> (Vec<(usize, Value)>, Vec<RejectedRow>) {
    let tr = tr();
    let cell =
        |row: &[String], i: usize| row.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (k, row) in rows.iter().enumerate() {
        let line = first_line + k;
        let raw_when = cell(row, mapping.purchased_at);
        let Some(when) = parse_when(&raw_when, zone) else {
            bad.push(RejectedRow {
                line,
                external_id: Some(cell(row, mapping.external_id)),
                field: Some("purchased_at".to_owned()),
                message: tr.f("imports.row.bad_date", &[("raw", &format!("{raw_when:?}"))]),
            });
            continue;
        };
        let mut value = json!({
            "external_id": cell(row, mapping.external_id),
            "amount": cell(row, mapping.amount),
            "purchased_at": when.to_rfc3339(),
        });
        if let Some(i) = mapping.member_id.filter(|i| !cell(row, *i).is_empty()) {
            let id = cell(row, i);
            value["member_id"] = id.parse::<i64>().map_or(Value::String(id), Value::from);
        } else if let Some(i) = mapping.member_email {
            value["member_email"] = Value::String(cell(row, i));
        }
        value["currency"] = match mapping.currency {
            Some(i) => Value::String(cell(row, i)),
            None => Value::Null,
        };
        good.push((line, value));
    }
    (good, bad)
}

/// Imports the upload batch by batch, recording the progress after each.
async fn run(pool: &PgPool, id: i64, mapping: &Mapping) -> Result<(), AppError> {
    let store = crate::infra::store::load(pool).await?;
    let content = sqlx::query_scalar!("SELECT content FROM import_uploads WHERE id = $1", id)
        .fetch_one(pool)
        .await?;
    let (_, rows) = read_csv(&content).map_err(|p| AppError::bad_request(p.message()))?;
    let origin = Origin {
        source: SOURCE.to_owned(),
        api_key_id: None,
        upload_id: Some(id),
    };
    for (n, chunk) in rows.chunks(BATCH_ROWS).enumerate() {
        // Line 1 is the header.
        let (mut good, bad) = to_rows(chunk, 2 + n * BATCH_ROWS, mapping, store.zone);
        for (_, value) in &mut good {
            if value["currency"].is_null() {
                value["currency"] = Value::String(store.info.currency.clone());
            }
        }
        let report = import(pool, &origin, good, bad, Utc::now()).await?;
        let rejected = serde_json::to_value(&report.rejected)
            .map_err(|e| AppError::internal("recording rejected rows", e))?;
        sqlx::query!(
            "UPDATE import_uploads SET rows_done = rows_done + $2, written = written + $3,
                    already_imported = already_imported + $4, rejected = rejected || $5
             WHERE id = $1",
            id,
            i32::try_from(chunk.len()).unwrap_or(i32::MAX),
            i32::try_from(report.written).unwrap_or(i32::MAX),
            i32::try_from(report.already_imported).unwrap_or(i32::MAX),
            rejected
        )
        .execute(pool)
        .await?;
    }
    // The purchases hold what matters now; the file's text is not kept.
    sqlx::query!(
        "UPDATE import_uploads SET finished_at = now(), content = '' WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// `GET /staff/imports/{id}/rejected.csv`: the rows that were not imported, with the reason,
/// to fix and upload again. Staff only, like the page.
pub async fn rejected_csv(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let caller = match authorize_session::<Staff>(state, session).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    match rejected_text(caller.pool(), id).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"rejected-rows-{id}.csv\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn rejected_text(pool: &PgPool, id: i64) -> Result<String, AppError> {
    let tr = tr();
    let rejected = sqlx::query_scalar!("SELECT rejected FROM import_uploads WHERE id = $1", id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::not_found(tr.t("imports.the_upload")))?;
    let rows: Vec<RejectedRow> = serde_json::from_value(rejected)
        .map_err(|e| AppError::internal("reading rejected rows", e))?;
    let rows: Vec<[String; 3]> = rows
        .into_iter()
        .map(|row| {
            [
                row.line.to_string(),
                row.external_id.unwrap_or_default(),
                row.message,
            ]
        })
        .collect();
    crate::infra::csv::text(
        [
            tr.t("imports.rejected.line"),
            tr.t("imports.rejected.external_id"),
            tr.t("imports.rejected.reason"),
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_stores_zone_and_a_date_alone_is_its_noon() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let at = |s: &str| parse_when(s, ny).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2024-03-15").as_deref(),
            Some("2024-03-15T16:00:00+00:00")
        );
        assert_eq!(
            at("2024-03-15 23:30").as_deref(),
            Some("2024-03-16T03:30:00+00:00")
        );
        assert_eq!(
            at("2024-03-15T10:00:00Z").as_deref(),
            Some("2024-03-15T10:00:00+00:00")
        );
        assert_eq!(at("15/03/2024"), None);
        // The hour New York's clocks skip is read as the hour after it.
        assert_eq!(
            at("2024-03-10 02:30").as_deref(),
            Some("2024-03-10T07:30:00+00:00")
        );
    }

    #[test]
    fn columns_are_guessed_from_the_header_in_either_language() {
        let header: Vec<String> = ["Fecha", "Correo", "Pedido", "Importe"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(Mapping::guess("purchased_at", &header), Some(0));
        assert_eq!(Mapping::guess("member_email", &header), Some(1));
        assert_eq!(Mapping::guess("external_id", &header), Some(2));
        assert_eq!(Mapping::guess("amount", &header), Some(3));
        assert_eq!(Mapping::guess("currency", &header), None);
    }

    #[test]
    fn a_spreadsheets_semicolons_are_read_as_the_delimiter() {
        let (header, rows) =
            read_csv("email;order;amount;date\na@x.com;1;10,50;2024-01-01\n").unwrap();
        assert_eq!(header, ["email", "order", "amount", "date"]);
        assert_eq!(rows[0][2], "10,50");
        assert_eq!(read_csv("email,order\n"), Err(UploadProblem::NoRows));
    }
}
