use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use axum::extract::ConnectInfo;
use std::net::SocketAddr;
use tower_sessions::Session;

use super::{Email, NewPassword, Policy, Role, Viewer, parse_display_name};
use crate::AppError;
use crate::error::server::{reply, violated_constraint};
use crate::ledger::Points;
use crate::state::AppState;

/// Session keys: the signed-in account, and when it signed in (Unix milliseconds).
const ACCOUNT_ID: &str = "account_id";
const SIGNED_IN_AT: &str = "signed_in_at";

/// Sign-in limits: failures counted over this window...
const ATTEMPT_WINDOW_MINUTES: i64 = 15;
/// ...at most this many per email address...
const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// ...and this many per client address (a shared office network signs in a lot).
const MAX_FAILURES_PER_IP: i64 = 30;

/// What an authorised server function works with.
pub struct Caller {
    pub state: AppState,
    pub session: Session,
    pub viewer: Option<Viewer>,
}

impl Caller {
    /// The signed-in account; only present after a policy that requires one.
    pub fn account(&self) -> Result<&Viewer, AppError> {
        self.viewer.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// Checks `policy` for the current request and returns the caller's context. On failure the
/// response status is already set, so a server function can simply `?` it.
pub async fn authorize(policy: Policy) -> Result<Caller, AppError> {
    authorize_inner(policy).await.map_err(reply)
}

async fn authorize_inner(policy: Policy) -> Result<Caller, AppError> {
    let state = AppState::current()?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::internal("reading the session", e))?;
    authorize_session(state, session, policy).await
}

/// The same check for a plain axum handler (e.g. a CSV download), which has the state and
/// session as extractors rather than in the Leptos context.
pub async fn authorize_session(
    state: AppState,
    session: Session,
    policy: Policy,
) -> Result<Caller, AppError> {
    let read = |e| AppError::internal("reading the session", e);
    let account_id: Option<i64> = session.get(ACCOUNT_ID).await.map_err(read)?;
    let signed_in_at: Option<i64> = session.get(SIGNED_IN_AT).await.map_err(read)?;
    let viewer = match (account_id, signed_in_at) {
        (Some(id), Some(at)) => load_viewer(&state.pool, id, at).await?,
        _ => None,
    };
    let role = viewer.as_ref().map(|v| v.role);
    let allowed = match policy {
        Policy::Anyone => true,
        Policy::Member => role.is_some(),
        Policy::Staff => role >= Some(Role::Staff),
        Policy::Admin => role == Some(Role::Admin),
    };
    if !allowed {
        return Err(if role.is_none() {
            AppError::Unauthenticated
        } else {
            AppError::Forbidden
        });
    }
    Ok(Caller {
        state,
        session,
        viewer,
    })
}

async fn load_viewer(
    pool: &sqlx::PgPool,
    id: i64,
    signed_in_at_ms: i64,
) -> Result<Option<Viewer>, AppError> {
    let signed_in_at = chrono::DateTime::from_timestamp_millis(signed_in_at_ms);
    let row = sqlx::query!(
        r#"SELECT id, email, display_name, role, tier, balance FROM accounts
           WHERE id = $1 AND sessions_valid_after <= $2"#,
        id,
        signed_in_at
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Viewer {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: Role::parse(&r.role)
                .ok_or_else(|| AppError::internal("loading an account", "unknown role"))?,
            tier: r.tier,
            balance: Points::new(r.balance)
                .map_err(|e| AppError::internal("loading an account", e))?,
        })
    })
    .transpose()
}

/// Hashes a password with argon2id (19 MiB, t = 2, p = 1: the OWASP baseline). Hashing is
/// deliberately slow, so it runs off the async workers.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::internal("hashing a password", e))
    })
    .await
    .map_err(|e| AppError::internal("hashing a password", e))?
}

/// Checks a password against a stored hash; `None` (no such account, or no password) still
/// costs one verification, so response times do not reveal which emails have accounts.
async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AppError> {
    // A valid argon2id hash of a random string, used when there is nothing to check against.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3LyvMSmDmS4WqF3cVxnG0CBQbmv9lVDYbHc8dPD1w2g";
    tokio::task::spawn_blocking(move || {
        let real = hash.is_some();
        let stored = hash.unwrap_or_else(|| DECOY.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::internal("reading a password hash", e))?;
        let matches = argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && matches)
    })
    .await
    .map_err(|e| AppError::internal("checking a password", e))?
}

/// The client's address, for per-address limits. Behind a reverse proxy this is the proxy's,
/// unless the server is told to trust `X-Forwarded-For` (`BAZAAR_TRUST_PROXY=1`).
pub(crate) async fn client_ip() -> String {
    let parts: Option<axum::http::request::Parts> = leptos::prelude::use_context();
    let Some(parts) = parts else {
        return "unknown".into();
    };
    if std::env::var("BAZAAR_TRUST_PROXY").as_deref() == Ok("1")
        && let Some(client) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(proxied_client)
    {
        return client.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The address our proxy saw, from `X-Forwarded-For`: the last entry, the one it appended.
/// Earlier entries are whatever the client chose to send, so trusting the first would let anyone
/// pick the address their sign-in failures are counted against.
fn proxied_client(forwarded: &str) -> Option<&str> {
    forwarded
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
}

/// Refuses a sign-in while too many recent attempts failed for this email or this address;
/// otherwise records this attempt as failed until its password is verified (`attempt_succeeded`).
/// Checking and recording happen one attempt at a time per email and per address: guesses sent
/// all at once would otherwise all pass the check before any of them was counted.
async fn begin_attempt(pool: &sqlx::PgPool, email: &str, ip: &str) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    // Always the email's lock first, then the address's: no two attempts wait on each other.
    for key in [format!("sign-in email {email}"), format!("sign-in ip {ip}")] {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
            .fetch_one(&mut *tx)
            .await?;
    }
    check_attempts(&mut tx, email, ip).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO sign_in_attempts (email, ip, succeeded) VALUES ($1, $2, false) RETURNING id",
        email,
        ip
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn attempt_succeeded(pool: &sqlx::PgPool, id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE sign_in_attempts SET succeeded = true WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn check_attempts(
    conn: &mut sqlx::PgConnection,
    email: &str,
    ip: &str,
) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"WITH window_start AS (SELECT now() - make_interval(mins => $3::int) AS t),
           by_email AS (
               SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts
               WHERE email = $1 AND NOT succeeded AND at > (SELECT t FROM window_start)
                 AND at > COALESCE((SELECT max(at) FROM sign_in_attempts WHERE email = $1 AND succeeded), '-infinity')
           ),
           by_ip AS (
               SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts
               WHERE ip = $2 AND NOT succeeded AND at > (SELECT t FROM window_start)
           )
           SELECT by_email.n AS "email_failures!", by_ip.n AS "ip_failures!",
                  ceil(extract(epoch FROM (by_email.oldest + make_interval(mins => $3::int) - now())) / 60)::bigint AS email_wait,
                  ceil(extract(epoch FROM (by_ip.oldest + make_interval(mins => $3::int) - now())) / 60)::bigint AS ip_wait
           FROM by_email, by_ip"#,
        email,
        ip,
        ATTEMPT_WINDOW_MINUTES as i32
    )
    .fetch_one(conn)
    .await?;
    let wait = if row.email_failures >= MAX_FAILURES_PER_EMAIL {
        row.email_wait
    } else if row.ip_failures >= MAX_FAILURES_PER_IP {
        row.ip_wait
    } else {
        return Ok(());
    };
    Err(AppError::TooManyAttempts {
        minutes: wait.unwrap_or(ATTEMPT_WINDOW_MINUTES).max(1),
    })
}

/// Starts a fresh session for `account_id`. A new session id is issued at every sign-in, so a
/// session id planted before sign-in is worthless after it.
async fn start_session(
    session: &Session,
    account_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let fail = |e| AppError::internal("starting a session", e);
    session.cycle_id().await.map_err(fail)?;
    session.insert(ACCOUNT_ID, account_id).await.map_err(fail)?;
    session
        .insert(SIGNED_IN_AT, at.timestamp_millis())
        .await
        .map_err(fail)
}

pub async fn sign_up(
    caller: &Caller,
    email: &str,
    display_name: &str,
    password: String,
) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    let display_name = parse_display_name(display_name)?;
    let password = NewPassword::parse("password", password)?;
    let hash = hash_password(password.into_inner()).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO accounts (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id",
        email.as_str(),
        display_name,
        hash
    )
    .fetch_one(&caller.state.pool)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("accounts_email_unique") => {
            AppError::invalid("email", "An account with this email already exists. Sign in instead.")
        }
        _ => e.into(),
    })?;
    start_session(&caller.session, id, chrono::Utc::now()).await
}

pub async fn sign_in(caller: &Caller, email: &str, password: &str) -> Result<(), AppError> {
    let pool = &caller.state.pool;
    // A malformed email cannot match an account; answer as for any other mismatch.
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::WrongCredentials);
    };
    let ip = client_ip().await;
    let attempt = begin_attempt(pool, email.as_str(), &ip).await?;
    let account = sqlx::query!(
        "SELECT id, password_hash FROM accounts WHERE email = $1",
        email.as_str()
    )
    .fetch_optional(pool)
    .await?;
    let (id, hash) = match account {
        Some(a) => (Some(a.id), a.password_hash),
        None => (None, None),
    };
    let ok = verify_password(password.to_owned(), hash).await?;
    if ok {
        attempt_succeeded(pool, attempt).await?;
    }
    match (ok, id) {
        (true, Some(id)) => start_session(&caller.session, id, chrono::Utc::now()).await,
        _ => Err(AppError::WrongCredentials),
    }
}

pub async fn sign_out(caller: &Caller) -> Result<(), AppError> {
    caller
        .session
        .flush()
        .await
        .map_err(|e| AppError::internal("ending a session", e))
}

pub async fn change_password(caller: &Caller, current: &str, new: String) -> Result<(), AppError> {
    let account = caller.account()?;
    let new = NewPassword::parse("new_password", new)?;
    let hash = sqlx::query_scalar!(
        "SELECT password_hash FROM accounts WHERE id = $1",
        account.id
    )
    .fetch_one(&caller.state.pool)
    .await?;
    if !verify_password(current.to_owned(), hash).await? {
        return Err(AppError::invalid(
            "current_password",
            "Your current password is not right.",
        ));
    }
    let hash = hash_password(new.into_inner()).await?;
    // A password change ends every other session, including one stolen with the old password;
    // this one continues under a new id.
    // Milliseconds: the session stores its sign-in time at that precision.
    let now = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
        .ok_or_else(|| AppError::internal("changing a password", "clock out of range"))?;
    sqlx::query!(
        "UPDATE accounts SET password_hash = $2, sessions_valid_after = $3 WHERE id = $1",
        account.id,
        hash,
        now
    )
    .execute(&caller.state.pool)
    .await?;
    start_session(&caller.session, account.id, now).await
}

#[cfg(test)]
mod tests {
    use super::proxied_client;

    #[test]
    fn behind_a_proxy_the_client_is_the_address_the_proxy_appended() {
        assert_eq!(proxied_client("203.0.113.7"), Some("203.0.113.7"));
        assert_eq!(
            proxied_client("1.2.3.4, 203.0.113.7"),
            Some("203.0.113.7"),
            "a made-up first entry is ignored"
        );
        assert_eq!(proxied_client("1.2.3.4,"), None);
        assert_eq!(proxied_client(""), None);
    }
}
