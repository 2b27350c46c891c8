//! Changing drops: saving, cancelling, and putting rewards in them or taking them out. Each
//! is one transaction, audited in it.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};

use crate::AppError;
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::{format_date, tr};
use crate::infra::audit::audit;
use crate::infra::caller::Staff;

use super::queries::*;
use super::rules::*;

/// A drop row locked for a change, refusing once it has opened (or was cancelled).
pub(super) struct LockedDrop {
    pub(super) title: String,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    pub(super) cancelled: bool,
}

impl LockedDrop {
    pub(super) fn snapshot(&self) -> serde_json::Value {
        json!({ "title": self.title, "starts_at": self.starts_at, "ends_at": self.ends_at, "cancelled": self.cancelled })
    }
}

pub(super) async fn lock_drop(conn: &mut PgConnection, id: i64) -> Result<LockedDrop, AppError> {
    sqlx::query_as!(
        LockedDrop,
        r#"SELECT title, starts_at, ends_at, cancelled_at IS NOT NULL AS "cancelled!"
           FROM drops WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("drops.the_drop")))
}

/// What happened to a drop members asked to be reminded of.
#[derive(Clone, Copy)]
enum Change {
    Moved {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    Cancelled {
        was: DateTime<Utc>,
    },
}

/// Tells every member reminded of drop `id` what changed: a notice on their account page and,
/// if they take reminder mail, an email — both in the member's language with times in their
/// zone (a notice is stored as written and read later, so it is written for its reader, not in
/// the staff member's language). Returns how many members were told.
async fn tell_reminded(
    tx: &mut PgConnection,
    state: &crate::infra::state::AppState,
    id: i64,
    change: Change,
) -> Result<i64, AppError> {
    use crate::infra::mail::{self, Compose, Kind, Outgoing, Topic};
    let rows = sqlx::query!(
        r#"SELECT r.account_id, a.email, a.display_name, a.language,
                  COALESCE(a.time_zone, s.time_zone) AS "zone!", d.title, d.title_es,
                  a.mail_drop_reminders AND a.email_undeliverable_at IS NULL AS "mail!"
           FROM drop_reminders r
           JOIN accounts a ON a.id = r.account_id
           JOIN drops d ON d.id = r.drop_id
           CROSS JOIN store_settings s
           WHERE r.drop_id = $1
           ORDER BY r.account_id"#,
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let key = mail::server_key(&state.pool, "unsubscribe").await?;
    let site = mail::site_url(state);
    let bazaar = format!("{site}/");
    let mut notices = Vec::with_capacity(rows.len());
    for r in &rows {
        let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
        let title = tr.written(&r.title, r.title_es.as_deref());
        let at = |t| format_date(tr.locale(), zone, t);
        let (notice, subject, body) = match change {
            Change::Moved { from, to } => {
                let args = [("drop", title), ("new", &at(to)), ("old", &at(from))];
                (
                    tr.f("drops.member_notice.moved", &args),
                    tr.f("mail.drop_moved.subject", &[("drop", title)]),
                    tr.f("mail.drop_moved.body", &args),
                )
            }
            Change::Cancelled { was } => {
                let args = [("drop", title), ("when", &at(was))];
                (
                    tr.f("drops.member_notice.cancelled", &args),
                    tr.f("mail.drop_cancelled.subject", &[("drop", title)]),
                    tr.f("mail.drop_cancelled.body", &args),
                )
            }
        };
        notices.push(notice);
        if !r.mail {
            continue;
        }
        let (unsubscribe, list_unsubscribe) =
            mail::unsubscribe_parts(&key, &site, tr, r.account_id, Topic::DropReminders);
        let message = Compose {
            tr,
            subject,
            greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
            paragraphs: vec![body],
            action: Some((tr.t("mail.reminder.action"), &bazaar)),
            footer: vec![tr.f("mail.reminder.why", &[("drop", title)]), unsubscribe],
        }
        .render();
        mail::enqueue(
            tx,
            state,
            Outgoing {
                account_id: Some(r.account_id),
                to: &r.email,
                kind: Kind::DropChanged,
                mail: message,
                unsubscribe_url: Some(list_unsubscribe),
            },
        )
        .await?;
    }
    let accounts: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    sqlx::query!(
        "INSERT INTO member_notices (account_id, message)
         SELECT * FROM unnest($1::bigint[], $2::text[])",
        &accounts,
        &notices
    )
    .execute(&mut *tx)
    .await?;
    Ok(accounts.len() as i64)
}

/// Refuses changes to a drop once any member could redeem from it; `what` is what can no
/// longer happen, in the reader's language ("its times can no longer be changed").
pub(super) async fn ensure_not_open(
    conn: &mut PgConnection,
    id: i64,
    drop: &LockedDrop,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), AppError> {
    let tr = tr();
    if drop.cancelled {
        return Err(AppError::Conflict {
            message: tr.f("drops.conflict.cancelled", &[("what", what)]),
        });
    }
    if now >= opens_at(&mut *conn, id, drop.starts_at).await? {
        return Err(AppError::Conflict {
            message: tr.f("drops.conflict.opened", &[("what", what)]),
        });
    }
    Ok(())
}

/// Locks the drop for a change to its rewards, refused once it has opened: from then on members
/// are redeeming what it holds.
async fn lock_unopened_items(
    conn: &mut PgConnection,
    drop_id: i64,
    now: DateTime<Utc>,
) -> Result<LockedDrop, AppError> {
    let drop = lock_drop(conn, drop_id).await?;
    ensure_not_open(
        conn,
        drop_id,
        &drop,
        now,
        tr().t("drops.conflict.rewards_fixed"),
    )
    .await?;
    Ok(drop)
}

pub(super) fn duplicate_title(title: &str) -> AppError {
    AppError::invalid(
        "title",
        tr().f("drops.invalid.duplicate_title", &[("title", title)]),
    )
}

/// `titles`: the English title and the Spanish one (empty: none).
pub async fn save(
    caller: &Staff,
    id: Option<i64>,
    titles: (&str, &str),
    starts: &str,
    ends: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let actor = caller.account().id;
    let title = parse_title(titles.0, crate::drops::DROP_TITLE_MAX)?;
    let title_es = match titles.1.trim() {
        "" => None,
        spanish => Some(parse_title(spanish, crate::drops::DROP_TITLE_MAX).map_err(
            |e| match e {
                AppError::Invalid { message, .. } => AppError::invalid("title_es", message),
                other => other,
            },
        )?),
    };
    let pool = caller.pool();
    let store = crate::infra::store::load(pool).await?;
    let window = DropWindow::parse(starts, ends, store.zone, now)?;
    let mut tx = pool.begin().await?;
    let (before, previous_start) = match id {
        Some(id) => {
            let drop = lock_drop(&mut tx, id).await?;
            ensure_not_open(
                &mut tx,
                id,
                &drop,
                now,
                tr().t("drops.conflict.times_fixed"),
            )
            .await?;
            (Some(drop.snapshot()), Some(drop.starts_at))
        }
        None => (None, None),
    };
    let constraint = |e: sqlx::Error| match violated_constraint(&e) {
        Some("drops_no_overlapping_duplicate") => duplicate_title(&title),
        _ => e.into(),
    };
    let saved = match id {
        Some(id) => sqlx::query_scalar!(
            "UPDATE drops SET title = $2, starts_at = $3, ends_at = $4, title_es = $5 WHERE id = $1 RETURNING id",
            id,
            title,
            window.starts_at,
            window.ends_at,
            title_es
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(constraint)?,
        None => sqlx::query_scalar!(
            "INSERT INTO drops (title, starts_at, ends_at, title_es) VALUES ($1, $2, $3, $4) RETURNING id",
            title,
            window.starts_at,
            window.ends_at,
            title_es
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(constraint)?,
    };
    // Its items' early access runs back from the new start: moving the drop closer must not
    // open it for some members there and then.
    let opens = opens_at(&mut *tx, saved, window.starts_at).await?;
    if opens < window.starts_at && now >= opens {
        return Err(AppError::invalid(
            "starts_at",
            tr().t("drops.invalid.opens_too_soon"),
        ));
    }
    // Members who asked to be reminded planned around the old time: tell them it moved.
    if let Some(previous) = previous_start.filter(|p| *p != window.starts_at) {
        tell_reminded(
            &mut tx,
            caller.state(),
            saved,
            Change::Moved {
                from: previous,
                to: window.starts_at,
            },
        )
        .await?;
        // The reminder mail goes again, 15 minutes before the new time.
        sqlx::query!(
            "UPDATE drop_reminders SET emailed_at = NULL WHERE drop_id = $1",
            saved
        )
        .execute(&mut *tx)
        .await?;
    }
    let after = lock_drop(&mut tx, saved).await?.snapshot();
    let action = if before.is_some() {
        "drop.edit"
    } else {
        "drop.create"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("drop:{saved}"),
        before,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Cancels a drop before it opens and tells the members who asked for a reminder; returns how
/// many were told.
pub async fn cancel(caller: &Staff, id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
    let actor = caller.account().id;
    let pool = caller.pool();
    let mut tx = pool.begin().await?;
    let drop = lock_drop(&mut tx, id).await?;
    if drop.cancelled {
        return Ok(0);
    }
    ensure_not_open(
        &mut tx,
        id,
        &drop,
        now,
        tr().t("drops.conflict.not_cancellable"),
    )
    .await?;
    sqlx::query!("UPDATE drops SET cancelled_at = $2 WHERE id = $1", id, now)
        .execute(&mut *tx)
        .await?;
    let told = tell_reminded(
        &mut tx,
        caller.state(),
        id,
        Change::Cancelled {
            was: drop.starts_at,
        },
    )
    .await?;
    let after = json!({ "title": drop.title, "starts_at": drop.starts_at, "ends_at": drop.ends_at, "cancelled": true, "members_told": told });
    audit(
        &mut tx,
        actor,
        "drop.cancel",
        &format!("drop:{id}"),
        Some(drop.snapshot()),
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(told)
}

pub(super) async fn item_snapshot(
    db: impl PgExecutor<'_>,
    drop_id: i64,
    reward_id: i64,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT di.id, di.quantity, di.points_cost, di.per_member_limit, di.early_access_tier,
                  (extract(epoch FROM di.early_access) / 60)::bigint AS early_minutes,
                  di.early_access_audience_id, di.audience_id, di.audience_shown
           FROM drop_items di WHERE di.drop_id = $1 AND di.reward_id = $2"#,
        drop_id,
        reward_id
    )
    .fetch_optional(db)
    .await?
    .map(|r| {
        json!({
            "item": r.id, "reward": reward_id, "quantity": r.quantity, "points_cost": r.points_cost,
            "per_member_limit": r.per_member_limit, "early_access_tier": r.early_access_tier,
            "early_access_minutes": r.early_minutes,
            "early_access_audience": r.early_access_audience_id,
            "audience": r.audience_id, "audience_shown": r.audience_shown,
        })
    }))
}

pub async fn save_item(
    caller: &Staff,
    drop_id: i64,
    item: ItemDraft,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let drop = lock_unopened_items(&mut tx, drop_id, now).await?;
    let tr = tr();
    let reward = sqlx::query!(
        r#"SELECT points_cost, archived_at IS NOT NULL AS "archived!" FROM rewards WHERE id = $1"#,
        item.reward_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("reward_id", tr.t("drops.invalid.reward_missing")))?;
    if reward.archived {
        return Err(AppError::invalid(
            "reward_id",
            tr.t("drops.invalid.reward_archived"),
        ));
    }
    let before = item_snapshot(&mut *tx, drop_id, item.reward_id).await?;
    let (who, minutes) = item.early_access.clone().unzip();
    let (tier, early_audience) = match who {
        Some(EarlyFor::Tier(tier)) => (Some(tier), None),
        Some(EarlyFor::Audience(id)) => (None, Some(id)),
        None => (None, None),
    };
    let (audience, shown) = item.audience.unzip();
    let saved = sqlx::query_scalar!(
        r#"INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost, per_member_limit,
                                   early_access_tier, early_access, early_access_audience_id,
                                   audience_id, audience_shown)
           VALUES ($1, $2, $3, $3, $4, $5, $6, make_interval(mins => $7::int), $8, $9, COALESCE($10, true))
           ON CONFLICT ON CONSTRAINT drop_items_reward_once_per_drop DO UPDATE SET
               quantity = EXCLUDED.quantity, remaining = EXCLUDED.remaining,
               points_cost = EXCLUDED.points_cost, per_member_limit = EXCLUDED.per_member_limit,
               early_access_tier = EXCLUDED.early_access_tier,
               -- A campaign's early access (not on the form) stays unless staff set another.
               early_access = CASE WHEN EXCLUDED.early_access IS NULL
                                   AND drop_items.early_access_campaign_id IS NOT NULL
                                   THEN drop_items.early_access ELSE EXCLUDED.early_access END,
               early_access_campaign_id = CASE WHEN EXCLUDED.early_access IS NULL
                                               THEN drop_items.early_access_campaign_id END,
               early_access_audience_id = EXCLUDED.early_access_audience_id,
               audience_id = EXCLUDED.audience_id, audience_shown = EXCLUDED.audience_shown
           RETURNING id"#,
        drop_id,
        item.reward_id,
        item.quantity,
        item.points_cost.unwrap_or(reward.points_cost),
        item.per_member_limit,
        tier,
        minutes,
        early_audience,
        audience,
        shown
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("drop_items_early_access_tier_fkey")
        | Some("drop_items_early_access_audience_id_fkey") => {
            AppError::invalid("early_access_tier", tr.t("drops.invalid.early_tier"))
        }
        Some("drop_items_audience_id_fkey") => {
            AppError::invalid("audience", tr.t("drops.invalid.audience"))
        }
        Some("drop_items_one_group_only") => {
            AppError::invalid("audience", tr.t("drops.invalid.set_aside"))
        }
        _ => e.into(),
    })?;
    // Early access may now reach back past the present: that would open the drop by editing it.
    ensure_not_open(
        &mut tx,
        drop_id,
        &drop,
        now,
        tr.t("drops.conflict.early_past"),
    )
    .await
    .map_err(|_| AppError::invalid("early_access_minutes", tr.t("drops.invalid.early_past")))?;
    let after = item_snapshot(&mut *tx, drop_id, item.reward_id).await?;
    let action = if before.is_some() {
        "drop.item.edit"
    } else {
        "drop.item.add"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("drop:{drop_id}"),
        before,
        after,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn remove_item(
    caller: &Staff,
    drop_id: i64,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    lock_unopened_items(&mut tx, drop_id, now).await?;
    let reward_id = sqlx::query_scalar!(
        "SELECT reward_id FROM drop_items WHERE id = $1 AND drop_id = $2",
        item_id,
        drop_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("drops.the_item")))?;
    let before = item_snapshot(&mut *tx, drop_id, reward_id).await?;
    sqlx::query!("DELETE FROM drop_items WHERE id = $1", item_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "drop.item.remove",
        &format!("drop:{drop_id}"),
        before,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
