use chrono::{DateTime, Duration, Utc};

use crate::AppError;
use crate::account::statement::{
    AccountView, DeviceSession, Gift, HISTORY_PAGE_SIZE, HistoryLine, MailSettings, NextTier,
    Notice, Reminder,
};
use crate::domain::i18n::{Locale, format_hundredths, tr};
use crate::domain::points::Points;
use crate::infra::caller::Member;

pub async fn account(caller: &Member, page: i64) -> Result<AccountView, AppError> {
    let me = caller.account();
    let tr = tr();
    if !(1..=10_000).contains(&page) {
        return Err(AppError::bad_request(tr.t("account.page.bad_page")));
    }
    let pool = caller.pool();
    let store = crate::infra::store::load(pool).await?;
    let now = Utc::now();

    let tier = sqlx::query!(
        r#"SELECT t.name, t.earn_rate_pct, t.rank,
                  (SELECT COALESCE(sum(amount_cents), 0) FROM purchases p
                   WHERE p.account_id = $1 AND p.refunded_at IS NULL
                     AND p.purchased_at > $2::timestamptz - interval '12 months')::bigint AS "spend!"
           FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = $1"#,
        me.id,
        now
    )
    .fetch_one(pool)
    .await?;
    let next_tier = sqlx::query!(
        "SELECT name, min_spend_cents FROM tiers WHERE rank > $1 ORDER BY rank LIMIT 1",
        tier.rank
    )
    .fetch_optional(pool)
    .await?
    .map(|t| NextTier {
        name: t.name,
        spend_needed_cents: (t.min_spend_cents - tier.spend).max(0),
        spend_needed_label: store.money((t.min_spend_cents - tier.spend).max(0)),
    });

    let expiring = sqlx::query!(
        r#"SELECT COALESCE(sum(remaining), 0)::bigint AS "points!", min(expires_at) AS first
           FROM point_lots WHERE account_id = $1 AND remaining > 0 AND expires_at <= $2"#,
        me.id,
        now + Duration::days(30)
    )
    .fetch_one(pool)
    .await?;

    let rows = sqlx::query!(
        r#"SELECT created_at, kind, points, reason, reference FROM ledger_entries
           WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"#,
        me.id,
        HISTORY_PAGE_SIZE + 1,
        (page - 1) * HISTORY_PAGE_SIZE
    )
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() as i64 > HISTORY_PAGE_SIZE;
    let history = rows
        .into_iter()
        .take(HISTORY_PAGE_SIZE as usize)
        .map(|r| HistoryLine {
            at: r.created_at,
            at_label: day_label(tr.locale(), store.reader_zone(), r.created_at),
            kind: r.kind,
            points: r.points,
            reason: r.reason,
            reference: r.reference,
        })
        .collect();

    let reminders = sqlx::query!(
        r#"SELECT CASE WHEN $3 = 'es' THEN COALESCE(d.title_es, d.title) ELSE d.title END AS "title!",
                  d.starts_at
           FROM drop_reminders r JOIN drops d ON d.id = r.drop_id
           WHERE r.account_id = $1 AND d.cancelled_at IS NULL AND d.starts_at > $2
           ORDER BY d.starts_at LIMIT 20"#,
        me.id,
        now,
        crate::domain::i18n::tr().lang().code()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Reminder {
        starts_label: store.format_time(r.starts_at),
        title: r.title,
        starts_at: r.starts_at,
    })
    .collect();
    let gifts = sqlx::query!(
        r#"SELECT CASE WHEN $2 = 'es' THEN COALESCE(r.title_es, r.title) ELSE r.title END AS "title!",
                  g.code, c.ends_at, c.ends_at <= $3 AS "ended!"
           FROM campaign_gifts g JOIN rewards r ON r.id = g.reward_id
           JOIN campaigns c ON c.id = g.campaign_id
           WHERE g.account_id = $1 ORDER BY g.granted_at DESC LIMIT 10"#,
        me.id,
        tr.lang().code(),
        now
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|g| {
        let until = store.format_time(g.ends_at);
        Gift {
            title: g.title,
            code: tr.f("account.gifts.code", &[("code", &g.code)]),
            until: if g.ended {
                tr.f("account.gifts.ended", &[("until", &until)])
            } else {
                tr.f("account.gifts.until", &[("until", &until)])
            },
        }
    })
    .collect();
    let notices = sqlx::query!(
        "SELECT message, created_at FROM member_notices WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10",
        me.id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|n| Notice {
        at_label: store.format_time(n.created_at),
        message: n.message,
    })
    .collect();

    let current = caller
        .session()
        .id()
        .map(|id| crate::infra::caller::session_key(&id))
        .unwrap_or_default();
    let sessions = sqlx::query!(
        r#"SELECT encode(id_sha256, 'hex') AS "handle!", device, last_seen_at,
                  id_sha256 = $2 AS "current!"
           FROM sessions WHERE account_id = $1 AND expires_at > now()
           ORDER BY id_sha256 = $2 DESC, last_seen_at DESC LIMIT 20"#,
        me.id,
        current
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| DeviceSession {
        handle: s.handle,
        device: s
            .device
            .unwrap_or_else(|| tr.t("account.sessions.unknown_browser").into()),
        last_seen_label: store.format_time(s.last_seen_at),
        current: s.current,
    })
    .collect();

    let mail = sqlx::query_as!(
        MailSettings,
        r#"SELECT email_verified_at IS NOT NULL AS "verified!", email_undeliverable_at IS NOT NULL AS "undeliverable!",
                  mail_drop_reminders AS drop_reminders, mail_expiring_points AS expiring_points,
                  mail_offers AS offers
           FROM accounts WHERE id = $1"#,
        me.id
    )
    .fetch_one(pool)
    .await?;

    let time_zone = sqlx::query_scalar!("SELECT time_zone FROM accounts WHERE id = $1", me.id)
        .fetch_one(pool)
        .await?;

    let mut conn = pool.acquire().await?;
    let likes = super::likes::likes(&mut conn, me.id).await?;
    let question = super::questions::due(&mut conn, me.id).await?;

    Ok(AccountView {
        gifts,
        likes,
        question,
        mail,
        time_zone,
        store_zone: store.info.time_zone.clone(),
        display_name: me.display_name.clone(),
        email: me.email.clone(),
        balance: me.balance,
        tier_name: tier.name,
        earn_rate_pct: tier.earn_rate_pct,
        next_tier,
        spend_12m_cents: tier.spend,
        spend_12m_label: store.money(tier.spend),
        earn_rate_label: tr.f(
            "account.summary.earn_rate",
            &[
                (
                    "rate",
                    &format_hundredths(tr.locale(), tier.earn_rate_pct.into()),
                ),
                ("unit", &store.money(100)),
            ],
        ),
        expiring_first_label: expiring.first.map(|t| {
            let zone = store.reader_zone();
            let days = (t.with_timezone(&zone).date_naive()
                - now.with_timezone(&zone).date_naive())
            .num_days();
            tr.f(
                "account.summary.expiring_first",
                &[("when", &tr.in_days(days)), ("date", &store.format_time(t))],
            )
        }),
        expiring_soon: Points::new(expiring.points)?,
        reminders,
        notices,
        history,
        sessions,
        page,
        has_more,
    })
}

/// The day of a history line in the reader's zone (chosen, else the store's), as the reader
/// writes it: "3 Dec 2025", "3 dic 2025".
fn day_label(locale: Locale, zone: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    crate::domain::i18n::format_day(locale, at.with_timezone(&zone).date_naive())
}
