//! Delivering the outbox. Every server runs the worker; each message is claimed by one of them
//! (`FOR UPDATE SKIP LOCKED`, then a claim that lapses after `CLAIM`), sent over SMTP with
//! lettre, and marked sent. A server that dies between sending and marking leaves the claim to
//! lapse; the message then goes once more, with the same Message-ID. A temporary failure (a 4xx
//! answer, a server that cannot be reached) is tried again later, waiting longer each time; a
//! permanent one (5xx: no such mailbox) marks the message failed and the address undeliverable,
//! which the member's account page then says. Without an SMTP server (`BAZAAR_SMTP_URL` unset)
//! messages are kept for the admins' mailbox at `/staff/mailbox` instead of being sent.
//!
//! The worker and the mail jobs use a pool of their own (`MAIL_CONNECTIONS`): a drop's
//! thousands of receipts drain beside the drop, never taking the connections its pages and
//! presses need. In a queue, mail a person is waiting for goes first, then reminders (due at a
//! time), then receipts (`outbox.priority`).

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;

/// How long a claimed message is a server's to send before another may take it.
pub const CLAIM: Duration = Duration::from_secs(120);
/// Messages claimed at a time by one server...
const BATCH: i64 = 50;
/// ...and sent at once from a claimed batch (over the transport's pool of connections).
const SENDING_AT_ONCE: usize = 8;
/// Attempts before a message that keeps failing temporarily is given up.
const MAX_ATTEMPTS: i32 = 8;
/// Connections the mail work keeps to PostgreSQL, apart from the requests' pool: one for a mail
/// job's run-once lock, one for its transaction, one for delivery.
pub const MAIL_CONNECTIONS: u32 = 3;
/// How often an idle worker looks for due messages.
const POLL: Duration = Duration::from_secs(1);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// Boxed: one transport lives per server, and the mailbox variant is empty.
    Smtp(Box<Smtp>),
    /// No SMTP server configured: messages are kept for `/staff/mailbox`.
    Mailbox,
}

#[derive(Clone)]
pub struct Smtp {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Transport {
    /// From `BAZAAR_SMTP_URL` and `BAZAAR_MAIL_FROM`; a setting that cannot be read is named.
    pub fn from_config(config: &app::infra::config::Config) -> anyhow::Result<Transport> {
        let Some(url) = config.smtp_url.as_deref() else {
            return Ok(Transport::Mailbox);
        };
        let from: Mailbox = config.mail_from.parse().map_err(|_| {
            anyhow::anyhow!(
                "BAZAAR_MAIL_FROM {:?} is not an address such as \"Rewards Bazaar <rewards@example.com>\"",
                config.mail_from
            )
        })?;
        // STARTTLS whenever the server offers it, unless the URL says otherwise.
        let url = if url.starts_with("smtp://") && !url.contains("tls=") {
            let joiner = if url.contains('?') { '&' } else { '?' };
            format!("{url}{joiner}tls=opportunistic")
        } else {
            url.to_owned()
        };
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| {
                anyhow::anyhow!(
                    "BAZAAR_SMTP_URL is not an SMTP address such as smtp://user:password@mail.example.com:587 ({e})"
                )
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Transport::Smtp(Box::new(Smtp { mailer, from })))
    }

    pub fn is_mailbox(&self) -> bool {
        matches!(self, Transport::Mailbox)
    }
}

/// Runs forever: delivers what is due, then waits a moment when nothing was.
pub async fn run(pool: PgPool, transport: Transport) {
    loop {
        match deliver_due(&pool, &transport).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "delivering mail failed"),
        }
        tokio::time::sleep(POLL).await;
    }
}

struct Claimed {
    id: i64,
    to_address: String,
    message_id: String,
    subject: String,
    text_body: String,
    html_body: String,
    unsubscribe_url: Option<String>,
    attempts: i32,
}

/// Claims what is due and delivers it; returns how many messages it handled. The messages sent
/// are marked together, in one statement per batch (a failure is recorded on its own): a
/// crash before the mark sends each of them at most once more, with the same Message-ID.
pub async fn deliver_due(pool: &PgPool, transport: &Transport) -> anyhow::Result<usize> {
    use futures::StreamExt;
    let claimed = claim(pool).await?;
    let n = claimed.len();
    let mailbox = transport.is_mailbox();
    let outcomes: Vec<(Claimed, Result<(), Failure>)> = futures::stream::iter(claimed)
        .map(|message| async move {
            let outcome = send(transport, &message).await;
            (message, outcome)
        })
        .buffer_unordered(SENDING_AT_ONCE)
        .collect()
        .await;
    let mut sent = Vec::with_capacity(n);
    for (message, outcome) in outcomes {
        match outcome {
            Ok(()) => sent.push(message.id),
            Err(failure) => record_failure(pool, &message, failure).await?,
        }
    }
    if sent.is_empty() {
        return Ok(n);
    }
    let via = if mailbox { "mailbox" } else { "smtp" };
    sqlx::query!(
        "UPDATE outbox SET sent_at = now(), sent_via = $2, claimed_until = NULL, last_error = NULL
         WHERE id = ANY($1)",
        &sent,
        via
    )
    .execute(pool)
    .await?;
    Ok(n)
}

/// Takes up to `BATCH` due messages for this server: none another server holds.
async fn claim(pool: &PgPool) -> anyhow::Result<Vec<Claimed>> {
    Ok(sqlx::query_as!(
        Claimed,
        r#"UPDATE outbox SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
           WHERE id IN (
               SELECT id FROM outbox
               WHERE sent_at IS NULL AND failed_at IS NULL AND due_at <= now()
                 AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY priority, due_at, id
               LIMIT $1
               FOR UPDATE SKIP LOCKED)
           RETURNING id, to_address, message_id, subject, text_body, html_body, unsubscribe_url, attempts"#,
        BATCH,
        CLAIM.as_secs_f64()
    )
    .fetch_all(pool)
    .await?)
}

/// Sends one claimed message; only for tests of a crash between sending and marking.
pub async fn send_without_marking(pool: &PgPool, transport: &Transport) -> anyhow::Result<usize> {
    let claimed = claim(pool).await?;
    for message in &claimed {
        send(transport, message)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(claimed.len())
}

enum Failure {
    /// Worth trying again later.
    Temporary(String),
    /// The receiving server refused for good (5xx).
    Permanent(String),
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Temporary(e) | Failure::Permanent(e) => f.write_str(e),
        }
    }
}

async fn send(transport: &Transport, message: &Claimed) -> Result<(), Failure> {
    let Transport::Smtp(smtp) = transport else {
        return Ok(());
    };
    let Smtp { mailer, from } = smtp.as_ref();
    let to: Mailbox = message
        .to_address
        .parse()
        .map_err(|e| Failure::Permanent(format!("the address cannot be written to: {e}")))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(message.message_id.clone()));
    if let Some(url) = &message.unsubscribe_url {
        // RFC 8058: a mail client's "unsubscribe" posts to the address, no page, no sign-in.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let email = builder
        .multipart(MultiPart::alternative_plain_html(
            message.text_body.clone(),
            message.html_body.clone(),
        ))
        .map_err(|e| Failure::Permanent(format!("the message cannot be built: {e}")))?;
    match mailer.send(email).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Err(e) => Err(Failure::Temporary(e.to_string())),
    }
}

/// Writes how a message's failed delivery went.
async fn record_failure(pool: &PgPool, message: &Claimed, failure: Failure) -> anyhow::Result<()> {
    match failure {
        Failure::Permanent(error) => {
            tracing::warn!(id = message.id, %error, "a message was refused for good");
            let mut tx = pool.begin().await?;
            sqlx::query!(
                "UPDATE outbox SET failed_at = now(), claimed_until = NULL, last_error = $2 WHERE id = $1",
                message.id,
                error
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE accounts SET email_undeliverable_at = now() WHERE email = $1 AND email_undeliverable_at IS NULL",
                message.to_address
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Failure::Temporary(error) => {
            let give_up = message.attempts >= MAX_ATTEMPTS;
            tracing::warn!(id = message.id, attempts = message.attempts, give_up, %error, "sending a message failed");
            sqlx::query!(
                "UPDATE outbox SET claimed_until = NULL, last_error = $2,
                        due_at = now() + make_interval(secs => $3),
                        failed_at = CASE WHEN $4 THEN now() END
                 WHERE id = $1",
                message.id,
                error,
                backoff(message.attempts).as_secs_f64(),
                give_up
            )
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

/// The wait before attempt `attempts + 1`: 30 s, 1, 2, 4 … minutes, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(7);
    Duration::from_secs((30u64 << doublings).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_message_waits_longer_each_time_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(120));
        assert_eq!(backoff(7), Duration::from_secs(1920));
        assert_eq!(backoff(8), Duration::from_secs(3600));
        assert_eq!(backoff(50), Duration::from_secs(3600));
    }

    // In a runtime: the SMTP transport's connection pool starts a task of its own.
    #[tokio::test]
    async fn smtp_settings_that_cannot_be_read_are_named() {
        let config = app::infra::config::Config {
            smtp_url: Some("mail.example.com".into()),
            ..Default::default()
        };
        let error = Transport::from_config(&config).err().unwrap().to_string();
        assert!(
            error.starts_with("BAZAAR_SMTP_URL is not an SMTP address"),
            "{error}"
        );
        let config = app::infra::config::Config {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            mail_from: "not an address".into(),
            ..Default::default()
        };
        let error = Transport::from_config(&config).err().unwrap().to_string();
        assert!(
            error.starts_with("BAZAAR_MAIL_FROM \"not an address\""),
            "{error}"
        );
        let config = app::infra::config::Config {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            ..Default::default()
        };
        assert!(!Transport::from_config(&config).unwrap().is_mailbox());
    }
}
