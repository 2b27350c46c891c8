use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgExecutor;

use crate::AppError;
use crate::domain::store::StoreInfo;

/// The store's settings with its zone parsed, for server-side scheduling and formatting.
#[derive(Debug, Clone)]
pub struct Store {
    pub info: StoreInfo,
    pub zone: Tz,
}

impl Store {
    /// A time as this reader reads it, e.g. `Tue 24 Nov, 09:00 EST`: in the zone they chose,
    /// else the store's.
    pub fn format_time(&self, at: DateTime<Utc>) -> String {
        format_time(self.zone, at)
    }

    /// The zone this reader reads times in: the one they chose, else the store's.
    pub fn reader_zone(&self) -> Tz {
        crate::domain::i18n::reader_zone().unwrap_or(self.zone)
    }

    /// An amount in the store's currency as this reader writes money: "$150.00", "150,00 US$".
    pub fn money(&self, cents: i64) -> String {
        crate::domain::i18n::format_money(
            crate::domain::i18n::tr().locale(),
            cents,
            &self.info.currency,
        )
    }
}

/// `Store::format_time` for code that has only the zone (read along with other rows), in the
/// reader's language and the zone they chose on their account page, else `zone` (the store's):
/// `Tue 24 Nov, 09:00 EST`, `mar 24 nov, 09:00 CST`.
pub fn format_time(zone: Tz, at: DateTime<Utc>) -> String {
    let zone = crate::domain::i18n::reader_zone().unwrap_or(zone);
    crate::domain::i18n::format_date(crate::domain::i18n::tr().locale(), zone, at)
}

pub async fn load(db: impl PgExecutor<'_>) -> Result<Store, AppError> {
    let row = sqlx::query!("SELECT name, time_zone, currency FROM store_settings")
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::internal("store settings", "store_settings has no row"))?;
    let zone: Tz = row
        .time_zone
        .parse()
        .map_err(|e| AppError::internal("store settings", format!("bad time zone: {e}")))?;
    Ok(Store {
        info: StoreInfo {
            name: row.name,
            time_zone: row.time_zone,
            currency: row.currency,
        },
        zone,
    })
}
