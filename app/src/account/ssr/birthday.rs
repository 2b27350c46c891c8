//! The birthday gift: on the birthday a member gave on "What you love" (28 February for 29
//! February outside leap years), the store's `birthday_points` as a ledger entry whose points
//! expire after `birthday_window_days`, and a word on their account page in their language.
//! Run hourly by every server; a member gets one gift per year and never two within twelve
//! months, whichever server runs first and however often they change the day.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::AppError;
use crate::infra::ledger::{Credit, credit, lock_balance};

/// Members given their gift per transaction.
const GIFTS_PER_BATCH: i64 = 200;

/// Gives every member whose birthday it is (or was, earlier this month, in the store's
/// calendar) and who has not had a gift in the last twelve months their gift; returns how many.
pub async fn grant_birthday_gifts(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let store = crate::infra::store::load(pool).await?;
    let settings = sqlx::query!("SELECT birthday_points, birthday_window_days FROM store_settings")
        .fetch_one(pool)
        .await?;
    if settings.birthday_points <= 0 {
        return Ok(0);
    }
    let today = now.with_timezone(&store.zone).date_naive();
    let leap = NaiveDate::from_ymd_opt(today.year(), 2, 29).is_some();
    let expires_at = now + Duration::days(i64::from(settings.birthday_window_days));
    let mut given = 0;
    'batches: loop {
        let mut tx = pool.begin().await?;
        // Due: the birthday is this month and on or before today (so a member who gives a day
        // earlier this month still gets this year's gift), no gift in twelve months.
        let due = sqlx::query!(
            r#"SELECT p.account_id, a.language
               FROM member_profiles p JOIN accounts a ON a.id = p.account_id
               WHERE a.role = 'member'
                 AND p.birthday_month = $1
                 AND (CASE WHEN p.birthday_month = 2 AND p.birthday_day = 29 AND NOT $3 THEN 28
                           ELSE p.birthday_day END) <= $2
                 AND NOT EXISTS (SELECT 1 FROM birthday_gifts g
                                 WHERE g.account_id = p.account_id
                                   AND (g.granted_at > $4::timestamptz - interval '12 months' OR g.year = $5))
               ORDER BY p.account_id
               LIMIT $6
               FOR UPDATE OF p SKIP LOCKED"#,
            i16::try_from(today.month()).unwrap_or(1),
            i32::try_from(today.day()).unwrap_or(1),
            leap,
            now,
            i16::try_from(today.year()).unwrap_or(i16::MAX),
            GIFTS_PER_BATCH
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(given);
        }
        for member in &due {
            lock_balance(&mut tx, member.account_id).await?;
            let entry = credit(
                &mut tx,
                member.account_id,
                Credit::Adjust,
                settings.birthday_points,
                "Birthday gift",
                None,
                None,
                expires_at,
            )
            .await?;
            // Servers skip each other's locked members, but one that read the member just
            // before the other committed still finds them due (its `NOT EXISTS` saw the old
            // snapshot): the key refuses that second gift, and its batch rolls back, credit and
            // all, and looks again — the next look sees the gift.
            let recorded = sqlx::query!(
                "INSERT INTO birthday_gifts (account_id, year, granted_at, points, expires_at, ledger_entry_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                member.account_id,
                i16::try_from(today.year()).unwrap_or(i16::MAX),
                now,
                settings.birthday_points,
                expires_at,
                entry
            )
            .execute(&mut *tx)
            .await;
            match recorded {
                Err(e)
                    if crate::domain::error::server::violated_constraint(&e)
                        == Some("birthday_gifts_pkey") =>
                {
                    tx.rollback().await?;
                    continue 'batches;
                }
                other => {
                    other?;
                }
            }
            let tr = super::tr_for(member.language.as_deref());
            let message = tr.count(
                "account.birthday.notice",
                settings.birthday_points,
                &[(
                    "date",
                    &crate::domain::i18n::format_day(
                        tr.locale(),
                        expires_at.with_timezone(&store.zone).date_naive(),
                    ),
                )],
            );
            sqlx::query!(
                "INSERT INTO member_notices (account_id, message) VALUES ($1, $2)",
                member.account_id,
                message
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        given += due.len();
    }
}
