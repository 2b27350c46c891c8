//! Signing up, in and out, and changing a password, on the server.

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::AppError;
use crate::domain::account::{Email, NewPassword, parse_display_name};
use crate::domain::i18n::tr;
use crate::infra::caller::{Anyone, Member, client_ip, start_session};
use crate::infra::state::AppState;
use tokio::sync::OwnedSemaphorePermit;

/// Sign-in limits. Failures are counted per (email, address): a stranger guessing at a member's
/// password from their own address locks only themselves out, never the member on their own
/// device. After `FREE_FAILURES` a pair waits, twice as long after each further failure, up to
/// `MAX_WAIT_MINUTES`.
const FREE_FAILURES: i64 = 5;
const MAX_WAIT_MINUTES: i64 = 15;
/// Failures counted over this window...
const ATTEMPT_WINDOW_MINUTES: i64 = 15;
/// ...at most this many per client address, whatever the emails (a shared office network
/// signs in a lot; a bot trying many emails does not get far).
const MAX_FAILURES_PER_IP: i64 = 30;

/// A hashing slot, waited for at most `config.hashing_wait`; beyond that the bazaar is "busy"
/// (503 with `Retry-After`) and nothing was hashed or written.
async fn hashing_slot(state: &AppState) -> Result<OwnedSemaphorePermit, AppError> {
    match tokio::time::timeout(
        state.config.hashing_wait,
        state.hashing.clone().acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Overloaded),
    }
}

/// Hashes a password with argon2id (19 MiB, t = 2, p = 1: the OWASP baseline). Hashing is
/// deliberately slow, so it runs off the async workers. Unbounded: for seeding and tools; a
/// request goes through `hash_bounded`.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AppError::internal("hashing a password", e))?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal("hashing a password", e))
}

/// Whether `password` matches `hash`. Unbounded: for tools such as the demo store's start-up
/// check; a request goes through `verify_password`.
pub async fn password_matches(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AppError::internal("reading a password hash", e))?;
        Ok(argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AppError::internal("checking a password", e))?
}

/// `hash_password` in one of the server's hashing slots. The slot is held by the hashing itself,
/// so a request that gives up does not free it before the core does.
async fn hash_bounded(state: &AppState, password: String) -> Result<String, AppError> {
    let slot = hashing_slot(state).await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        hash_now(&password)
    })
    .await
    .map_err(|e| AppError::internal("hashing a password", e))?
}

/// `hash_bounded` for the account's other server code (a password reset).
pub(super) async fn hash_for_request(
    state: &AppState,
    password: String,
) -> Result<String, AppError> {
    hash_bounded(state, password).await
}

/// Checks a password against a stored hash, in a hashing slot; `None` (no such account, or no
/// password) still costs one verification, so response times do not reveal which emails have
/// accounts.
async fn verify_password(
    state: &AppState,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    let slot = hashing_slot(state).await?;
    verify_in_slot(slot, password, hash).await
}

/// `verify_password` in a slot the caller already holds.
async fn verify_in_slot(
    slot: OwnedSemaphorePermit,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    // A valid argon2id hash of a random string, used when there is nothing to check against.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3LyvMSmDmS4WqF3cVxnG0CBQbmv9lVDYbHc8dPD1w2g";
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
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

/// Refuses a sign-in while this email has failed too often from this address, or this address
/// too often for any email; otherwise records this attempt as failed until its password is
/// verified (`attempt_succeeded`). Checking and recording happen one attempt at a time per
/// (email, address) and per address: guesses sent all at once would otherwise all pass the
/// check before any of them was counted.
pub(super) async fn begin_attempt(
    pool: &sqlx::PgPool,
    email: &str,
    ip: &str,
) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    // Always the pair's lock first, then the address's: no two attempts wait on each other.
    for key in [format!("sign-in {ip} {email}"), format!("sign-in ip {ip}")] {
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

/// `attempt_succeeded` for the second step of signing in.
pub(super) async fn attempt_done(pool: &sqlx::PgPool, id: i64) -> Result<(), AppError> {
    attempt_succeeded(pool, id).await
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
           by_pair AS (
               SELECT count(*) AS n, max(at) AS latest FROM sign_in_attempts
               WHERE email = $1 AND ip = $2 AND NOT succeeded
                 AND at > (SELECT t FROM window_start)
                 AND at > COALESCE((SELECT max(at) FROM sign_in_attempts
                                    WHERE email = $1 AND ip = $2 AND succeeded), '-infinity')
           ),
           by_ip AS (
               SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts
               WHERE ip = $2 AND NOT succeeded AND at > (SELECT t FROM window_start)
           )
           SELECT by_pair.n AS "pair_failures!", by_ip.n AS "ip_failures!",
                  extract(epoch FROM (now() - by_pair.latest))::float8 AS since_latest_secs,
                  ceil(extract(epoch FROM (by_ip.oldest + make_interval(mins => $3::int) - now())) / 60)::bigint AS ip_wait
           FROM by_pair, by_ip"#,
        email,
        ip,
        ATTEMPT_WINDOW_MINUTES as i32
    )
    .fetch_one(conn)
    .await?;
    if let Some(minutes) = pair_wait_minutes(row.pair_failures, row.since_latest_secs) {
        return Err(AppError::TooManyAttempts { minutes });
    }
    if row.ip_failures >= MAX_FAILURES_PER_IP {
        return Err(AppError::TooManyAttempts {
            minutes: row.ip_wait.unwrap_or(ATTEMPT_WINDOW_MINUTES).max(1),
        });
    }
    Ok(())
}

/// Minutes still to wait after `failures` failures of one (email, address), the latest
/// `since_latest_secs` ago: none for the first `FREE_FAILURES`, then 1, 2, 4, 8, 15 minutes.
fn pair_wait_minutes(failures: i64, since_latest_secs: Option<f64>) -> Option<i64> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(4);
    let wait_secs = (60i64 << doublings).min(MAX_WAIT_MINUTES * 60) as f64;
    let left = wait_secs - since_latest_secs.unwrap_or(0.0);
    (left > 0.0).then(|| ((left / 60.0).ceil() as i64).max(1))
}

/// New accounts from this address within the hour, and made by signing up anywhere within the
/// minute (not imported or seeded: a store's members loaded in bulk are no crowd), against
/// the configured limits. `lock` serialises sign-ups from one address so that parallel ones
/// cannot all pass the count.
async fn check_sign_up_rate(
    conn: &mut sqlx::PgConnection,
    state: &AppState,
    ip: &str,
) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"SELECT
               (SELECT count(*) FROM accounts WHERE sign_up_ip = $1
                  AND created_at > now() - interval '1 hour') AS "from_address!",
               (SELECT ceil(extract(epoch FROM (min(created_at) + interval '1 hour' - now())) / 60)::bigint
                  FROM accounts WHERE sign_up_ip = $1 AND created_at > now() - interval '1 hour') AS wait,
               (SELECT count(*) FROM accounts WHERE sign_up_ip IS NOT NULL
                  AND created_at > now() - interval '1 minute') AS "everywhere!""#,
        ip
    )
    .fetch_one(conn)
    .await?;
    if row.from_address >= state.config.sign_ups_per_address_hour {
        return Err(AppError::TooManySignUps {
            minutes: row.wait.unwrap_or(60).max(1),
        });
    }
    if row.everywhere >= state.config.sign_ups_per_minute {
        return Err(AppError::Overloaded);
    }
    Ok(())
}

/// Creates a member account and mails a link to confirm the address. The answer is the same
/// whether or not the address already has an account ("check your email to finish"): if it
/// has, its owner is told by mail instead, and nothing else changes. Both paths hash the
/// password, so the time taken does not tell them apart either.
pub async fn sign_up(
    caller: &Anyone,
    email: &str,
    display_name: &str,
    password: String,
) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    let display_name = parse_display_name(display_name)?;
    let password = NewPassword::parse("password", password)?;
    let pool = caller.pool();
    let ip = client_ip(caller.state());
    // Everything cheap first: an address over its limit costs no hashing.
    check_sign_up_rate(&mut *pool.acquire().await?, caller.state(), &ip).await?;
    let hash = hash_bounded(caller.state(), password.into_inner()).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("sign-up ip {ip}")
    )
    .fetch_one(&mut *tx)
    .await?;
    check_sign_up_rate(&mut tx, caller.state(), &ip).await?;
    let reader = tr();
    let id = sqlx::query_scalar!(
        "INSERT INTO accounts (email, display_name, password_hash, sign_up_ip, language) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT accounts_email_unique DO NOTHING RETURNING id",
        email.as_str(),
        display_name,
        hash,
        ip,
        reader.lang().code()
    )
    .fetch_optional(&mut *tx)
    .await?;
    match id {
        Some(id) => {
            super::mail::mail_verification(
                &mut tx,
                caller.state(),
                id,
                email.as_str(),
                &display_name,
                reader,
            )
            .await?
        }
        None => {
            super::mail::mail_owner_of_taken_address(&mut tx, caller.state(), email.as_str())
                .await?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// How a right password ends: signed in, or owing the code of two-factor sign-in.
#[derive(Debug, PartialEq, Eq)]
pub enum SignedIn {
    Done,
    CodeOwed,
}

pub async fn sign_in(caller: &Anyone, email: &str, password: &str) -> Result<SignedIn, AppError> {
    let pool = caller.pool();
    // A malformed email cannot match an account; answer as for any other mismatch.
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::WrongCredentials);
    };
    let ip = client_ip(caller.state());
    // The hashing slot first: a sign-in turned away "busy" was never tried, so it must not
    // count against the member as a failure.
    let slot = hashing_slot(caller.state()).await?;
    let attempt = begin_attempt(pool, email.as_str(), &ip).await?;
    let account = sqlx::query!(
        r#"SELECT id, password_hash, language, time_zone, totp_enabled_at IS NOT NULL AS "two_factor!"
           FROM accounts WHERE email = $1"#,
        email.as_str()
    )
    .fetch_optional(pool)
    .await?;
    let (id, hash, language, zone, two_factor) = match account {
        Some(a) => (
            Some(a.id),
            a.password_hash,
            a.language,
            a.time_zone,
            a.two_factor,
        ),
        None => (None, None, None, None, false),
    };
    let ok = verify_in_slot(slot, password.to_owned(), hash).await?;
    if ok {
        attempt_succeeded(pool, attempt).await?;
    }
    match (ok, id) {
        (true, Some(id)) => {
            // The language they chose on another device comes with them.
            if let Some(lang) = language
                .as_deref()
                .and_then(crate::domain::i18n::Lang::parse)
            {
                remember_language(caller.state(), lang);
            }
            // So does their time zone (or the store's, if this device remembered another's).
            if zone.is_some() || crate::domain::i18n::reader_zone().is_some() {
                super::zone::remember_zone(caller.state(), zone.as_deref());
            }
            if two_factor {
                super::two_factor::owe_code(caller.session(), id).await?;
                return Ok(SignedIn::CodeOwed);
            }
            start_session(caller.session(), id, chrono::Utc::now()).await?;
            Ok(SignedIn::Done)
        }
        _ => Err(AppError::WrongCredentials),
    }
}

/// Sets the language cookie on the response being made.
pub fn remember_language(state: &crate::infra::state::AppState, lang: crate::domain::i18n::Lang) {
    let cookie = crate::domain::i18n::remember(lang, state.config.https);
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

pub async fn sign_out(caller: &Anyone) -> Result<(), AppError> {
    caller
        .session()
        .flush()
        .await
        .map_err(|e| AppError::internal("ending a session", e))?;
    forget_kept_card();
    Ok(())
}

/// Asks the browser to drop what this site stored in it: the member card the service worker
/// keeps for offline tills (`public/sw.js`) must not open for the next person on the phone.
pub fn forget_kept_card() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            axum::http::HeaderName::from_static("clear-site-data"),
            axum::http::HeaderValue::from_static("\"storage\""),
        );
    }
}

/// Deletes one of the caller's sessions by its handle (the hex of its key). Another member's
/// handle matches nothing, and says so as a missing session would.
pub async fn end_session(caller: &Member, handle: &str) -> Result<(), AppError> {
    let that_device = || AppError::not_found(tr().t("account.sessions.that_device"));
    let key = decode_hex(handle.trim()).ok_or_else(that_device)?;
    let ended = sqlx::query!(
        "DELETE FROM sessions WHERE id_sha256 = $1 AND account_id = $2",
        key,
        caller.account().id
    )
    .execute(caller.pool())
    .await?;
    if ended.rows_affected() == 0 {
        return Err(that_device());
    }
    Ok(())
}

/// Deletes every session of the caller's except the one making this request.
pub async fn end_other_sessions(caller: &Member) -> Result<(), AppError> {
    let current = caller
        .session()
        .id()
        .map(|id| crate::infra::caller::session_key(&id))
        .unwrap_or_default();
    sqlx::query!(
        "DELETE FROM sessions WHERE account_id = $1 AND id_sha256 <> $2",
        caller.account().id,
        current
    )
    .execute(caller.pool())
    .await?;
    Ok(())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

pub async fn change_password(caller: &Member, current: &str, new: String) -> Result<(), AppError> {
    let account = caller.account();
    let new = NewPassword::parse("new_password", new)?;
    // Wrong current passwords count as failed sign-ins: a stolen session cannot guess its way
    // to the password, and the member's own device is limited like any other.
    let ip = client_ip(caller.state());
    let attempt = begin_attempt(caller.pool(), &account.email, &ip).await?;
    let hash = sqlx::query_scalar!(
        "SELECT password_hash FROM accounts WHERE id = $1",
        account.id
    )
    .fetch_one(caller.pool())
    .await?;
    if !verify_password(caller.state(), current.to_owned(), hash).await? {
        return Err(AppError::invalid(
            "current_password",
            tr().t("account.password.wrong_current"),
        ));
    }
    attempt_succeeded(caller.pool(), attempt).await?;
    let hash = hash_bounded(caller.state(), new.into_inner()).await?;
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

/// Back to the account page's sessions, read afresh (not from the browser's cache), saying
/// that sessions were ended.
pub fn back_to_sessions() {
    leptos_axum::redirect(&format!(
        "/account?sessions=ended&fresh={}#sessions-heading",
        crate::infra::fresh()
    ));
}

#[cfg(test)]
mod tests {
    use super::pair_wait_minutes;

    #[test]
    fn each_failure_beyond_five_doubles_the_wait_up_to_fifteen_minutes() {
        assert_eq!(pair_wait_minutes(4, Some(0.0)), None);
        assert_eq!(pair_wait_minutes(5, Some(0.0)), Some(1));
        assert_eq!(pair_wait_minutes(5, Some(61.0)), None);
        assert_eq!(pair_wait_minutes(6, Some(0.0)), Some(2));
        assert_eq!(pair_wait_minutes(7, Some(30.0)), Some(4));
        assert_eq!(pair_wait_minutes(9, Some(0.0)), Some(15));
        assert_eq!(pair_wait_minutes(50, Some(0.0)), Some(15));
    }
}
