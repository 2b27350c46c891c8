//! A campaign's reward: the treated members may redeem one reward of a coming drop some hours
//! before it opens, or it is set aside for them only, or both. The item records it
//! (`drop_items.early_access_campaign_id`, `drop_items.campaign_id`); the redemption writer and
//! the bazaar read the member's group from `campaign_members`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::AppError;
use crate::audiences::Choice;
use crate::domain::campaign::OfferedReward;
use crate::domain::i18n::tr;

/// What the treated members were given: the reward's title, when it opens for them, and
/// whether earlier than for others and theirs only.
pub struct Granted {
    pub title: String,
    pub title_es: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub early: bool,
    pub exclusive: bool,
}

/// Offers campaign `campaign`'s treated members `reward`: early access to its item some hours
/// before its drop opens, the item set aside for them only, or both. Only a first-come reward
/// of a drop that opens after the early access would start, with no early access yet (and,
/// to set it aside, for no audience), takes one; staff are told so otherwise.
pub async fn grant(
    tx: &mut PgConnection,
    campaign: i64,
    reward: OfferedReward,
) -> Result<Granted, AppError> {
    let hours = reward.early_hours.unwrap_or(0) as i32;
    let found = sqlx::query!(
        r#"SELECT r.title, r.title_es, d.starts_at - make_interval(hours => $2) AS "opens_at!"
           FROM drop_items di JOIN drops d ON d.id = di.drop_id JOIN rewards r ON r.id = di.reward_id
           WHERE di.id = $1 AND di.allocation = 'first_come' AND di.early_access IS NULL
             AND (NOT $3 OR (di.audience_id IS NULL AND di.campaign_id IS NULL))
             AND d.cancelled_at IS NULL AND d.starts_at - make_interval(hours => $2) > now()
           FOR UPDATE OF di"#,
        reward.item,
        hours,
        reward.exclusive
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("early_item", tr().t("campaigns.error.early_item")))?;
    sqlx::query!(
        "UPDATE drop_items
         SET early_access_campaign_id = CASE WHEN $3 > 0 THEN $2::bigint END,
             early_access = CASE WHEN $3::int > 0 THEN make_interval(hours => $3::int) END,
             campaign_id = CASE WHEN $4 THEN $2::bigint END
         WHERE id = $1",
        reward.item,
        campaign,
        hours,
        reward.exclusive
    )
    .execute(&mut *tx)
    .await?;
    Ok(Granted {
        title: found.title,
        title_es: found.title_es,
        opens_at: found.opens_at,
        early: hours > 0,
        exclusive: reward.exclusive,
    })
}

/// The rewards a campaign could offer: first-come items of coming drops with no early access yet.
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
