//! A campaign's early access: the treated members may redeem one reward of a coming drop some
//! hours before it opens. The item records it (`drop_items.early_access_campaign_id`); the
//! redemption writer and the bazaar read the member's group from `campaign_members`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::AppError;
use crate::audiences::Choice;
use crate::domain::i18n::tr;

/// What the treated members were given: the reward's title and when it opens for them.
pub struct Granted {
    pub title: String,
    pub title_es: Option<String>,
    pub opens_at: DateTime<Utc>,
}

/// Gives campaign `campaign`'s treated members early access to item `item`, `hours` before its
/// drop opens. Only a first-come reward of a drop that opens after the early access would
/// start, with no early access yet, takes one; staff are told so otherwise.
pub async fn grant(
    tx: &mut PgConnection,
    campaign: i64,
    item: i64,
    hours: i64,
) -> Result<Granted, AppError> {
    let found = sqlx::query!(
        r#"SELECT r.title, r.title_es, d.starts_at - make_interval(hours => $2::int) AS "opens_at!"
           FROM drop_items di JOIN drops d ON d.id = di.drop_id JOIN rewards r ON r.id = di.reward_id
           WHERE di.id = $1 AND di.allocation = 'first_come' AND di.early_access IS NULL
             AND d.cancelled_at IS NULL AND d.starts_at - make_interval(hours => $2::int) > now()
           FOR UPDATE OF di"#,
        item,
        hours as i32
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("early_item", tr().t("campaigns.error.early_item")))?;
    sqlx::query!(
        "UPDATE drop_items SET early_access_campaign_id = $2, early_access = make_interval(hours => $3::int) WHERE id = $1",
        item,
        campaign,
        hours as i32
    )
    .execute(&mut *tx)
    .await?;
    Ok(Granted {
        title: found.title,
        title_es: found.title_es,
        opens_at: found.opens_at,
    })
}

/// The rewards early access could be given to: first-come items of coming drops with none yet.
pub async fn choices(pool: &PgPool) -> Result<Vec<Choice>, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    Ok(sqlx::query!(
        r#"SELECT di.id, r.title, d.title AS drop_title, d.starts_at FROM drop_items di
           JOIN drops d ON d.id = di.drop_id JOIN rewards r ON r.id = di.reward_id
           WHERE di.allocation = 'first_come' AND di.early_access IS NULL
             AND d.cancelled_at IS NULL AND d.starts_at > now() + interval '1 hour'
           ORDER BY d.starts_at, r.title LIMIT 200"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Choice {
        value: r.id.to_string(),
        label: tr.f(
            "campaigns.form.early_choice",
            &[
                ("reward", &r.title),
                ("drop", &r.drop_title),
                ("when", &store.format_time(r.starts_at)),
            ],
        ),
    })
    .collect())
}
