//! Two-factor sign-in on the server: setting it up (a secret the authenticator app reads from a
//! QR code), the second step of signing in (a code, accepted once, or a single-use recovery
//! code), and an admin resetting a colleague's second factor.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};
use tower_sessions::Session;

use crate::AppError;
use crate::account::two_factor::{TwoFactorSetup, TwoFactorView};
use crate::domain::account::Role;
use crate::domain::i18n::tr;
use crate::infra::caller::{Anyone, Member, client_ip, start_session};

/// Session keys: the secret being set up (not yet confirmed by a code), the account whose
/// password was right and which still owes a code (and since when), and the recovery codes
/// to show once after turning two-factor on.
const SETUP_SECRET: &str = "two_factor_setup";
const OWED_BY: &str = "two_factor_account";
const OWED_SINCE: &str = "two_factor_since";
const FRESH_CODES: &str = "two_factor_codes";

/// The second step must follow the password within this many minutes.
const OWED_MINUTES: i64 = 5;
/// Recovery codes made when two-factor is turned on.
pub const RECOVERY_CODES: usize = 10;
/// Codes from one step either side of now are accepted (a phone's clock a little off).
const SKEW_STEPS: i64 = 1;
const STEP_SECONDS: i64 = 30;
const ISSUER: &str = "Rewards Bazaar";

fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::internal("two-factor session", e)
}

fn totp(secret: Vec<u8>, email: &str) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        SKEW_STEPS as u8,
        STEP_SECONDS as u64,
        secret,
        Some(ISSUER.to_owned()),
        email.to_owned(),
    )
    .map_err(|e| AppError::internal("two-factor secret", e))
}

/// The 30-second step `code` belongs to, if it is the code of a step within the skew of now.
fn matching_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP_SECONDS;
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .find(|step| totp.generate((step * STEP_SECONDS) as u64) == code)
}

fn wrong_code() -> AppError {
    AppError::invalid("code", tr().t("account.two_factor.wrong_code"))
}

/// What the account page shows: on or off, and to set it up, a fresh secret (kept in the
/// session until a code confirms it). The recovery codes made by turning it on are shown while
/// `just_on` (the page it returns to, however often it is read), and forgotten by any other
/// read.
pub async fn status(caller: &Member, just_on: bool) -> Result<TwoFactorView, AppError> {
    let me = caller.account();
    let row = sqlx::query!(
        r#"SELECT totp_enabled_at IS NOT NULL AS "enabled!",
                  (SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL) AS "left!"
           FROM accounts WHERE id = $1"#,
        me.id
    )
    .fetch_one(caller.pool())
    .await?;
    let session = caller.session();
    let fresh_codes: Vec<String> = if just_on {
        session.get(FRESH_CODES).await
    } else {
        session.remove(FRESH_CODES).await
    }
    .map_err(session_error)?
    .unwrap_or_default();
    let setup = if row.enabled {
        None
    } else {
        let secret: Vec<u8> = match session.get(SETUP_SECRET).await.map_err(session_error)? {
            Some(secret) => secret,
            None => {
                use argon2::password_hash::rand_core::{OsRng, RngCore};
                let mut secret = vec![0u8; 20];
                OsRng.fill_bytes(&mut secret);
                session
                    .insert(SETUP_SECRET, &secret)
                    .await
                    .map_err(session_error)?;
                secret
            }
        };
        let totp = totp(secret, &me.email)?;
        let url = totp.get_url();
        let qr_svg = super::card::qr_svg(&url, 200)?;
        let secret = totp.get_secret_base32();
        // In groups of four, as people copy it into an app by hand.
        let grouped = secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Some(TwoFactorSetup {
            secret: grouped,
            qr_svg,
        })
    };
    Ok(TwoFactorView {
        enabled: row.enabled,
        required: me.role == Role::Admin && caller.state().config.admin_two_factor,
        setup,
        recovery_left: row.left,
        fresh_codes,
    })
}

/// Turns two-factor on with the first code from the app, and makes ten recovery codes (shown
/// once, on the page the member returns to).
pub async fn enable(caller: &Member, code: &str) -> Result<(), AppError> {
    let me = caller.account();
    let session = caller.session();
    let secret: Vec<u8> = session
        .get(SETUP_SECRET)
        .await
        .map_err(session_error)?
        .ok_or_else(|| AppError::bad_request(tr().t("account.two_factor.setup_again")))?;
    let totp = totp(secret.clone(), &me.email)?;
    let step = matching_step(&totp, code, chrono::Utc::now().timestamp()).ok_or_else(wrong_code)?;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crate::infra::secret::random_token(10).to_lowercase();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let mut tx = caller.pool().begin().await?;
    let turned_on = sqlx::query!(
        "UPDATE accounts SET totp_secret = $2, totp_enabled_at = now(), totp_last_step = $3
         WHERE id = $1 AND totp_enabled_at IS NULL",
        me.id,
        secret,
        step
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if turned_on == 0 {
        return Err(AppError::bad_request(
            tr().t("account.two_factor.already_on"),
        ));
    }
    replace_recovery_codes(&mut tx, me.id, &codes).await?;
    tx.commit().await?;
    session
        .remove::<Vec<u8>>(SETUP_SECRET)
        .await
        .map_err(session_error)?;
    session
        .insert(FRESH_CODES, &codes)
        .await
        .map_err(session_error)
}

async fn replace_recovery_codes(
    conn: &mut sqlx::PgConnection,
    account: i64,
    codes: &[String],
) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM recovery_codes WHERE account_id = $1", account)
        .execute(&mut *conn)
        .await?;
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
    sqlx::query!(
        "INSERT INTO recovery_codes (account_id, code_sha256) SELECT $1, unnest($2::bytea[])",
        account,
        &hashes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Recovery codes are compared as typed without spaces or dashes, in lower case.
fn recovery_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

/// The sign-in page's second step, going on to `next` (a local path) afterwards.
pub fn code_step(next: &str) -> String {
    let encoded: String = next
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/sign-in?step=code&next={encoded}")
}

/// After the right password for an account with two-factor on: the session remembers the
/// account, which still owes its code.
pub async fn owe_code(session: &Session, account: i64) -> Result<(), AppError> {
    session
        .insert(OWED_BY, account)
        .await
        .map_err(session_error)?;
    session
        .insert(OWED_SINCE, chrono::Utc::now().timestamp())
        .await
        .map_err(session_error)
}

/// The second step of signing in: a code from the app (each accepted once) or an unused
/// recovery code. Wrong codes count as failed sign-ins, with the same limits.
pub async fn sign_in_code(caller: &Anyone, code: &str) -> Result<(), AppError> {
    let session = caller.session();
    let account: Option<i64> = session.get(OWED_BY).await.map_err(session_error)?;
    let since: Option<i64> = session.get(OWED_SINCE).await.map_err(session_error)?;
    let now = chrono::Utc::now().timestamp();
    let (Some(account), Some(since)) = (account, since) else {
        return Err(AppError::bad_request(
            tr().t("account.two_factor.start_again"),
        ));
    };
    if now - since > OWED_MINUTES * 60 {
        return Err(AppError::bad_request(
            tr().t("account.two_factor.start_again"),
        ));
    }
    let pool = caller.pool();
    let row = sqlx::query!(
        "SELECT email, totp_secret FROM accounts WHERE id = $1",
        account
    )
    .fetch_one(pool)
    .await?;
    let Some(secret) = row.totp_secret else {
        // Reset by an admin in the meantime: the password alone signs in again.
        return Err(AppError::bad_request(
            tr().t("account.two_factor.start_again"),
        ));
    };
    let ip = client_ip(caller.state());
    let attempt = super::sessions::begin_attempt(pool, &row.email, &ip).await?;
    let totp = totp(secret, &row.email)?;
    let accepted = match matching_step(&totp, code, now) {
        // Taken once: the step must be later than the last one accepted.
        Some(step) => {
            sqlx::query!(
                "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                account,
                step
            )
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }
        None => {
            sqlx::query!(
                "UPDATE recovery_codes SET used_at = now() WHERE account_id = $1 AND code_sha256 = $2 AND used_at IS NULL",
                account,
                recovery_hash(code)
            )
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }
    };
    if !accepted {
        return Err(wrong_code());
    }
    super::sessions::attempt_done(pool, attempt).await?;
    session
        .remove::<i64>(OWED_BY)
        .await
        .map_err(session_error)?;
    session
        .remove::<i64>(OWED_SINCE)
        .await
        .map_err(session_error)?;
    start_session(session, account, chrono::Utc::now()).await
}

/// An admin turns off a colleague's second factor (a lost phone and lost codes): their
/// sessions end, they sign in with their password and set it up again. Audited.
pub async fn reset(caller: &crate::infra::caller::Admin, email: &str) -> Result<(), AppError> {
    let tr = tr();
    let email = crate::domain::account::Email::parse(email)?;
    let mut tx = caller.pool().begin().await?;
    let target = sqlx::query!(
        r#"SELECT id, totp_enabled_at IS NOT NULL AS "on!" FROM accounts WHERE email = $1 FOR UPDATE"#,
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("email", tr.t("team.errors.no_account")))?;
    if target.id == caller.account().id {
        return Err(AppError::invalid(
            "email",
            tr.t("account.two_factor.not_your_own"),
        ));
    }
    if !target.on {
        return Err(AppError::invalid(
            "email",
            tr.t("account.two_factor.not_on"),
        ));
    }
    sqlx::query!(
        "UPDATE accounts SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
                sessions_valid_after = now()
         WHERE id = $1",
        target.id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM recovery_codes WHERE account_id = $1",
        target.id
    )
    .execute(&mut *tx)
    .await?;
    crate::infra::audit::audit(
        &mut tx,
        caller.account().id,
        "account.two_factor_reset",
        &format!("account:{}", target.id),
        Some(serde_json::json!({ "two_factor": true })),
        Some(serde_json::json!({ "two_factor": false })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let totp = totp(b"12345678901234567890".to_vec(), "a@example.com").unwrap();
        // RFC 6238's SHA-1 test vector: 59 s → 287082 (the last six digits of 94287082).
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(matching_step(&totp, "287082", 59), Some(1));
        assert_eq!(
            matching_step(&totp, "287 082", 75),
            Some(1),
            "spaces are ignored"
        );
        assert_eq!(
            matching_step(&totp, "287082", 59 + 90),
            None,
            "three steps later"
        );
        assert_eq!(matching_step(&totp, "28708", 59), None);
        assert_eq!(matching_step(&totp, "abcdef", 59), None);
    }

    #[test]
    fn recovery_codes_match_however_they_are_typed() {
        assert_eq!(recovery_hash("abcde-12345"), recovery_hash(" ABCDE 12345 "));
        assert_ne!(recovery_hash("abcde-12345"), recovery_hash("abcde-12346"));
    }
}
