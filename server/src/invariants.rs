//! The promises redemption (and a draw's holds) keep, checked over the whole database. The integration tests run
//! this after every concurrent scenario and the storm benchmark after each of its runs, so both
//! hold the code to the same definition of "nothing oversold, nothing spent twice".

use sqlx::PgPool;

/// Each broken invariant, described; empty when all hold.
pub async fn violations(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    let counts = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM drop_items di
              WHERE di.remaining + (SELECT count(*) FROM redemptions x
                                    WHERE x.drop_item_id = di.id AND x.status = 'confirmed') <> di.quantity
             ) AS "oversold!",
             (SELECT count(*) FROM accounts a
              WHERE a.balance < 0
                 OR a.balance <> COALESCE((SELECT sum(points) FROM ledger_entries l WHERE l.account_id = a.id), 0)
                 OR a.balance <> COALESCE((SELECT sum(remaining) FROM point_lots p WHERE p.account_id = a.id), 0)
             ) AS "books!",
             (SELECT count(*) FROM redemptions x JOIN ledger_entries l ON l.id = x.ledger_entry_id
              WHERE l.points <> -x.points OR l.account_id <> x.account_id OR l.kind <> 'redeem'
             ) AS "unpaid!",
             (SELECT count(*) FROM (SELECT account_id, drop_item_id, count(*) AS n FROM redemptions
                                    WHERE status = 'confirmed' GROUP BY account_id, drop_item_id) x
              FULL JOIN holdings h USING (account_id, drop_item_id)
              WHERE COALESCE(x.n, 0) <> COALESCE(h.held, 0)
             ) AS "miscounted!",
             (SELECT count(*) FROM draw_entries e JOIN ledger_entries l ON l.id = e.hold_entry_id
              WHERE l.points <> -e.points OR l.kind <> 'hold' OR l.account_id <> e.account_id
                 OR e.points <> (SELECT COALESCE(sum(x.points), 0) FROM draw_entry_lots x WHERE x.entry_id = e.id)
                 OR (e.outcome IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM ledger_entries r WHERE r.id = e.release_entry_id
                          AND r.kind = 'release' AND r.points = e.points AND r.account_id = e.account_id))
             ) AS "held!""#
    )
    .fetch_one(pool)
    .await?;
    Ok([
        (
            counts.oversold,
            "drop items where confirmed redemptions + remaining <> quantity",
        ),
        (
            counts.books,
            "accounts whose balance is negative or differs from their ledger or open lots",
        ),
        (
            counts.unpaid,
            "redemptions not paid by exactly their own ledger entry",
        ),
        (
            counts.miscounted,
            "members whose count of an item they hold differs from their confirmed redemptions of it",
        ),
        (
            counts.held,
            "draw entries whose hold, lots or release do not match the points they hold",
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect())
}
