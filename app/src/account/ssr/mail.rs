//! What the account does by mail, on the server: confirming an address, resetting a forgotten
//! password, telling an owner that someone tried to sign up with their address, unsubscribing
//! by a signed link, and the member's choice of messages.

use sqlx::PgConnection;

use crate::AppError;
use crate::domain::account::{Email, NewPassword};
use crate::domain::i18n::{Lang, Tr, catalog_for, default_lang, tr};
use crate::infra::caller::{Anyone, Member, client_ip, start_session};
use crate::infra::mail::{self, Compose, Kind, Outgoing, Topic};
use crate::infra::state::AppState;

/// A verification link works this long...
const VERIFY_HOURS: i32 = 24;
/// ...a reset link this long.
const RESET_MINUTES: i32 = 30;
/// Reset requests per address asked about, and per client address, in an hour.
const RESETS_PER_EMAIL_HOUR: i64 = 3;
const RESETS_PER_IP_HOUR: i64 = 10;
/// Verification mails a member may ask for again within 10 minutes.
const RESENDS_PER_10_MINUTES: i64 = 3;

/// The words of a member who is not the one reading now: their saved language, else the
/// store's.
pub fn tr_for(language: Option<&str>) -> Tr {
    let lang = language.and_then(Lang::parse).unwrap_or_else(default_lang);
    let locale = lang.default_locale();
    Tr::new(catalog_for(locale), locale)
}

/// Writes a new verification link for `email` and its mail, on `conn` (the transaction that
/// created the account, or the member's "send it again").
pub async fn mail_verification(
    conn: &mut PgConnection,
    state: &AppState,
    account_id: i64,
    email: &str,
    name: &str,
    tr: Tr,
) -> Result<(), AppError> {
    let (token, hash) = mail::new_token();
    sqlx::query!(
        "INSERT INTO email_tokens (token_sha256, account_id, purpose, email, expires_at)
         VALUES ($1, $2, 'verify_email', $3, now() + make_interval(hours => $4))",
        hash,
        account_id,
        email,
        VERIFY_HOURS
    )
    .execute(&mut *conn)
    .await?;
    let url = format!(
        "{}/account?step=verify&token={token}",
        mail::site_url(state)
    );
    let message = Compose {
        tr,
        subject: tr.t("mail.verify.subject").to_owned(),
        greeting: tr.f("mail.greeting", &[("name", name)]),
        paragraphs: vec![tr.t("mail.verify.body").to_owned()],
        action: Some((tr.t("mail.verify.action"), &url)),
        footer: vec![tr.t("mail.verify.not_you").to_owned()],
    }
    .render();
    mail::enqueue(
        conn,
        state,
        Outgoing {
            account_id: Some(account_id),
            to: email,
            kind: Kind::VerifyEmail,
            mail: message,
            unsubscribe_url: None,
        },
    )
    .await?;
    Ok(())
}

/// Someone signed up with an address that already has an account: its owner hears of it (at
/// most once an hour), and the person signing up hears exactly what a new member would.
pub async fn mail_owner_of_taken_address(
    conn: &mut PgConnection,
    state: &AppState,
    email: &str,
) -> Result<(), AppError> {
    let owner = sqlx::query!(
        r#"SELECT a.id, a.display_name, a.language, a.password_hash IS NULL AS "unclaimed!",
                  EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = a.id AND o.kind = 'sign_up_attempt'
                          AND o.created_at > now() - interval '1 hour') AS "told_lately!"
           FROM accounts a WHERE a.email = $1"#,
        email
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(owner) = owner else {
        return Ok(());
    };
    if owner.told_lately {
        return Ok(());
    }
    let tr = tr_for(owner.language.as_deref());
    let site = mail::site_url(state);
    let sign_in = format!("{site}/sign-in");
    let reset = format!("{site}/account?step=forgot-password");
    let message = if owner.unclaimed {
        // Enrolled by the store and never claimed: the link the owner follows proves the
        // address and sets the password. Whoever signed up gets nothing from this.
        let url = reset_url(conn, state, owner.id, email).await?;
        claim_mail(tr, &owner.display_name, &url)
    } else {
        Compose {
            tr,
            subject: tr.t("mail.sign_up_attempt.subject").to_owned(),
            greeting: tr.f("mail.greeting", &[("name", &owner.display_name)]),
            paragraphs: vec![
                tr.t("mail.sign_up_attempt.body").to_owned(),
                tr.f("mail.sign_up_attempt.reset", &[("url", &reset)]),
            ],
            action: Some((tr.t("mail.sign_up_attempt.action"), &sign_in)),
            footer: vec![tr.t("mail.sign_up_attempt.not_you").to_owned()],
        }
        .render()
    };
    mail::enqueue(
        conn,
        state,
        Outgoing {
            account_id: Some(owner.id),
            to: email,
            kind: Kind::SignUpAttempt,
            mail: message,
            unsubscribe_url: None,
        },
    )
    .await?;
    Ok(())
}

/// A new password-reset link for `account_id` at `email`, kept as its hash.
async fn reset_url(
    conn: &mut PgConnection,
    state: &AppState,
    account_id: i64,
    email: &str,
) -> Result<String, AppError> {
    let (token, hash) = mail::new_token();
    sqlx::query!(
        "INSERT INTO email_tokens (token_sha256, account_id, purpose, email, expires_at)
         VALUES ($1, $2, 'password_reset', $3, now() + make_interval(mins => $4))",
        hash,
        account_id,
        email,
        RESET_MINUTES
    )
    .execute(&mut *conn)
    .await?;
    Ok(format!(
        "{}/account?step=reset-password&token={token}",
        mail::site_url(state)
    ))
}

/// The mail that lets a member the store enrolled claim the account: choosing a password
/// through the link proves the address.
fn claim_mail(tr: Tr, name: &str, url: &str) -> mail::Mail {
    Compose {
        tr,
        subject: tr.t("mail.claim.subject").to_owned(),
        greeting: tr.f("mail.greeting", &[("name", name)]),
        paragraphs: vec![tr.t("mail.claim.body").to_owned()],
        action: Some((tr.t("mail.claim.action"), url)),
        footer: vec![tr.t("mail.claim.not_you").to_owned()],
    }
    .render()
}

/// Why a mailed link cannot be followed, in the reader's words.
fn link_problem(
    used: bool,
    expired: bool,
    used_key: &'static str,
    expired_key: &'static str,
) -> AppError {
    let tr = tr();
    if used {
        AppError::bad_request(tr.t(used_key))
    } else if expired {
        AppError::bad_request(tr.t(expired_key))
    } else {
        AppError::bad_request(tr.t("account.email.unknown_link"))
    }
}

/// Follows a verification link: the address it was sent to is the member's, proven.
pub async fn verify_email(caller: &Anyone, token: &str) -> Result<(), AppError> {
    let hash = mail::token_hash(token.trim());
    let mut tx = caller.pool().begin().await?;
    let row = sqlx::query!(
        r#"SELECT account_id, email, used_at IS NOT NULL AS "used!", expires_at <= now() AS "expired!"
           FROM email_tokens WHERE token_sha256 = $1 AND purpose = 'verify_email' FOR UPDATE"#,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = match row {
        Some(r) if !r.used && !r.expired => r,
        Some(r) => {
            return Err(link_problem(
                r.used,
                r.expired,
                "account.email.verify_used",
                "account.email.verify_expired",
            ));
        }
        None => return Err(link_problem(false, false, "", "")),
    };
    sqlx::query!(
        "UPDATE email_tokens SET used_at = now() WHERE token_sha256 = $1",
        hash
    )
    .execute(&mut *tx)
    .await?;
    // Only the address the link went to: one changed since stays unproven.
    sqlx::query!(
        "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, now()), email_undeliverable_at = NULL
         WHERE id = $1 AND email = $2",
        row.account_id,
        row.email
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the signed-in member a new verification link.
pub async fn resend_verification(caller: &Member) -> Result<(), AppError> {
    let me = caller.account();
    let tr = tr();
    let row = sqlx::query!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!",
                  (SELECT count(*) FROM outbox WHERE account_id = $1 AND kind = 'verify_email'
                     AND created_at > now() - interval '10 minutes') AS "recent!"
           FROM accounts WHERE id = $1"#,
        me.id
    )
    .fetch_one(caller.pool())
    .await?;
    if row.verified {
        return Err(AppError::bad_request(
            tr.t("account.email.already_verified"),
        ));
    }
    if row.recent >= RESENDS_PER_10_MINUTES {
        // Said in words rather than as a 429: a new error kind would weigh on every page's
        // bundle, and this one is only ever read on the account page.
        return Err(AppError::bad_request(
            tr.t("account.email.too_many_resends"),
        ));
    }
    let mut tx = caller.pool().begin().await?;
    mail_verification(
        &mut tx,
        caller.state(),
        me.id,
        &me.email,
        &me.display_name,
        tr,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Asks for a reset link. The answer is the same whether or not the address has an account;
/// requests are limited per address asked about and per client address all the same.
pub async fn request_password_reset(caller: &Anyone, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    let ip = client_ip(caller.state());
    let state = caller.state();
    let mut tx = caller.pool().begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("reset {ip}")
    )
    .fetch_one(&mut *tx)
    .await?;
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM password_reset_requests WHERE email = $1 AND at > now() - interval '1 hour') AS "by_email!",
                  (SELECT count(*) FROM password_reset_requests WHERE ip = $2 AND at > now() - interval '1 hour') AS "by_ip!""#,
        email.as_str(),
        ip
    )
    .fetch_one(&mut *tx)
    .await?;
    if counts.by_email >= RESETS_PER_EMAIL_HOUR || counts.by_ip >= RESETS_PER_IP_HOUR {
        return Err(AppError::bad_request(
            tr().t("account.email.too_many_resets"),
        ));
    }
    sqlx::query!(
        "INSERT INTO password_reset_requests (email, ip) VALUES ($1, $2)",
        email.as_str(),
        ip
    )
    .execute(&mut *tx)
    .await?;
    let account = sqlx::query!(
        r#"SELECT id, display_name, language, password_hash IS NULL AS "unclaimed!"
           FROM accounts WHERE email = $1"#,
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(account) = account {
        let url = reset_url(&mut tx, state, account.id, email.as_str()).await?;
        // Written in the language of whoever asked (they are the one reading it next).
        let tr = if account.language.is_some() {
            tr_for(account.language.as_deref())
        } else {
            tr()
        };
        // A member the store enrolled has no password to reset: the same link claims it.
        let message = if account.unclaimed {
            claim_mail(tr, &account.display_name, &url)
        } else {
            Compose {
                tr,
                subject: tr.t("mail.reset.subject").to_owned(),
                greeting: tr.f("mail.greeting", &[("name", &account.display_name)]),
                paragraphs: vec![tr.t("mail.reset.body").to_owned()],
                action: Some((tr.t("mail.reset.action"), &url)),
                footer: vec![tr.t("mail.reset.not_you").to_owned()],
            }
            .render()
        };
        mail::enqueue(
            &mut tx,
            state,
            Outgoing {
                account_id: Some(account.id),
                to: email.as_str(),
                kind: Kind::PasswordReset,
                mail: message,
                unsubscribe_url: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password from a reset link: the link is spent, every session of the account ends
/// (a thief's included), and this browser is signed in with the new password.
pub async fn reset_password(caller: &Anyone, token: &str, new: String) -> Result<(), AppError> {
    let new = NewPassword::parse("new_password", new)?;
    let hash = mail::token_hash(token.trim());
    let check = sqlx::query!(
        r#"SELECT used_at IS NOT NULL AS "used!", expires_at <= now() AS "expired!"
           FROM email_tokens WHERE token_sha256 = $1 AND purpose = 'password_reset'"#,
        hash
    )
    .fetch_optional(caller.pool())
    .await?;
    match &check {
        Some(c) if !c.used && !c.expired => {}
        Some(c) => {
            return Err(link_problem(
                c.used,
                c.expired,
                "account.email.reset_used",
                "account.email.reset_expired",
            ));
        }
        None => return Err(link_problem(false, false, "", "")),
    }
    let password_hash = super::sessions::hash_for_request(caller.state(), new.into_inner()).await?;
    // Milliseconds: the session stores its sign-in time at that precision.
    let now = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
        .ok_or_else(|| AppError::internal("resetting a password", "clock out of range"))?;
    let mut tx = caller.pool().begin().await?;
    // Spent here, once: two tabs posting the same link cannot both pass.
    let spent = sqlx::query!(
        "UPDATE email_tokens SET used_at = now()
         WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING account_id, email",
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        link_problem(
            true,
            false,
            "account.email.reset_used",
            "account.email.reset_expired",
        )
    })?;
    sqlx::query!(
        "UPDATE accounts SET password_hash = $2, sessions_valid_after = $3,
                email_verified_at = CASE WHEN email = $4 THEN COALESCE(email_verified_at, now()) ELSE email_verified_at END
         WHERE id = $1",
        spent.account_id,
        password_hash,
        now,
        spent.email
    )
    .execute(&mut *tx)
    .await?;
    // Any other reset link still out for this account is void now.
    sqlx::query!(
        "UPDATE email_tokens SET used_at = now() WHERE account_id = $1 AND purpose = 'password_reset' AND used_at IS NULL",
        spent.account_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    start_session(caller.session(), spent.account_id, now).await
}

/// Follows an unsubscribe link (from the page it opens, or a mail client's one-click post):
/// no sign-in needed, and the signature decides whose mail stops.
pub async fn unsubscribe(pool: &sqlx::PgPool, token: &str) -> Result<(), AppError> {
    let key = mail::server_key(pool, "unsubscribe").await?;
    let (account, topic) = mail::read_unsubscribe_token(&key, token)
        .ok_or_else(|| AppError::bad_request(tr().t("account.email.bad_unsubscribe")))?;
    match topic {
        Topic::DropReminders => {
            sqlx::query!(
                "UPDATE accounts SET mail_drop_reminders = false WHERE id = $1",
                account
            )
            .execute(pool)
            .await?;
        }
        Topic::ExpiringPoints => {
            sqlx::query!(
                "UPDATE accounts SET mail_expiring_points = false WHERE id = $1",
                account
            )
            .execute(pool)
            .await?;
        }
        Topic::Offers => {
            sqlx::query!(
                "UPDATE accounts SET mail_offers = false WHERE id = $1",
                account
            )
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

/// The member's choice of messages from the account page.
pub async fn set_messages(
    caller: &Member,
    drop_reminders: bool,
    expiring_points: bool,
    offers: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE accounts SET mail_drop_reminders = $2, mail_expiring_points = $3, mail_offers = $4 WHERE id = $1",
        caller.account().id,
        drop_reminders,
        expiring_points,
        offers
    )
    .execute(caller.pool())
    .await?;
    Ok(())
}

/// Points expiring within this many days are worth a mail...
const EXPIRING_WITHIN_DAYS: i32 = 14;
/// ...sent at most this often to one member...
const EXPIRING_EVERY_DAYS: i32 = 7;
/// ...and only in the member's daytime (their zone, else the store's): from 9:00 to 17:59.
const DAYTIME_HOURS: (i32, i32) = (9, 17);

/// Mails the members who turned on "points about to expire" and have points expiring within
/// 14 days, in their daytime, at most weekly; returns how many. The mail and the member's
/// `expiring_points_mailed_at` are written in one transaction; one server runs this at a time
/// (the jobs' advisory lock).
pub async fn mail_expiring_points(state: &AppState) -> Result<usize, AppError> {
    let key = mail::server_key(&state.pool, "unsubscribe").await?;
    let mut tx = state.pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, a.language, COALESCE(a.time_zone, s.time_zone) AS "zone!",
                  sum(l.remaining)::bigint AS "points!", min(l.expires_at) AS "first!"
           FROM accounts a
           JOIN point_lots l ON l.account_id = a.id AND l.remaining > 0
                AND l.expires_at > now() AND l.expires_at <= now() + make_interval(days => $1)
           CROSS JOIN store_settings s
           WHERE a.mail_expiring_points AND a.email_undeliverable_at IS NULL
             AND (a.expiring_points_mailed_at IS NULL
                  OR a.expiring_points_mailed_at < now() - make_interval(days => $2))
             AND extract(hour FROM now() AT TIME ZONE COALESCE(a.time_zone, s.time_zone))::int BETWEEN $3 AND $4
           GROUP BY a.id, s.time_zone
           ORDER BY a.id
           LIMIT 1000"#,
        EXPIRING_WITHIN_DAYS,
        EXPIRING_EVERY_DAYS,
        DAYTIME_HOURS.0,
        DAYTIME_HOURS.1
    )
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let site = mail::site_url(state);
    let account_page = format!("{site}/account");
    for r in &due {
        let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
        let points = tr.points(crate::domain::points::Points::new(r.points)?);
        let when = crate::domain::i18n::format_date(tr.locale(), zone, r.first);
        let (unsubscribe, list_unsubscribe) =
            mail::unsubscribe_parts(&key, &site, tr, r.id, Topic::ExpiringPoints);
        let message = Compose {
            tr,
            subject: tr.f("mail.expiring.subject", &[("points", &points)]),
            greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
            paragraphs: vec![tr.f(
                "mail.expiring.body",
                &[("points", &points), ("when", &when)],
            )],
            action: Some((tr.t("mail.expiring.action"), &site)),
            footer: vec![
                tr.f("mail.expiring.why", &[("url", &account_page)]),
                unsubscribe,
            ],
        }
        .render();
        mail::enqueue(
            &mut tx,
            state,
            Outgoing {
                account_id: Some(r.id),
                to: &r.email,
                kind: Kind::ExpiringPoints,
                mail: message,
                unsubscribe_url: Some(list_unsubscribe),
            },
        )
        .await?;
    }
    let ids: Vec<i64> = due.iter().map(|r| r.id).collect();
    sqlx::query!(
        "UPDATE accounts SET expiring_points_mailed_at = now() WHERE id = ANY($1)",
        &ids
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(due.len())
}
