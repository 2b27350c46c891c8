//! Background work: expiring points, birthday gifts, deleting expired sessions and old attempt records, and
//! the daily tier and member-score passes. Every server runs this loop, and each job runs on one of them at a
//! time: it holds a PostgreSQL advisory lock while it runs, and a server that finds the lock
//! taken skips that round (the holder is doing the work).

use chrono::Utc;
use sqlx::PgPool;
use std::time::Duration;

/// Advisory lock keys, one per job (any numbers unique within the database).
const EXPIRY_LOCK: i64 = 0x6a6f_6273_0001;
const CLEAN_UP_LOCK: i64 = 0x6a6f_6273_0002;
const TIERS_LOCK: i64 = 0x6a6f_6273_0003;
const REMINDERS_LOCK: i64 = 0x6a6f_6273_0004;
const RECEIPTS_LOCK: i64 = 0x6a6f_6273_0005;
const EXPIRING_LOCK: i64 = 0x6a6f_6273_0006;
const BIRTHDAY_LOCK: i64 = 0x6a6f_6273_0008;
const DRAWS_LOCK: i64 = 0x6a6f_6273_0009;
const ROTATION_LOCK: i64 = 0x6a6f_6273_000a;
const DRAW_REMINDERS_LOCK: i64 = 0x6a6f_6273_000b;

/// How often the servers look for mail that has come due: reminders (15 minutes before a drop
/// opens; a look every 20 seconds sends them within that of their time) and receipts.
const MAIL_EVERY: Duration = Duration::from_secs(20);
/// Expiring-points mail is looked for every 30th look (10 minutes): it waits for the member's
/// daytime and goes at most weekly.
const EXPIRING_EVERY_LOOKS: u64 = 30;

/// Attempt records (sign-in, redemption and draw presses) kept this long: limits look back 15 minutes, and the
/// post-drop report a few weeks.
const KEEP_SIGN_IN_ATTEMPTS_DAYS: i32 = 30;
const KEEP_REDEMPTION_ATTEMPTS_DAYS: i32 = 180;

/// Runs forever: points expiry and clean-up every hour, tiers once a day (and once at start).
pub async fn run(pool: PgPool) {
    let mut ticks: u64 = 0;
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        once(&pool, EXPIRY_LOCK, "expiring points", async {
            let n = app::infra::ledger::expire_due(&pool, Utc::now()).await?;
            if n > 0 {
                tracing::info!(accounts = n, "expired points");
            }
            Ok(())
        })
        .await;
        once(&pool, CLEAN_UP_LOCK, "cleaning up", clean_up(&pool)).await;
        // Schedules keep eight weeks of drops ahead, and templates fill the drops coming due.
        once(&pool, ROTATION_LOCK, "rolling schedules", async {
            let made = app::drops::ssr::keep_rolling(&pool, Utc::now()).await?;
            let filled = app::drops::ssr::fill_due(&pool, Utc::now()).await?;
            if made > 0 || filled > 0 {
                tracing::info!(made, filled, "schedules rolled and drops filled");
            }
            Ok(())
        })
        .await;
        once(&pool, BIRTHDAY_LOCK, "giving birthday gifts", async {
            let n = app::account::ssr::grant_birthday_gifts(&pool, Utc::now()).await?;
            if n > 0 {
                tracing::info!(members = n, "birthday gifts given");
            }
            Ok(())
        })
        .await;
        if ticks.is_multiple_of(24) {
            once(&pool, TIERS_LOCK, "recalculating tiers", async {
                let n = app::infra::ledger::recalculate_all_tiers(&pool, Utc::now()).await?;
                tracing::info!(changed = n, "recalculated tiers");
                Ok(())
            })
            .await;
            // Members' scores: RFM, the models' forecasts, lifetime value (one server at a time;
            // the function takes its own lock so staff can also ask for a run).
            match app::insights::ssr::scores::recompute(&pool, Utc::now()).await {
                Ok(Some(run)) => tracing::info!(
                    members = run.members,
                    fitted = run.fitted,
                    seconds = run.seconds,
                    "computed member scores"
                ),
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "computing member scores failed"),
            }
        }
        ticks += 1;
    }
}

/// Runs forever: puts the mail that has come due into the outbox (drop reminders, receipts,
/// points about to expire), each kind on one server at a time.
pub async fn mail_jobs(state: app::infra::state::AppState) {
    let mut interval = tokio::time::interval(MAIL_EVERY);
    let mut looks: u64 = 0;
    loop {
        interval.tick().await;
        once(
            &state.pool,
            REMINDERS_LOCK,
            "writing reminder mails",
            async {
                let n = app::bazaar::ssr::mail_due_reminders(&state, Utc::now()).await?;
                if n > 0 {
                    tracing::info!(reminders = n, "reminder mails written");
                }
                Ok(())
            },
        )
        .await;
        // Draws whose window has closed are drawn within a look of their close. Each draw is
        // also taken FOR UPDATE SKIP LOCKED, so two servers never draw one twice.
        once(&state.pool, DRAWS_LOCK, "drawing draws", async {
            let n = app::draws::ssr::run::draw_due(&state.pool, Utc::now()).await?;
            if n > 0 {
                tracing::info!(draws = n, "draws drawn");
            }
            Ok(())
        })
        .await;
        // Members who asked hear a few hours before a draw's entries close.
        once(
            &state.pool,
            DRAW_REMINDERS_LOCK,
            "writing draw reminders",
            async {
                let n = app::draws::ssr::reminders::mail_due(&state, Utc::now()).await?;
                if n > 0 {
                    tracing::info!(reminders = n, "draw reminders written");
                }
                Ok(())
            },
        )
        .await;
        once(&state.pool, RECEIPTS_LOCK, "writing receipts", async {
            let n = app::redemptions::ssr::mail_due_receipts(&state).await?;
            if n > 0 {
                tracing::info!(receipts = n, "receipts written");
            }
            Ok(())
        })
        .await;
        if looks.is_multiple_of(EXPIRING_EVERY_LOOKS) {
            once(
                &state.pool,
                EXPIRING_LOCK,
                "writing expiring-points mail",
                async {
                    let n = app::account::ssr::mail_expiring_points(&state).await?;
                    if n > 0 {
                        tracing::info!(members = n, "expiring-points mail written");
                    }
                    Ok(())
                },
            )
            .await;
        }
        looks += 1;
    }
}

/// Runs `job` if no other server is running it now; returns whether it ran. The lock is held on
/// a connection of its own for the job's length and released after (or by PostgreSQL, if this
/// server dies mid-job).
pub async fn once(
    pool: &PgPool,
    lock: i64,
    what: &str,
    job: impl std::future::Future<Output = anyhow::Result<()>>,
) -> bool {
    let result = async {
        let mut holder = pool.acquire().await?;
        let mine: bool = sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "mine!""#, lock)
            .fetch_one(&mut *holder)
            .await?;
        if !mine {
            return anyhow::Ok(false);
        }
        let outcome = job.await;
        sqlx::query_scalar!("SELECT pg_advisory_unlock($1)", lock)
            .fetch_one(&mut *holder)
            .await?;
        outcome.map(|()| true)
    }
    .await;
    match result {
        Ok(ran) => ran,
        Err(error) => {
            tracing::error!(%error, "{what} failed");
            false
        }
    }
}

/// Deletes expired sessions and attempt records past their use.
pub async fn clean_up(pool: &PgPool) -> anyhow::Result<()> {
    tower_sessions::session_store::ExpiredDeletion::delete_expired(
        &crate::sessions::PgSessionStore::new(pool.clone()),
    )
    .await?;
    sqlx::query!(
        "DELETE FROM sign_in_attempts WHERE at < now() - make_interval(days => $1)",
        KEEP_SIGN_IN_ATTEMPTS_DAYS
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "DELETE FROM redemption_attempts WHERE at < now() - make_interval(days => $1)",
        KEEP_REDEMPTION_ATTEMPTS_DAYS
    )
    .execute(pool)
    .await?;
    // Presses on a draw's Enter, kept as long as redemption presses.
    sqlx::query!(
        "DELETE FROM draw_attempts WHERE at < now() - make_interval(days => $1)",
        KEEP_REDEMPTION_ATTEMPTS_DAYS
    )
    .execute(pool)
    .await?;
    Ok(())
}
