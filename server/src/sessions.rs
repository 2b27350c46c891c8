//! The session store: sessions in PostgreSQL, shared by every server instance, deleted on
//! sign-out and when they expire.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use app::infra::caller::SESSION_STORE_UNREACHABLE as UNREACHABLE;

#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn key(id: &Id) -> Vec<u8> {
    app::infra::caller::session_key(id)
}

/// The account signed in to a session, as its own column: the account page lists a member's
/// sessions by it, and deleting an account deletes its sessions.
fn owner(record: &Record) -> Option<i64> {
    record
        .data
        .get(app::infra::caller::ACCOUNT_ID)
        .and_then(serde_json::Value::as_i64)
}

fn device(record: &Record) -> Option<String> {
    record
        .data
        .get(app::infra::caller::DEVICE)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// A database error as the session layer reports it; an unreachable database is marked so the
/// caller answers "press again in a moment" (503) rather than an opaque 500.
fn database(e: sqlx::Error) -> session_store::Error {
    if app::domain::error::server::unreachable(&e) {
        session_store::Error::Backend(format!("{UNREACHABLE}{e}"))
    } else {
        backend(e)
    }
}

fn encode(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are random 128-bit numbers; on the rare collision, draw another.
        loop {
            let inserted = sqlx::query!(
                r#"INSERT INTO sessions (id_sha256, data, expires_at, account_id, device)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"#,
                key(&record.id),
                encode(record)?,
                to_chrono(record.expiry_date),
                owner(record),
                device(record)
            )
            .execute(&self.pool)
            .await
            .map_err(database)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query!(
            r#"INSERT INTO sessions (id_sha256, data, expires_at, account_id, device)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (id_sha256) DO UPDATE SET data = EXCLUDED.data,
                   expires_at = EXCLUDED.expires_at, account_id = EXCLUDED.account_id,
                   device = EXCLUDED.device, last_seen_at = now()"#,
            key(&record.id),
            encode(record)?,
            to_chrono(record.expiry_date),
            owner(record),
            device(record)
        )
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expires_at FROM sessions WHERE id_sha256 = $1 AND expires_at > now()",
            key(id)
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        row.map(|row| {
            let data = serde_json::from_value(row.data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
            let expiry_date =
                OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp()).map_err(backend)?;
            Ok(Record {
                id: *id,
                data,
                expiry_date,
            })
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE id_sha256 = $1", key(id))
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for PgSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE expires_at <= now()")
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }
}
