//! "Remind me before entries close": a member asks on the draw's page (or asked for a reminder
//! of the draw's drop), and one email goes `LEAD_HOURS` before the window closes to those who
//! have not entered by then and still take drop reminders.

use chrono::{DateTime, Utc};

use crate::AppError;
use crate::domain::i18n::{format_date, tr};
use crate::infra::caller::Member;
use crate::infra::mail;
use crate::infra::state::AppState;

/// How long before a draw's close its reminder goes (at the opening, for a shorter window).
pub const LEAD_HOURS: i32 = 3;
/// Reminders written to the outbox per transaction.
const BATCH: i64 = 500;

/// Turns member `caller`'s reminder for the draw of `item_id` on. Pressing it is consent to
/// reminder mail, as the drop's "Email me" is.
pub async fn ask(caller: &Member, item_id: i64) -> Result<(), AppError> {
    let tr = tr();
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let draw = sqlx::query!(
        r#"SELECT closes_at, drawn_at IS NOT NULL OR cancelled_at IS NOT NULL AS "over!", s.time_zone
           FROM draws CROSS JOIN store_settings s WHERE drop_item_id = $1"#,
        item_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("draws.that_draw")))?;
    if draw.over || draw.closes_at <= Utc::now() {
        let zone: chrono_tz::Tz = draw.time_zone.parse().unwrap_or(chrono_tz::UTC);
        return Err(AppError::Conflict {
            message: tr.f(
                "draws.error.closed",
                &[(
                    "when",
                    &crate::infra::store::format_time(zone, draw.closes_at),
                )],
            ),
        });
    }
    sqlx::query!(
        "INSERT INTO draw_reminders (drop_item_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        item_id,
        me
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE accounts SET mail_drop_reminders = true WHERE id = $1",
        me
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the reminders that have come due (open draws closing within `LEAD_HOURS`) to the
/// outbox, once per member and draw, each in the member's language with the close in their
/// zone; returns how many. Members who asked for the draw's drop are asked for first. A member
/// who has entered, turned reminders off or whose address bounces gets nothing.
pub async fn mail_due(state: &AppState, now: DateTime<Utc>) -> Result<usize, AppError> {
    sqlx::query!(
        r#"INSERT INTO draw_reminders (drop_item_id, account_id)
           SELECT dr.drop_item_id, r.account_id
           FROM draws dr JOIN drop_items di ON di.id = dr.drop_item_id
           JOIN drop_reminders r ON r.drop_id = di.drop_id
           WHERE dr.drawn_at IS NULL AND dr.cancelled_at IS NULL AND dr.opens_at <= $1
             AND dr.closes_at > $1 AND dr.closes_at <= $1 + make_interval(hours => $2)
           ON CONFLICT DO NOTHING"#,
        now,
        LEAD_HOURS
    )
    .execute(&state.pool)
    .await?;
    let key = mail::server_key(&state.pool, "unsubscribe").await?;
    let site = mail::site_url(state);
    let mut total = 0;
    loop {
        let mut tx = state.pool.begin().await?;
        let due = sqlx::query!(
            r#"SELECT rm.drop_item_id, rm.account_id, a.email, a.display_name, a.language,
                      COALESCE(a.time_zone, s.time_zone) AS "zone!", r.title, r.title_es,
                      di.points_cost, dr.closes_at
               FROM draw_reminders rm
               JOIN draws dr ON dr.drop_item_id = rm.drop_item_id
               JOIN drop_items di ON di.id = rm.drop_item_id
               JOIN rewards r ON r.id = di.reward_id
               JOIN accounts a ON a.id = rm.account_id
               CROSS JOIN store_settings s
               WHERE rm.emailed_at IS NULL AND dr.drawn_at IS NULL AND dr.cancelled_at IS NULL
                 AND dr.opens_at <= $1 AND dr.closes_at > $1
                 AND dr.closes_at <= $1 + make_interval(hours => $2)
                 AND a.mail_drop_reminders AND a.email_undeliverable_at IS NULL
                 AND a.deleted_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM draw_entries e
                                 WHERE e.drop_item_id = rm.drop_item_id
                                   AND e.account_id = rm.account_id AND e.outcome IS NULL)
               ORDER BY rm.drop_item_id, rm.account_id
               LIMIT $3
               FOR UPDATE OF rm SKIP LOCKED"#,
            now,
            LEAD_HOURS,
            BATCH
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(total);
        }
        let mut messages = Vec::with_capacity(due.len());
        for r in &due {
            let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
            let title = tr.written(&r.title, r.title_es.as_deref());
            let when = format_date(tr.locale(), zone, r.closes_at);
            let points = tr.points(crate::domain::points::Points::new(r.points_cost)?);
            let page = format!("{site}/draws/{}", r.drop_item_id);
            let (unsubscribe, list_unsubscribe) =
                mail::unsubscribe_parts(&key, &site, tr, r.account_id, mail::Topic::DropReminders);
            let message = mail::Compose {
                tr,
                subject: tr.f("mail.draw_reminder.subject", &[("reward", title)]),
                greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
                paragraphs: vec![tr.f(
                    "mail.draw_reminder.body",
                    &[("reward", title), ("when", &when), ("points", &points)],
                )],
                action: Some((tr.t("mail.draw_reminder.action"), &page)),
                footer: vec![
                    tr.f("mail.draw_reminder.why", &[("reward", title)]),
                    unsubscribe,
                ],
            }
            .render();
            messages.push(mail::Outgoing {
                account_id: Some(r.account_id),
                to: &r.email,
                kind: mail::Kind::DrawReminder,
                mail: message,
                unsubscribe_url: Some(list_unsubscribe),
            });
        }
        mail::enqueue_all(&mut tx, state, messages).await?;
        let items: Vec<i64> = due.iter().map(|r| r.drop_item_id).collect();
        let accounts: Vec<i64> = due.iter().map(|r| r.account_id).collect();
        sqlx::query!(
            "UPDATE draw_reminders rm SET emailed_at = now()
             FROM unnest($1::bigint[], $2::bigint[]) AS d(drop_item_id, account_id)
             WHERE rm.drop_item_id = d.drop_item_id AND rm.account_id = d.account_id",
            &items,
            &accounts
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        total += due.len();
    }
}
