use serde_json::json;
use sqlx::PgConnection;

use super::{AuditEntry, RewardDraft, StaffReward};
use crate::AppError;
use crate::auth::server::Caller;
use crate::error::server::violated_constraint;
use crate::ledger::Points;

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

fn snapshot(r: &StaffReward) -> serde_json::Value {
    json!({
        "title": r.title, "description": r.description, "category": r.category.slug(),
        "points_cost": r.points_cost.get(), "tags": r.tags, "min_tier": r.min_tier, "archived": r.archived,
    })
}

/// One row of `rewards` as staff see it.
struct RewardRow {
    id: i64,
    title: String,
    description: String,
    category: String,
    points_cost: i64,
    tags: Vec<String>,
    min_tier: Option<String>,
    archived: bool,
}

impl TryFrom<RewardRow> for StaffReward {
    type Error = AppError;

    fn try_from(r: RewardRow) -> Result<Self, AppError> {
        Ok(StaffReward {
            id: r.id,
            title: r.title,
            description: r.description,
            category: r
                .category
                .parse()
                .map_err(|e| AppError::internal("reward", e))?,
            points_cost: Points::new(r.points_cost).map_err(|e| AppError::internal("reward", e))?,
            tags: r.tags,
            min_tier: r.min_tier,
            archived: r.archived,
        })
    }
}

pub async fn reward(db: impl sqlx::PgExecutor<'_>, id: i64) -> Result<StaffReward, AppError> {
    sqlx::query_as!(
        RewardRow,
        r#"SELECT id, title, description, category, points_cost, tags, min_tier, archived_at IS NOT NULL AS "archived!"
           FROM rewards WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or_else(|| AppError::not_found("That reward"))?
    .try_into()
}

pub async fn rewards(caller: &Caller, search: Option<&str>) -> Result<Vec<StaffReward>, AppError> {
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.replace('%', "\\%")));
    sqlx::query_as!(
        RewardRow,
        r#"SELECT id, title, description, category, points_cost, tags, min_tier, archived_at IS NOT NULL AS "archived!"
           FROM rewards
           WHERE $1::text IS NULL OR title ILIKE $1 OR EXISTS (SELECT 1 FROM unnest(tags) t WHERE t ILIKE $1)
           ORDER BY archived_at IS NOT NULL, title LIMIT 200"#,
        pattern
    )
    .fetch_all(&caller.state.pool)
    .await?
    .into_iter()
    .map(StaffReward::try_from)
    .collect()
}

pub async fn save(
    caller: &Caller,
    id: Option<i64>,
    draft: RewardDraft,
) -> Result<StaffReward, AppError> {
    let actor = caller.account()?.id;
    let mut tx = caller.state.pool.begin().await?;
    let before = match id {
        Some(id) => Some(reward(&mut *tx, id).await?),
        None => None,
    };
    let tier_error = |e: sqlx::Error| match violated_constraint(&e) {
        Some("rewards_min_tier_fkey") => {
            AppError::invalid("min_tier", "Choose one of the tiers, or none.")
        }
        _ => e.into(),
    };
    let saved_id = match id {
        Some(id) => sqlx::query_scalar!(
            r#"UPDATE rewards SET title = $2, description = $3, category = $4, points_cost = $5, tags = $6, min_tier = $7
               WHERE id = $1 RETURNING id"#,
            id,
            draft.title,
            draft.description,
            draft.category.slug(),
            draft.points_cost,
            &draft.tags,
            draft.min_tier
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(tier_error)?,
        None => sqlx::query_scalar!(
            r#"INSERT INTO rewards (title, description, category, points_cost, tags, min_tier)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"#,
            draft.title,
            draft.description,
            draft.category.slug(),
            draft.points_cost,
            &draft.tags,
            draft.min_tier
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(tier_error)?,
    };
    let after = reward(&mut *tx, saved_id).await?;
    let action = if before.is_some() {
        "reward.edit"
    } else {
        "reward.create"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("reward:{saved_id}"),
        before.as_ref().map(snapshot),
        Some(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn archive(caller: &Caller, id: i64) -> Result<StaffReward, AppError> {
    let actor = caller.account()?.id;
    let mut tx = caller.state.pool.begin().await?;
    let before = reward(&mut *tx, id).await?;
    if before.archived {
        return Ok(before);
    }
    sqlx::query!("UPDATE rewards SET archived_at = now() WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    // Out of every drop that has not opened yet; drops that ran keep it, with its redemptions.
    sqlx::query!(
        r#"DELETE FROM drop_items di USING drops d
           WHERE di.drop_id = d.id AND di.reward_id = $1 AND d.starts_at > now()
             AND NOT EXISTS (SELECT 1 FROM redemptions x WHERE x.drop_item_id = di.id)"#,
        id
    )
    .execute(&mut *tx)
    .await?;
    let after = reward(&mut *tx, id).await?;
    audit(
        &mut tx,
        actor,
        "reward.archive",
        &format!("reward:{id}"),
        Some(snapshot(&before)),
        Some(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn audit_entries(
    caller: &Caller,
    action: Option<&str>,
    actor: Option<&str>,
) -> Result<Vec<AuditEntry>, AppError> {
    let store = crate::store::server::load(&caller.state.pool).await?;
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
    .fetch_all(&caller.state.pool)
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
