use chrono::Utc;
use serde_json::json;

use super::{Adjustment, CareRedemption, MemberCare, MemberMatch};
use crate::AppError;
use crate::account::HistoryLine;
use crate::domain::account::Role;
use crate::domain::i18n::tr;
use crate::domain::points::Points;
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::infra::ledger::{Credit, Debit, credit, debit, expiry_period, lock_balance};
use crate::redemptions::ssr::{CancelBy, cancel_as};

pub async fn search(pool: &sqlx::PgPool, q: &str) -> Result<Vec<MemberMatch>, AppError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, t.name AS tier, a.balance AS "balance: Points"
           FROM accounts a JOIN tiers t ON t.code = a.tier
           WHERE a.email ILIKE $1 OR a.display_name ILIKE $1
           ORDER BY a.email LIMIT 50"#,
        pattern
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(MemberMatch {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            tier: r.tier,
            balance: r.balance,
        })
    })
    .collect()
}

pub async fn member(pool: &sqlx::PgPool, id: i64) -> Result<MemberCare, AppError> {
    let store = crate::infra::store::load(pool).await?;
    let a = sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, a.role, t.name AS tier, a.balance AS "balance: Points", a.created_at
           FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("member_care.that_member")))?;
    let ledger = sqlx::query!(
        r#"SELECT created_at, kind, points, reason, reference FROM ledger_entries
           WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| HistoryLine {
        at: r.created_at,
        at_label: store.format_time(r.created_at),
        kind: r.kind,
        points: r.points,
        reason: r.reason,
        reference: r.reference,
    })
    .collect();
    let redemptions = sqlx::query!(
        r#"SELECT x.code, r.title, x.points AS "points: Points", x.status, x.created_at
           FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
           JOIN rewards r ON r.id = di.reward_id
           WHERE x.account_id = $1 ORDER BY x.created_at DESC LIMIT 100"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(CareRedemption {
            code: r.code,
            reward: r.title,
            points: r.points,
            cancelled: r.status == "cancelled",
            at_label: store.format_time(r.created_at),
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let value = value_label(pool, &store, id).await?;
    let best_next = crate::campaigns::ssr::actions::best_for(pool, id).await?;
    Ok(MemberCare {
        value,
        best_next,
        id: a.id,
        email: a.email,
        display_name: a.display_name,
        role: a.role,
        tier: a.tier,
        balance: a.balance,
        joined: store.format_time(a.created_at),
        ledger,
        redemptions,
    })
}

/// One `adjust` entry, in one transaction with its audit record. A correction never takes a
/// balance below zero.
pub async fn adjust(
    caller: &Staff,
    member_id: i64,
    adjustment: Adjustment,
) -> Result<Points, AppError> {
    let actor = caller.account().id;
    // Points are money to members: nobody moves their own, and one staff account (stolen, or
    // careless) cannot move large amounts.
    if member_id == actor {
        return Err(AppError::invalid(
            "points",
            tr().t("member_care.adjust.own_points"),
        ));
    }
    let mut tx = caller.pool().begin().await?;
    let limit = sqlx::query_scalar!("SELECT staff_adjustment_limit FROM store_settings")
        .fetch_one(&mut *tx)
        .await?;
    if adjustment.points.abs() > limit && caller.account().role != Role::Admin {
        return Err(AppError::invalid(
            "points",
            tr().count(
                "member_care.adjust.needs_admin",
                Points::new(limit)?.get(),
                &[],
            ),
        ));
    }
    let before = lock_balance(&mut tx, member_id).await?;
    if adjustment.points > 0 {
        let expires_at = Utc::now() + expiry_period(&mut *tx).await?;
        credit(
            &mut tx,
            member_id,
            Credit::Adjust,
            adjustment.points,
            &adjustment.reason,
            None,
            None,
            expires_at,
        )
        .await?;
    } else {
        let take = -adjustment.points;
        if take > before {
            return Err(AppError::invalid(
                "points",
                tr().count(
                    "member_care.adjust.at_most_balance",
                    Points::new(before)?.get(),
                    &[],
                ),
            ));
        }
        debit(
            &mut tx,
            member_id,
            Debit::Adjust,
            take,
            &adjustment.reason,
            None,
        )
        .await?;
    }
    let after = before + adjustment.points;
    audit(
        &mut tx,
        actor,
        "member.adjust",
        &format!("account:{member_id}"),
        Some(json!({ "balance": before })),
        Some(json!({ "balance": after, "points": adjustment.points, "reason": adjustment.reason })),
    )
    .await?;
    tx.commit().await?;
    Ok(Points::new(after)?)
}

pub async fn cancel_for(
    caller: &Staff,
    member_id: i64,
    code: &str,
    reason: &str,
) -> Result<(), AppError> {
    let actor_id = caller.account().id;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            tr().t("member_care.cancel.no_reason"),
        ));
    }
    cancel_as(
        caller.pool(),
        member_id,
        code.trim(),
        Utc::now(),
        CancelBy::Staff { actor_id, reason },
    )
    .await
}

/// The member's scores in a line: segment, chance they are still active, lifetime value.
async fn value_label(
    pool: &sqlx::PgPool,
    store: &crate::infra::store::Store,
    id: i64,
) -> Result<String, AppError> {
    use crate::insights::ssr::rfm::Segment;
    let tr = tr();
    let score = sqlx::query!(
        r#"SELECT s.segment, s.p_alive, s.clv_cents, st.clv_horizon_months
           FROM member_scores s, store_settings st WHERE s.account_id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let Some(score) = score else {
        return Ok(tr.t("member_care.member.not_scored").to_owned());
    };
    let segment =
        Segment::parse(&score.segment).map_or(score.segment.clone(), |s| s.label(tr).to_owned());
    Ok(match (score.p_alive, score.clv_cents) {
        (Some(p_alive), Some(clv)) => tr.f(
            "member_care.member.value",
            &[
                ("segment", &segment),
                (
                    "p_alive",
                    &tr.f(
                        "common.percent",
                        &[("n", &tr.number((p_alive * 100.0).round() as i64))],
                    ),
                ),
                ("months", &score.clv_horizon_months.to_string()),
                ("clv", &store.money(clv)),
            ],
        ),
        _ => tr.f(
            "member_care.member.value_without_forecast",
            &[("segment", &segment)],
        ),
    })
}

/// Deletes member `id` on their request: `confirm` must be their email; staff accounts are
/// not deleted here (an admin changes their role first, on the team page).
pub async fn delete_member(
    caller: &Staff,
    id: i64,
    open: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let tr = tr();
    let open = crate::account::ssr::OpenRedemptions::parse(open)?;
    let member = sqlx::query!(
        "SELECT email, role, deleted_at IS NOT NULL AS \"deleted!\" FROM accounts WHERE id = $1",
        id
    )
    .fetch_optional(caller.pool())
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("member_care.that_member")))?;
    if member.deleted {
        return Err(AppError::bad_request(tr.t("member_care.delete.already")));
    }
    if member.role != "member" {
        return Err(AppError::bad_request(
            tr.t("member_care.delete.not_a_member"),
        ));
    }
    if confirm.trim().to_lowercase() != member.email {
        return Err(AppError::invalid(
            "confirm",
            tr.t("member_care.delete.confirm_mismatch"),
        ));
    }
    crate::account::ssr::erase(caller.pool(), caller.account().id, id, open).await
}

/// `GET /staff/members/{id}/data.json`: a member's data for staff answering their request.
pub async fn member_data(
    axum::extract::State(state): axum::extract::State<crate::infra::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let caller = match crate::infra::caller::authorize_session::<Staff>(state, session).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let data = async {
        let mut conn = caller.pool().acquire().await?;
        crate::account::ssr::my_data(&mut conn, id).await
    }
    .await;
    match data {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"member-{id}-data.json\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
