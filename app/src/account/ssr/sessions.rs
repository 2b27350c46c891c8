//! Signing up, in and out, and changing a password, on the server.

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::AppError;
use crate::domain::account::{Email, NewPassword, parse_display_name};
use crate::domain::error::server::violated_constraint;
use crate::infra::caller::{Anyone, Member, client_ip, start_session};

/// Sign-in limits: failures counted over this window...
const ATTEMPT_WINDOW_MINUTES: i64 = 15;
/// ...at most this many per email address...
const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// ...and this many per client address (a shared office network signs in a lot).
const MAX_FAILURES_PER_IP: i64 = 30;

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

pub async fn sign_up(
    caller: &Anyone,
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
    .fetch_one(caller.pool())
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("accounts_email_unique") => {
            AppError::invalid("email", "An account with this email already exists. Sign in instead.")
        }
        _ => e.into(),
    })?;
    start_session(caller.session(), id, chrono::Utc::now()).await
}

pub async fn sign_in(caller: &Anyone, email: &str, password: &str) -> Result<(), AppError> {
    let pool = caller.pool();
    // A malformed email cannot match an account; answer as for any other mismatch.
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::WrongCredentials);
    };
    let ip = client_ip(caller.state());
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
        (true, Some(id)) => start_session(caller.session(), id, chrono::Utc::now()).await,
        _ => Err(AppError::WrongCredentials),
    }
}

pub async fn sign_out(caller: &Anyone) -> Result<(), AppError> {
    caller
        .session()
        .flush()
        .await
        .map_err(|e| AppError::internal("ending a session", e))
}

pub async fn change_password(caller: &Member, current: &str, new: String) -> Result<(), AppError> {
    let account = caller.account();
    let new = NewPassword::parse("new_password", new)?;
    let hash = sqlx::query_scalar!(
        "SELECT password_hash FROM accounts WHERE id = $1",
        account.id
    )
    .fetch_one(caller.pool())
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
    .execute(caller.pool())
    .await?;
    start_session(caller.session(), account.id, now).await
}
