//! The promises redemption keeps, checked over the whole database. The integration tests run
//! this after every concurrent scenario and the storm benchmark after each of its runs, so both
//! hold the code to the same definition of "nothing oversold, nothing spent twice".

use sqlx::PgPool;

/// Each broken invariant, described; empty when all hold.
pub async fn violations(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    let mut broken = Vec::new();
    let oversold = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM drop_items di
           WHERE di.remaining + (SELECT count(*) FROM redemptions x
                                 WHERE x.drop_item_id = di.id AND x.status = 'confirmed') <> di.quantity"#
    )
    .fetch_one(pool)
    .await?;
    if oversold > 0 {
        broken.push(format!(
            "{oversold} drop items where confirmed redemptions + remaining <> quantity"
        ));
    }
    let books = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM accounts a
           WHERE a.balance < 0
              OR a.balance <> COALESCE((SELECT sum(points) FROM ledger_entries l WHERE l.account_id = a.id), 0)
              OR a.balance <> COALESCE((SELECT sum(remaining) FROM point_lots p WHERE p.account_id = a.id), 0)"#
    )
    .fetch_one(pool)
    .await?;
    if books > 0 {
        broken.push(format!(
            "{books} accounts whose balance is negative or differs from their ledger or open lots"
        ));
    }
    let unpaid = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM redemptions x JOIN ledger_entries l ON l.id = x.ledger_entry_id
           WHERE l.points <> -x.points OR l.account_id <> x.account_id OR l.kind <> 'redeem'"#
    )
    .fetch_one(pool)
    .await?;
    if unpaid > 0 {
        broken.push(format!(
            "{unpaid} redemptions not paid by exactly their own ledger entry"
        ));
    }
    Ok(broken)
}
