//! The imports pages' figures, written as the reader reads them.

use sqlx::PgPool;

use super::rows::RejectedRow;
use super::upload::{Mapping, read_csv};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::imports::{BatchRow, FIELDS, FieldChoice, ImportsView, UploadStage, UploadView};

/// Batches in the list, and rows in the preview and the rejected list.
const LIST_LENGTH: i64 = 50;
const PREVIEW_ROWS: usize = 5;
const REJECTED_SHOWN: usize = 20;

pub async fn imports(pool: &PgPool) -> Result<ImportsView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let batches = sqlx::query!(
        r#"SELECT b.id, b.source, b.created_at, b.rows_written, b.upload_id, b.undone_at,
                  u.file_name AS "file_name?", k.name AS "key_name?", s.display_name AS "undone_by?",
                  COALESCE((SELECT sum(points_earned) FROM purchases p WHERE p.import_batch_id = b.id), 0)::bigint AS "points!"
           FROM import_batches b
           LEFT JOIN import_uploads u ON u.id = b.upload_id
           LEFT JOIN api_keys k ON k.id = b.api_key_id
           LEFT JOIN accounts s ON s.id = b.undone_by
           ORDER BY b.id DESC LIMIT $1"#,
        LIST_LENGTH
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|b| BatchRow {
        id: b.id,
        from: match (b.file_name, b.key_name) {
            (Some(file), _) => tr.f("imports.from_file", &[("file", &file)]),
            (None, Some(key)) => tr.f("imports.from_key", &[("key", &key), ("source", &b.source)]),
            (None, None) => b.source,
        },
        when: store.format_time(b.created_at),
        written: tr.number(i64::from(b.rows_written)),
        points: tr.number(b.points),
        undone: b.undone_at.map(|at| {
            tr.f(
                "imports.undone_by",
                &[
                    ("when", &store.format_time(at)),
                    ("who", b.undone_by.as_deref().unwrap_or("")),
                ],
            )
        }),
        upload: b.upload_id,
    })
    .collect();
    Ok(ImportsView { batches })
}

pub async fn upload(pool: &PgPool, id: i64) -> Result<UploadView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let u = sqlx::query!(
        r#"SELECT file_name, content, rows, started_at, finished_at, rows_done, written,
                  already_imported, rejected, failed,
                  (SELECT max(undone_at) FROM import_batches WHERE upload_id = $1) AS undone_at,
                  EXISTS (SELECT 1 FROM import_batches WHERE upload_id = $1) AS "has_batches!"
           FROM import_uploads WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("imports.the_upload")))?;
    // The file is kept until it is imported; afterwards the page shows the summary alone.
    let (columns, preview) = if u.content.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        read_csv(&u.content)
            .map(|(header, rows)| (header, rows.into_iter().take(PREVIEW_ROWS).collect()))
            .unwrap_or_default()
    };
    let total = i64::from(u.rows);
    let stage = if let Some(message) = u.failed {
        UploadStage::Failed { message }
    } else if u.finished_at.is_some() {
        let rejected: Vec<RejectedRow> = serde_json::from_value(u.rejected)
            .map_err(|e| AppError::internal("reading rejected rows", e))?;
        UploadStage::Done {
            summary: tr.f(
                "imports.summary",
                &[
                    ("rows", &tr.number(total)),
                    ("written", &tr.number(i64::from(u.written))),
                    ("already", &tr.number(i64::from(u.already_imported))),
                    ("rejected", &tr.number(rejected.len() as i64)),
                ],
            ),
            rejected_total: rejected.len() as i64,
            rejected: rejected
                .into_iter()
                .take(REJECTED_SHOWN)
                .map(|r| {
                    [
                        tr.number(r.line as i64),
                        r.external_id.unwrap_or_default(),
                        r.message,
                    ]
                })
                .collect(),
            undone: match (u.undone_at, u.has_batches) {
                (Some(at), _) => {
                    Some(tr.f("imports.undone_on", &[("when", &store.format_time(at))]))
                }
                // Nothing written, nothing to undo.
                (None, false) => Some(String::new()),
                (None, true) => None,
            },
        }
    } else if u.started_at.is_some() {
        let done = i64::from(u.rows_done);
        UploadStage::Importing {
            done,
            total,
            label: tr.f(
                "imports.progress",
                &[("done", &tr.number(done)), ("total", &tr.number(total))],
            ),
        }
    } else {
        UploadStage::Mapping {
            fields: FIELDS
                .iter()
                .map(|(name, label, hint)| FieldChoice {
                    name: (*name).to_owned(),
                    label: tr.t(label).to_owned(),
                    hint: tr.t(hint).to_owned(),
                    column: Mapping::guess(name, &columns),
                })
                .collect(),
        }
    };
    Ok(UploadView {
        id,
        file_name: u.file_name,
        rows: tr.count("imports.rows", total, &[]),
        columns,
        preview,
        stage,
    })
}
