//! Imports: the store's purchase history brought in, by integrators through the earning API
//! or by staff from a CSV file (upload, preview and map its columns, watch the progress, read
//! the summary, download the rejected rows), and undone when it was wrong.
//!
//! The upload is a plain multipart form (`POST /staff/imports`, handled in `ssr::upload`), so
//! it needs no WebAssembly; every figure reaches the page as text the server wrote.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;

pub use pages::ImportsPage;

/// The largest CSV file staff may upload, and the most rows it may hold.
pub const UPLOAD_MAX_BYTES: usize = 4 * 1024 * 1024;
pub const UPLOAD_MAX_ROWS: usize = 50_000;
/// Where the upload form posts: a path of its own, because `/staff/imports` is a page of the
/// staff console's shared route, which a POST-only route at that path would hide.
pub const UPLOAD_PATH: &str = "/staff/imports/upload";

/// The purchase fields a column can hold, in the order the form shows them, with their label's
/// and hint's words.
pub const FIELDS: [(&str, &str, &str); 6] = [
    (
        "member_email",
        "imports.mapping.member_email",
        "imports.mapping.member_email_hint",
    ),
    (
        "member_id",
        "imports.mapping.member_id",
        "imports.mapping.member_id_hint",
    ),
    (
        "external_id",
        "imports.mapping.external_id",
        "imports.mapping.external_id_hint",
    ),
    (
        "amount",
        "imports.mapping.amount",
        "imports.mapping.amount_hint",
    ),
    (
        "purchased_at",
        "imports.mapping.purchased_at",
        "imports.mapping.purchased_at_hint",
    ),
    (
        "currency",
        "imports.mapping.currency",
        "imports.mapping.currency_hint",
    ),
];

/// Why an upload was refused. It travels back in the redirect's query as `code()`, and the
/// imports page says `message()` beside the file field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    Missing,
    TooLarge,
    NotText,
    NoRows,
    TooManyRows,
}

impl UploadProblem {
    const ALL: [UploadProblem; 5] = [
        UploadProblem::Missing,
        UploadProblem::TooLarge,
        UploadProblem::NotText,
        UploadProblem::NoRows,
        UploadProblem::TooManyRows,
    ];

    pub fn code(self) -> &'static str {
        match self {
            UploadProblem::Missing => "missing",
            UploadProblem::TooLarge => "too_large",
            UploadProblem::NotText => "not_text",
            UploadProblem::NoRows => "no_rows",
            UploadProblem::TooManyRows => "too_many_rows",
        }
    }

    pub fn from_code(code: &str) -> Option<UploadProblem> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn message(self) -> String {
        let tr = tr();
        match self {
            UploadProblem::Missing => tr.t("imports.upload.missing").to_owned(),
            UploadProblem::TooLarge => tr.f(
                "imports.upload.too_large",
                &[("mib", &(UPLOAD_MAX_BYTES / 1024 / 1024).to_string())],
            ),
            UploadProblem::NotText => tr.t("imports.upload.not_text").to_owned(),
            UploadProblem::NoRows => tr.t("imports.upload.no_rows").to_owned(),
            UploadProblem::TooManyRows => tr.f(
                "imports.upload.too_many_rows",
                &[("max", &tr.number(UPLOAD_MAX_ROWS as i64))],
            ),
        }
    }
}

/// One import batch as staff see it in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRow {
    pub id: i64,
    /// The integration, or "CSV: history.csv".
    pub from: String,
    pub when: String,
    pub written: String,
    pub points: String,
    /// "Undone on 3 Dec 2026 by Sam", when it was.
    pub undone: Option<String>,
    /// The upload's page, for a batch from a CSV file.
    pub upload: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportsView {
    pub batches: Vec<BatchRow>,
}

/// A field of a purchase and the column chosen for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChoice {
    /// The form field's name: `member_email`, `member_id`, `external_id`, `amount`,
    /// `purchased_at`, `currency`.
    pub name: String,
    pub label: String,
    pub hint: String,
    /// The column guessed from the header, as its index.
    pub column: Option<usize>,
}

/// Where an upload is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadStage {
    /// Waiting for staff to map the columns.
    Mapping { fields: Vec<FieldChoice> },
    /// Being imported: rows done of all, and the sentence saying so.
    Importing {
        done: i64,
        total: i64,
        label: String,
    },
    /// Imported: the summary, the first rejected rows (line, purchase id, reason), whether
    /// any were, and whether the import can still be undone.
    Done {
        summary: String,
        rejected: Vec<[String; 3]>,
        rejected_total: i64,
        undone: Option<String>,
    },
    /// Stopped on the server's error; the rows so far stay written.
    Failed { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadView {
    pub id: i64,
    pub file_name: String,
    /// "1,204 purchases".
    pub rows: String,
    pub columns: Vec<String>,
    /// The first rows, as the file has them.
    pub preview: Vec<Vec<String>>,
    pub stage: UploadStage,
}

/// The recent imports, newest first.
#[server(prefix = "/api/fn", endpoint = "staff/imports", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_imports(fresh: Option<i64>) -> Result<ImportsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    // `fresh` only makes the URL differ after an undo, so the page reads its data again.
    let _ = fresh;
    ssr::view::imports(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// An uploaded file: its preview and where its import is.
#[server(prefix = "/api/fn", endpoint = "staff/imports/upload", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_upload(id: i64, fresh: Option<i64>) -> Result<UploadView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    ssr::view::upload(caller.pool(), id)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Starts importing an upload with the columns staff chose (each a column's index, empty for
/// none). The import runs in batches on the server; the upload's page shows its progress.
#[server(prefix = "/api/fn", endpoint = "staff/imports/start", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn start_import(
    id: i64,
    member_email: String,
    member_id: String,
    external_id: String,
    amount: String,
    purchased_at: String,
    currency: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let mapping = ssr::upload::Mapping::parse(
        &member_email,
        &member_id,
        &external_id,
        &amount,
        &purchased_at,
        &currency,
    )
    .map_err(crate::domain::error::server::reply)?;
    ssr::upload::start(&caller, id, mapping)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/imports?upload={id}&fresh={}",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Undoes an import: every batch of an upload (`upload`), or one batch (`batch`). Its
/// purchases are kept as refunded and the points they earned are taken back, as far as each
/// balance allows.
#[server(prefix = "/api/fn", endpoint = "staff/imports/undo", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn undo_import(upload: Option<i64>, batch: Option<i64>) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::undo::undo(&caller, upload, batch)
        .await
        .map_err(crate::domain::error::server::reply)?;
    let back = match upload {
        Some(id) => format!(
            "/staff/imports?upload={id}&undone=1&fresh={}",
            crate::infra::fresh()
        ),
        None => format!("/staff/imports?undone=1&fresh={}", crate::infra::fresh()),
    };
    leptos_axum::redirect(&back);
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;
