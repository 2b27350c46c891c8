use chrono::Utc;
use sqlx::PgPool;

use super::{BazaarView, CategoryCount, DropSummary, RewardCard};
use crate::AppError;
use crate::ledger::Points;
use crate::rewards::Category;

/// Reads the bazaar as of now. `category` is the raw filter from the URL: an unknown one is the
/// member's mistake (a stale link), answered with the list of real categories.
pub async fn bazaar(pool: &PgPool, category: Option<&str>) -> Result<BazaarView, AppError> {
    let category = match category.filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            raw.parse::<Category>()
                .map_err(|e| AppError::bad_request(e.to_string()))?,
        ),
        None => None,
    };
    let now = Utc::now();
    let store = crate::store::server::load(pool).await?;

    let drops = sqlx::query!(
        r#"SELECT id, title, starts_at, ends_at
           FROM drops
           WHERE cancelled_at IS NULL AND ends_at > $1
           ORDER BY starts_at, id
           LIMIT 20"#,
        now
    )
    .fetch_all(pool)
    .await?;
    let summary = |id, title, starts_at, ends_at| DropSummary {
        id,
        title,
        starts_at,
        ends_at,
        starts_label: store.format_time(starts_at),
        ends_label: store.format_time(ends_at),
    };
    let (live, upcoming): (Vec<_>, Vec<_>) = drops
        .into_iter()
        .map(|d| summary(d.id, d.title, d.starts_at, d.ends_at))
        .partition(|d| d.starts_at <= now);
    let next = upcoming.into_iter().next();

    let rows = sqlx::query!(
        r#"SELECT di.id AS drop_item_id, r.id AS reward_id, r.title, r.description, r.category,
                  di.points_cost, di.quantity, di.remaining
           FROM drop_items di
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           WHERE d.cancelled_at IS NULL AND d.starts_at <= $1 AND d.ends_at > $1
           ORDER BY di.remaining = 0, di.points_cost, r.title, di.id"#,
        now
    )
    .fetch_all(pool)
    .await?;

    let mut categories: Vec<CategoryCount> = Category::ALL
        .into_iter()
        .map(|category| CategoryCount { category, count: 0 })
        .collect();
    let mut rewards = Vec::new();
    for row in rows {
        let row_category: Category = row
            .category
            .parse()
            .map_err(|e| AppError::internal("bazaar", e))?;
        if let Some(count) = categories.iter_mut().find(|c| c.category == row_category) {
            count.count += 1;
        }
        if category.is_some_and(|c| c != row_category) {
            continue;
        }
        rewards.push(RewardCard {
            drop_item_id: row.drop_item_id,
            reward_id: row.reward_id,
            image_url: format!("/media/rewards/{}.svg", row.reward_id),
            title: row.title,
            description: row.description,
            category: row_category,
            cost: Points::new(row.points_cost).map_err(|e| AppError::internal("bazaar", e))?,
            quantity: row.quantity,
            remaining: row.remaining,
        });
    }

    Ok(BazaarView {
        store: store.info,
        now,
        live,
        next,
        category,
        categories,
        rewards,
    })
}
