//! A member's data rights: everything the portal holds about them as JSON ("Download my data"),
//! and "Delete my account", which erases who they were and keeps what the store's accounting
//! needs (the ledger and its totals, purchases, redemptions, all pointing at an anonymous row).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sqlx::PgConnection;
use tower_sessions::Session;

use crate::AppError;
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::{Member, authorize_session};
use crate::infra::state::AppState;

/// `GET /account/my-data.json` (`MY_DATA_PATH`): the signed-in member's data as a download.
pub async fn download_my_data(State(state): State<AppState>, session: Session) -> Response {
    let caller = match authorize_session::<Member>(state, session).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let data = async {
        let mut conn = caller.pool().acquire().await?;
        my_data(&mut conn, caller.account().id).await
    }
    .await;
    match data {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"my-rewards-bazaar-data.json\"".to_owned(),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Every row about member `id`, by what it is. Each query is a `json_agg` so the export is the
/// database's own account of it, column by column.
pub async fn my_data(conn: &mut PgConnection, id: i64) -> Result<Value, AppError> {
    let data = sqlx::query_scalar!(
        r#"SELECT json_build_object(
             'account', (SELECT json_build_object(
                 'email', email, 'display_name', display_name, 'role', role, 'tier', tier,
                 'balance', balance, 'language', language, 'time_zone', time_zone,
                 'created_at', created_at, 'email_verified_at', email_verified_at,
                 'customer_id', customer_id, 'enrolled_by', enrolled_by, 'card_number', card_number,
                 'two_factor_enabled_at', totp_enabled_at,
                 'messages', json_build_object('drop_reminders', mail_drop_reminders,
                                               'expiring_points', mail_expiring_points,
                                               'offers', mail_offers))
                 FROM accounts WHERE id = $1),
             'what_you_love', json_build_object(
                 'likes', (SELECT COALESCE(json_agg(json_build_object(
                               'reward_type', l.category, 'interest', i.name,
                               'given_at', l.given_at, 'given_via', l.given_via) ORDER BY l.given_at), '[]')
                           FROM member_likes l LEFT JOIN interests i ON i.id = l.interest_id
                           WHERE l.account_id = $1),
                 'profile', (SELECT json_build_object(
                                 'birthday_month', birthday_month, 'birthday_day', birthday_day,
                                 'birthday_given_at', birthday_given_at, 'birthday_given_via', birthday_via,
                                 'no_interests_at', no_interests_at)
                             FROM member_profiles WHERE account_id = $1),
                 'questions', (SELECT COALESCE(json_agg(json_build_object(
                                   'question', question, 'answered_at', answered_at,
                                   'not_now_at', dismissed_at) ORDER BY question), '[]')
                               FROM member_questions WHERE account_id = $1)),
             'ledger', (SELECT COALESCE(json_agg(json_build_object(
                            'at', created_at, 'kind', kind, 'points', points, 'reason', reason,
                            'reference', reference) ORDER BY id), '[]')
                        FROM ledger_entries WHERE account_id = $1),
             'purchases', (SELECT COALESCE(json_agg(json_build_object(
                               'source', source, 'external_id', external_id,
                               'amount_cents', amount_cents, 'purchased_at', purchased_at,
                               'points_earned', points_earned, 'refunded_at', refunded_at) ORDER BY id), '[]')
                           FROM purchases WHERE account_id = $1),
             'redemptions', (SELECT COALESCE(json_agg(json_build_object(
                                 'code', x.code, 'reward', r.title, 'points', x.points,
                                 'status', x.status, 'at', x.created_at,
                                 'cancelled_at', x.cancelled_at) ORDER BY x.id), '[]')
                             FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
                             JOIN rewards r ON r.id = di.reward_id WHERE x.account_id = $1),
             'reminders', (SELECT COALESCE(json_agg(json_build_object(
                               'drop', d.title, 'starts_at', d.starts_at, 'emailed_at', m.emailed_at)), '[]')
                           FROM drop_reminders m JOIN drops d ON d.id = m.drop_id WHERE m.account_id = $1),
             'messages_sent', (SELECT COALESCE(json_agg(json_build_object(
                                   'to', to_address, 'kind', kind, 'subject', subject,
                                   'text', text_body, 'written_at', created_at, 'sent_at', sent_at) ORDER BY id), '[]')
                               FROM outbox WHERE account_id = $1),
             'notices', (SELECT COALESCE(json_agg(json_build_object('message', message, 'at', created_at) ORDER BY id), '[]')
                         FROM member_notices WHERE account_id = $1),
             'birthday_gifts', (SELECT COALESCE(json_agg(json_build_object(
                                    'year', year, 'points', points, 'given_at', granted_at,
                                    'expires_at', expires_at)), '[]')
                                FROM birthday_gifts WHERE account_id = $1),
             'campaigns', (SELECT COALESCE(json_agg(json_build_object(
                               'campaign', c.name, 'group', CASE WHEN m.held_out THEN 'held_out' ELSE 'offered' END,
                               'assigned_at', m.assigned_at, 'bonus_points_paid', m.bonus_entry_id IS NOT NULL,
                               'mailed_at', m.mailed_at, 'gift', gr.title, 'gift_code', g.code)
                               ORDER BY m.assigned_at), '[]')
                           FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id
                           LEFT JOIN campaign_gifts g ON g.campaign_id = m.campaign_id AND g.account_id = m.account_id
                           LEFT JOIN rewards gr ON gr.id = g.reward_id
                           WHERE m.account_id = $1),
             'draw_entries', (SELECT COALESCE(json_agg(json_build_object(
                                  'reward', r.title, 'entry', e.code, 'tickets', e.tickets,
                                  'points_held', e.points, 'entered_at', e.created_at,
                                  'outcome', e.outcome, 'ended_at', e.ended_at) ORDER BY e.id), '[]')
                              FROM draw_entries e JOIN drop_items di ON di.id = e.drop_item_id
                              JOIN rewards r ON r.id = di.reward_id WHERE e.account_id = $1),
             'sessions', (SELECT COALESCE(json_agg(json_build_object(
                              'device', device, 'started_at', created_at, 'last_seen_at', last_seen_at)), '[]')
                          FROM sessions WHERE account_id = $1),
             'scores', (SELECT json_build_object(
                            'as_of', as_of, 'segment', segment, 'recency', r_score,
                            'frequency', f_score, 'monetary', m_score,
                            'p_alive', p_alive, 'expected_purchases_90d', expected_purchases_90d,
                            'lifetime_value_cents', clv_cents)
                        FROM member_scores WHERE account_id = $1)
           ) AS "data!""#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(data)
}

/// What happens to redemptions whose drop has not ended when a member deletes their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRedemptions {
    /// The codes stay valid at the till.
    Honour,
    /// Cancelled: the units go back in stock, the points back through the ledger.
    Cancel,
}

impl OpenRedemptions {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "honour" => Ok(OpenRedemptions::Honour),
            "cancel" => Ok(OpenRedemptions::Cancel),
            _ => Err(AppError::invalid(
                "open_redemptions",
                tr().t("account.data.choose_redemptions"),
            )),
        }
    }
}

/// "Delete my account", confirmed by the member's password.
pub async fn delete_my_account(
    caller: &Member,
    password: &str,
    open: &str,
) -> Result<(), AppError> {
    let open = OpenRedemptions::parse(open)?;
    let me = caller.account();
    let hash = sqlx::query_scalar!("SELECT password_hash FROM accounts WHERE id = $1", me.id)
        .fetch_one(caller.pool())
        .await?;
    let matches = match hash {
        Some(hash) => super::password_matches(password.to_owned(), hash).await?,
        None => false,
    };
    if !matches {
        return Err(AppError::invalid(
            "password",
            tr().t("account.data.wrong_password"),
        ));
    }
    erase(caller.pool(), me.id, me.id, open).await
}

/// Erases account `id` for `actor` (the member, or staff on their request): open redemptions
/// cancelled or honoured, then in one transaction every trace of who they were, and the audit
/// entry. Each cancellation is its own transaction (the redemption's rules and refund), before.
pub async fn erase(
    pool: &sqlx::PgPool,
    actor: i64,
    id: i64,
    open: OpenRedemptions,
) -> Result<(), AppError> {
    let now = chrono::Utc::now();
    let mut cancelled = 0;
    if open == OpenRedemptions::Cancel {
        let codes = sqlx::query_scalar!(
            "SELECT x.code FROM redemptions x
             JOIN drop_items di ON di.id = x.drop_item_id JOIN drops d ON d.id = di.drop_id
             WHERE x.account_id = $1 AND x.status = 'confirmed' AND d.ends_at > $2",
            id,
            now
        )
        .fetch_all(pool)
        .await?;
        for code in codes {
            crate::redemptions::ssr::cancel_as(
                pool,
                id,
                &code,
                now,
                crate::redemptions::ssr::CancelBy::Staff {
                    actor_id: actor,
                    reason: "Account deleted",
                },
            )
            .await?;
            cancelled += 1;
        }
    }
    let mut tx = pool.begin().await?;
    let email = sqlx::query_scalar!("SELECT email FROM accounts WHERE id = $1 FOR UPDATE", id)
        .fetch_one(&mut *tx)
        .await?;
    // Open draw entries are withdrawn, their points back: a deleted account does not win.
    let entries = sqlx::query_scalar!(
        "SELECT id FROM draw_entries WHERE account_id = $1 AND outcome IS NULL",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    for entry in entries {
        crate::draws::ssr::entries::release(&mut tx, entry, "withdrawn", "Draw entry withdrawn")
            .await?;
    }
    // What they told us, where they were signed in, what we meant to tell them (by id and by
    // address), what was worked out about them; attempts keep their outcome, not the address.
    sqlx::query!(
        "WITH likes AS (DELETE FROM member_likes WHERE account_id = $1),
              profile AS (DELETE FROM member_profiles WHERE account_id = $1),
              questions AS (DELETE FROM member_questions WHERE account_id = $1),
              signed_in AS (DELETE FROM sessions WHERE account_id = $1),
              links AS (DELETE FROM email_tokens WHERE account_id = $1),
              codes AS (DELETE FROM recovery_codes WHERE account_id = $1),
              reminders AS (DELETE FROM drop_reminders WHERE account_id = $1),
              notices AS (DELETE FROM member_notices WHERE account_id = $1),
              mail AS (DELETE FROM outbox WHERE account_id = $1 OR to_address = $2),
              scores AS (DELETE FROM member_scores WHERE account_id = $1),
              snapshots AS (DELETE FROM member_score_snapshots WHERE account_id = $1),
              sign_ins AS (DELETE FROM sign_in_attempts WHERE email = $2),
              resets AS (DELETE FROM password_reset_requests WHERE email = $2),
              presses AS (UPDATE redemption_attempts SET client_ip = 'erased' WHERE account_id = $1),
              draw_asks AS (DELETE FROM draw_reminders WHERE account_id = $1),
              draw_presses AS (UPDATE draw_attempts SET client_ip = 'erased' WHERE account_id = $1)
         SELECT 1 AS done",
        id,
        email
    )
    .fetch_one(&mut *tx)
    .await?;
    // Copies of the account in the audit log (staff changes to it, enrolment) say who it was.
    sqlx::query!(
        r#"UPDATE audit_log SET before = CASE WHEN before IS NOT NULL THEN '{"erased": true}'::jsonb END,
                                after = CASE WHEN after IS NOT NULL THEN '{"erased": true}'::jsonb END
           WHERE subject = $1 OR strpos(before::text, $2) > 0 OR strpos(after::text, $2) > 0"#,
        format!("account:{id}"),
        format!("\"{email}\"")
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE accounts SET email = 'deleted-' || id || '@deleted.invalid', display_name = 'Deleted member',
                password_hash = NULL, time_zone = NULL, language = NULL, sign_up_ip = NULL,
                email_verified_at = NULL, email_undeliverable_at = NULL,
                mail_drop_reminders = false, mail_expiring_points = false, mail_offers = false,
                totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
                enrolled_by = NULL, customer_id = NULL, sessions_valid_after = $2, deleted_at = $2,
                -- The card in the member's wallet no longer names anyone.
                card_number = new_card_number()
         WHERE id = $1",
        id,
        now
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        "account.delete",
        &format!("account:{id}"),
        None,
        Some(json!({
            "open_redemptions": match open { OpenRedemptions::Honour => "honour", OpenRedemptions::Cancel => "cancel" },
            "cancelled": cancelled,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
