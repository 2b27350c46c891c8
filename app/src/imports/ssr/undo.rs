//! Undoing an import: one transaction for the whole business action. The batch's purchases
//! are kept as refunded, the points they earned are taken back through the ledger (which is
//! append-only) as far as each balance allows, the members' tiers are recalculated, and the
//! batch is marked undone, so its purchases' ids may be imported again.

use chrono::Utc;
use serde_json::json;

use crate::AppError;
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::infra::ledger::{Reversal, lock_balance, recalculate_tier, reverse_purchase};

/// Undoes every batch of `upload`, or the one `batch`.
pub async fn undo(caller: &Staff, upload: Option<i64>, batch: Option<i64>) -> Result<(), AppError> {
    let tr = tr();
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let batches = sqlx::query!(
        r#"SELECT id, undone_at IS NOT NULL AS "undone!" FROM import_batches
           WHERE (upload_id = $1 OR id = $2) ORDER BY id FOR UPDATE"#,
        upload,
        batch
    )
    .fetch_all(&mut *tx)
    .await?;
    if batches.is_empty() {
        return Err(AppError::not_found(tr.t("imports.the_import")));
    }
    if batches.iter().all(|b| b.undone) {
        return Err(AppError::bad_request(tr.t("imports.already_undone")));
    }
    let ids: Vec<i64> = batches.iter().filter(|b| !b.undone).map(|b| b.id).collect();
    // Members locked in id order, as every writer of balances does.
    let members = sqlx::query_scalar!(
        "SELECT DISTINCT account_id FROM purchases WHERE import_batch_id = ANY($1) ORDER BY account_id",
        &ids
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut reversed_total = 0;
    for member in &members {
        let mut balance = lock_balance(&mut tx, *member).await?;
        let earned = sqlx::query!(
            "SELECT id, external_id, points_earned FROM purchases
             WHERE import_batch_id = ANY($1) AND account_id = $2 AND refunded_at IS NULL AND points_earned > 0
             ORDER BY id",
            &ids,
            member
        )
        .fetch_all(&mut *tx)
        .await?;
        for purchase in earned {
            let reversed = reverse_purchase(
                &mut tx,
                balance,
                Reversal {
                    account_id: *member,
                    purchase_id: purchase.id,
                    points_earned: purchase.points_earned,
                    reason: "Import undone",
                    reference: &purchase.external_id,
                },
            )
            .await?;
            balance -= reversed;
            reversed_total += reversed;
        }
    }
    // The rest earned nothing: nothing to take back.
    let purchases = sqlx::query!(
        "UPDATE purchases SET refunded_at = now(), points_reversed = 0, points_unrecovered = 0
         WHERE import_batch_id = ANY($1) AND refunded_at IS NULL AND points_earned = 0",
        &ids
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    for member in &members {
        recalculate_tier(&mut tx, *member, Utc::now()).await?;
    }
    sqlx::query!(
        "UPDATE import_batches SET undone_at = now(), undone_by = $2 WHERE id = ANY($1)",
        &ids,
        actor
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        "import.undo",
        &match upload {
            Some(id) => format!("upload:{id}"),
            None => format!("import_batch:{}", ids[0]),
        },
        None,
        Some(json!({ "batches": ids, "purchases": purchases, "points_reversed": reversed_total })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
