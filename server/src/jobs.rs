//! Background work: expiring points, deleting expired sessions, and the daily tier pass. All
//! are safe to run on several servers at once.

use chrono::Utc;
use sqlx::PgPool;
use std::time::Duration;

/// Runs forever: points expiry and session clean-up every hour, tiers once a day (and once at
/// start).
pub async fn run(pool: PgPool) {
    let mut ticks: u64 = 0;
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        match app::infra::ledger::expire_due(&pool, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(accounts = n, "expired points"),
            Err(error) => tracing::error!(%error, "expiring points failed"),
        }
        if let Err(error) = tower_sessions::session_store::ExpiredDeletion::delete_expired(
            &crate::sessions::PgSessionStore::new(pool.clone()),
        )
        .await
        {
            tracing::error!(%error, "deleting expired sessions failed");
        }
        if ticks.is_multiple_of(24) {
            match app::infra::ledger::recalculate_all_tiers(&pool, Utc::now()).await {
                Ok(n) => tracing::info!(changed = n, "recalculated tiers"),
                Err(error) => tracing::error!(%error, "recalculating tiers failed"),
            }
        }
        ticks += 1;
    }
}
