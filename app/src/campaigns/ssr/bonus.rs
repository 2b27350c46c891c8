//! A campaign's bonus points, paid on a treated member's first purchase in the window (the
//! earning API calls this in the purchase's transaction, with the account locked). Held-out
//! members get nothing: the query asks only for treated members, and the table's CHECK refuses
//! a bonus to a held-out row.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::AppError;
use crate::infra::ledger::{Credit, credit};

/// Pays every open bonus offer member `account_id` has for a purchase made `purchased_at`;
/// the points expire with the purchase's own (`expires_at`). Returns the points paid.
pub async fn pay(
    conn: &mut PgConnection,
    account_id: i64,
    purchase_id: i64,
    purchased_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<i64, AppError> {
    let offers = sqlx::query!(
        r#"SELECT m.campaign_id, c.bonus_points
           FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id
           WHERE m.account_id = $1 AND NOT m.held_out AND m.bonus_entry_id IS NULL
             AND c.bonus_points > 0 AND $2 >= c.starts_at AND $2 < c.ends_at
           ORDER BY m.campaign_id
           FOR UPDATE OF m"#,
        account_id,
        purchased_at
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut paid = 0;
    for offer in offers {
        let entry = credit(
            conn,
            account_id,
            Credit::Adjust,
            offer.bonus_points,
            "Bonus points offer",
            None,
            Some(purchase_id),
            expires_at,
        )
        .await?;
        sqlx::query!(
            "UPDATE campaign_members SET bonus_entry_id = $3 WHERE campaign_id = $1 AND account_id = $2",
            offer.campaign_id,
            account_id,
            entry
        )
        .execute(&mut *conn)
        .await?;
        paid += offer.bonus_points;
    }
    Ok(paid)
}
