//! Receipts by mail: every redemption's code reaches the member's inbox, in their language,
//! written by a job rather than by the redemption writer, so mail adds nothing to a press at
//! drop time. Receipts are transactional: sent whatever the member's message choices.

use chrono::Utc;

use crate::AppError;
use crate::domain::points::Points;
use crate::infra::mail::{self, Compose, Kind, Outgoing};
use crate::infra::state::AppState;

/// Receipts written to the outbox per look (the job looks every 20 seconds): a drop's
/// thousands of receipts drain over a few minutes at a bounded pace beside the drop, rather than
/// all at once while it runs.
const BATCH: i64 = 500;

/// Writes receipts for up to `BATCH` redemptions that have none yet, each with
/// `receipt_mailed_at` in the same transaction; returns how many. Rows another server is mailing
/// are skipped.
pub async fn mail_due_receipts(state: &AppState) -> Result<usize, AppError> {
    let site = mail::site_url(state);
    let mut tx = state.pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT r.id, r.code, r.points, r.account_id, r.created_at, a.email, a.display_name,
                  a.language, COALESCE(a.time_zone, s.time_zone) AS "zone!", rw.title, rw.title_es
           FROM redemptions r
           JOIN accounts a ON a.id = r.account_id
           JOIN drop_items di ON di.id = r.drop_item_id
           JOIN rewards rw ON rw.id = di.reward_id
           CROSS JOIN store_settings s
           WHERE r.receipt_mailed_at IS NULL
           ORDER BY r.id
           LIMIT $1
           FOR UPDATE OF r SKIP LOCKED"#,
        BATCH
    )
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut messages = Vec::with_capacity(due.len());
    for r in &due {
        let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
        let title = tr.written(&r.title, r.title_es.as_deref());
        let when = crate::domain::i18n::format_date(tr.locale(), zone, r.created_at);
        let points = tr.points(Points::new(r.points)?);
        let page = format!("{site}/redemptions/{}", r.code);
        let message = Compose {
            tr,
            subject: tr.f(
                "mail.receipt.subject",
                &[("reward", title), ("code", &r.code)],
            ),
            greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
            paragraphs: vec![
                tr.f(
                    "mail.receipt.body",
                    &[("reward", title), ("points", &points), ("when", &when)],
                ),
                tr.f("mail.receipt.code", &[("code", &r.code)]),
            ],
            action: Some((tr.t("mail.receipt.action"), &page)),
            footer: vec![tr.t("mail.receipt.why").to_owned()],
        }
        .render();
        messages.push(Outgoing {
            account_id: Some(r.account_id),
            to: &r.email,
            kind: Kind::Receipt,
            mail: message,
            unsubscribe_url: None,
        });
    }
    mail::enqueue_all(&mut tx, state, messages).await?;
    let ids: Vec<i64> = due.iter().map(|r| r.id).collect();
    sqlx::query!(
        "UPDATE redemptions SET receipt_mailed_at = $2 WHERE id = ANY($1)",
        &ids,
        Utc::now()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(due.len())
}
