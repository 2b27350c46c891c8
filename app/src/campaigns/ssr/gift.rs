//! A reward given outright as a campaign's offer: each treated member gets a reward from the
//! catalogue with a code of their own to show in store, outside any drop — no points spent, no
//! drop's stock taken (`campaign_gifts`, migration 0034). Held-out members get nothing, which
//! the table's key to their group enforces.

use std::collections::HashSet;

use sqlx::{PgConnection, PgPool};

use crate::AppError;
use crate::audiences::Choice;
use crate::domain::i18n::tr;

/// The reward given, as the offer's email names it.
pub struct Given {
    pub title: String,
    pub title_es: Option<String>,
}

/// `GF-7K3M-Q9XD`: a redemption's kind of code with a prefix of its own.
fn gift_code() -> String {
    crate::redemptions::ssr::code_with_prefix("GF")
}

/// Gives every treated member of campaign `campaign` the reward `reward`, each with a code.
/// An archived or unknown reward is refused with a message for the form's field.
pub async fn grant(tx: &mut PgConnection, campaign: i64, reward: i64) -> Result<Given, AppError> {
    let found = sqlx::query!(
        "SELECT title, title_es FROM rewards WHERE id = $1 AND archived_at IS NULL FOR SHARE",
        reward
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("gift_reward", tr().t("campaigns.error.gift_reward")))?;
    let mut due: Vec<i64> = sqlx::query_scalar!(
        "SELECT account_id FROM campaign_members WHERE campaign_id = $1 AND NOT held_out ORDER BY account_id",
        campaign
    )
    .fetch_all(&mut *tx)
    .await?;
    // 40 random bits: across a large campaign two codes may meet, here or with an older gift.
    // The code's key skips a meeting, and whoever it skipped gets a fresh code next round.
    while !due.is_empty() {
        let codes: Vec<String> = due.iter().map(|_| gift_code()).collect();
        let given: HashSet<i64> = sqlx::query_scalar!(
            r#"INSERT INTO campaign_gifts (campaign_id, account_id, reward_id, code)
               SELECT $1, t.account_id, $2, t.code FROM unnest($3::bigint[], $4::text[]) AS t(account_id, code)
               ON CONFLICT (code) DO NOTHING
               RETURNING account_id"#,
            campaign,
            reward,
            &due,
            &codes
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        due.retain(|id| !given.contains(id));
    }
    Ok(Given {
        title: found.title,
        title_es: found.title_es,
    })
}

/// The rewards a campaign could give: the catalogue's, archived ones left out.
pub async fn choices(pool: &PgPool) -> Result<Vec<Choice>, AppError> {
    let spanish = tr().lang() == crate::domain::i18n::Lang::Es;
    Ok(sqlx::query!(
        r#"SELECT id, CASE WHEN $1 THEN COALESCE(title_es, title) ELSE title END AS "title!"
           FROM rewards WHERE archived_at IS NULL ORDER BY 2, id LIMIT 500"#,
        spanish
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Choice {
        value: r.id.to_string(),
        label: r.title,
    })
    .collect())
}
