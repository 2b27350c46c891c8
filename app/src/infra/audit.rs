//! The audit log: who on the staff did what, written in the same transaction as the action.

use sqlx::PgConnection;

use crate::AppError;

/// Records one staff action in the same transaction as the action itself: no action without
/// its trace, no trace of an action that was rolled back.
pub async fn audit(
    conn: &mut PgConnection,
    actor_id: i64,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject, before, after) VALUES ($1, $2, $3, $4, $5)",
        actor_id,
        action,
        subject,
        before,
        after
    )
    .execute(conn)
    .await?;
    Ok(())
}
