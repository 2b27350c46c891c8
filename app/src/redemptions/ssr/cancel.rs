//! Cancelling a redemption, by the member in their grace period or by staff for them.

use chrono::{DateTime, Duration, Utc};

use super::queries::*;
use crate::AppError;
use crate::infra::caller::Member;
use crate::infra::ledger::{Credit, credit, expiry_period, lock_balance, restore};
use crate::redemptions::Redemption;

pub async fn cancel(
    caller: &Member,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Redemption, AppError> {
    let me = caller.account();
    cancel_as(caller.pool(), me.id, code, now, CancelBy::MemberRow).await?;
    one(caller, code, now).await
}

/// Who cancels a redemption, which decides the rules.
pub enum CancelBy<'a> {
    /// The member: within the grace period and while the drop is open.
    MemberRow,
    /// Staff on the member's behalf, at any time, with a reason for the audit trail.
    Staff { actor_id: i64, reason: &'a str },
}

/// Cancels `code` of `account_id`: points back as a refund entry, the unit back in stock, in one
/// transaction. Cancelling a cancelled redemption changes nothing.
pub async fn cancel_as(
    pool: &sqlx::PgPool,
    account_id: i64,
    code: &str,
    now: DateTime<Utc>,
    by: CancelBy<'_>,
) -> Result<(), AppError> {
    let tr = crate::domain::i18n::tr();
    let mut tx = pool.begin().await?;
    let balance_before = lock_balance(&mut tx, account_id).await?;
    let r = sqlx::query!(
        r#"SELECT x.id, x.drop_item_id, x.points, x.status, x.created_at, d.ends_at, r.title,
                  (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!"
           FROM redemptions x
           JOIN drop_items di ON di.id = x.drop_item_id
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           CROSS JOIN store_settings s
           WHERE x.code = $1 AND x.account_id = $2
           FOR UPDATE OF x"#,
        code,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("redemptions.the_redemption")))?;
    if r.status == "cancelled" {
        tx.rollback().await?;
        return Ok(());
    }
    if let CancelBy::MemberRow = by {
        let minutes = r.window_secs / 60;
        if now >= r.created_at + Duration::seconds(r.window_secs) {
            return Err(AppError::CannotCancel {
                message: tr.count("redemptions.cancel_window_over", minutes, &[]),
            });
        }
        if now >= r.ends_at {
            return Err(AppError::CannotCancel {
                message: tr.t("redemptions.cancel_drop_closed").into(),
            });
        }
    }
    sqlx::query!(
        "UPDATE drop_items SET remaining = remaining + 1 WHERE id = $1",
        r.drop_item_id
    )
    .execute(&mut *tx)
    .await?;
    // The points go back to the lots they came from, with their original expiry: a fresh
    // expiry would let a member renew expiring points forever by redeeming and cancelling.
    let reason = format!("Cancelled: {}", r.title);
    let restored = restore(&mut tx, account_id, r.id, &reason, code).await?;
    let (refund, back) = restored.unwrap_or_default();
    let refund = if back < r.points {
        // Made before lots were recorded: what is left comes back as freshly earned points.
        let expires_at = now + expiry_period(&mut *tx).await?;
        let rest = credit(
            &mut tx,
            account_id,
            Credit::Refund,
            r.points - back,
            &reason,
            Some(code),
            None,
            expires_at,
        )
        .await?;
        if back > 0 { refund } else { rest }
    } else {
        refund
    };
    sqlx::query!(
        "UPDATE redemptions SET status = 'cancelled', cancelled_at = $2, refund_entry_id = $3 WHERE id = $1",
        r.id,
        now,
        refund
    )
    .execute(&mut *tx)
    .await?;
    if let CancelBy::Staff { actor_id, reason } = by {
        crate::infra::audit::audit(
            &mut tx,
            actor_id,
            "redemption.cancel",
            &format!("account:{account_id}"),
            Some(serde_json::json!({ "code": code, "status": "confirmed", "balance": balance_before })),
            Some(serde_json::json!({
                "code": code, "status": "cancelled", "balance": balance_before + r.points,
                "refunded": r.points, "reason": reason,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
