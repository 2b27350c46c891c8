//! Reading the audit log on the server.

use super::AuditEntry;
use crate::AppError;
use crate::infra::caller::Admin;

pub async fn audit_entries(
    caller: &Admin,
    action: Option<&str>,
    actor: Option<&str>,
) -> Result<Vec<AuditEntry>, AppError> {
    let store = crate::infra::store::load(caller.pool()).await?;
    let action = action.map(str::trim).filter(|s| !s.is_empty());
    let actor = actor
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let rows = sqlx::query!(
        r#"SELECT l.at, a.email, l.action, l.subject, l.before, l.after
           FROM audit_log l JOIN accounts a ON a.id = l.actor_id
           WHERE ($1::text IS NULL OR l.action LIKE $1 || '%') AND ($2::text IS NULL OR a.email = $2)
           ORDER BY l.at DESC, l.id DESC LIMIT 200"#,
        action,
        actor
    )
    .fetch_all(caller.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at_label: store.format_time(r.at),
            at: r.at,
            actor: r.email,
            action: r.action,
            subject: r.subject,
            before: r.before.map(|v| v.to_string()),
            after: r.after.map(|v| v.to_string()),
        })
        .collect())
}
