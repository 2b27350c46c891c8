//! Writing mail: messages are rendered in the reader's language when they are written, and put
//! in the outbox in the same transaction as the event that causes them (the server's delivery
//! worker sends them). Also the single-use tokens mailed links carry, and the signed tokens of
//! unsubscribe links.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::AppError;
use crate::domain::i18n::Tr;
use crate::infra::state::AppState;

/// Non-essential messages (reminders, offers) a member gets at most in a day; verification,
/// reset and receipts are outside the cap.
pub const NON_ESSENTIAL_PER_DAY: i64 = 6;

/// A message as its reader will see it: the subject, a plain-text body and the same in HTML.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message's parts, in the reader's words: a greeting, paragraphs, an optional button (its
/// label and absolute address) and a closing note under it.
pub struct Compose<'a> {
    pub tr: Tr,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub action: Option<(&'a str, &'a str)>,
    pub footer: Vec<String>,
}

impl Compose<'_> {
    /// Renders plain text and a small HTML page that reads well on a phone (one column, a large
    /// button, the link also written out for clients that block buttons).
    pub fn render(self) -> Mail {
        let brand = self.tr.t("shell.brand");
        let mut text = format!("{}\n\n", self.greeting);
        for p in &self.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
        }
        if let Some((label, url)) = self.action {
            text.push_str(&format!("{label}:\n{url}\n\n"));
        }
        for line in &self.footer {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!("\n— {brand}\n"));

        let mut html = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head>\
             <body style=\"margin:0;padding:16px;background:#f6f4f1;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f1b16\">\
             <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:24px;font-size:16px;line-height:1.5\">\
             <p style=\"margin:0 0 16px;font-weight:700;color:#7a2e0e\">{}</p><p>{}</p>",
            self.tr.lang().code(),
            escape(&self.subject),
            escape(brand),
            escape(&self.greeting)
        );
        for p in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", escape(p)));
        }
        if let Some((label, url)) = self.action {
            html.push_str(&format!(
                "<p style=\"margin:24px 0\"><a href=\"{0}\" style=\"display:inline-block;background:#7a2e0e;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:8px;font-weight:600\">{1}</a></p>\
                 <p style=\"font-size:14px;color:#5c554d;word-break:break-all\">{0}</p>",
                escape(url),
                escape(label)
            ));
        }
        for line in &self.footer {
            html.push_str(&format!(
                "<p style=\"font-size:14px;color:#5c554d\">{}</p>",
                linked(line)
            ));
        }
        html.push_str("</div></body></html>");
        Mail {
            subject: self.subject,
            text,
            html,
        }
    }
}

/// A footer line escaped, its addresses made links (the footer's unsubscribe and settings
/// addresses are pressed, not copied).
fn linked(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                format!(
                    "<a href=\"{0}\" style=\"color:#5c554d\">{0}</a>",
                    escape(word)
                )
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a message is, as the outbox records it (and the database checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    VerifyEmail,
    SignUpAttempt,
    PasswordReset,
    DropReminder,
    Test,
    Receipt,
    DropChanged,
    ExpiringPoints,
    /// A campaign's offer.
    Offer,
    /// A draw's entries close soon and the member asked to hear.
    DrawReminder,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify_email",
            Kind::SignUpAttempt => "sign_up_attempt",
            Kind::PasswordReset => "password_reset",
            Kind::DropReminder => "drop_reminder",
            Kind::Test => "test",
            Kind::Receipt => "receipt",
            Kind::DropChanged => "drop_changed",
            Kind::ExpiringPoints => "expiring_points",
            Kind::Offer => "offer",
            Kind::DrawReminder => "draw_reminder",
        }
    }

    /// Which goes first in a queue: 0 a person is waiting for it, 1 it is due at a time, 2 the
    /// rest.
    pub fn priority(self) -> i16 {
        match self {
            Kind::VerifyEmail | Kind::PasswordReset | Kind::SignUpAttempt => 0,
            Kind::DropReminder | Kind::DropChanged | Kind::DrawReminder => 1,
            Kind::Receipt | Kind::ExpiringPoints | Kind::Offer | Kind::Test => 2,
        }
    }

    /// Transactional messages go whatever the member's settings and outside the daily cap.
    pub fn essential(self) -> bool {
        !matches!(
            self,
            Kind::DropReminder
                | Kind::DropChanged
                | Kind::ExpiringPoints
                | Kind::Offer
                | Kind::DrawReminder
        )
    }
}

/// One message to put in the outbox.
pub struct Outgoing<'a> {
    pub account_id: Option<i64>,
    pub to: &'a str,
    pub kind: Kind,
    pub mail: Mail,
    pub unsubscribe_url: Option<String>,
}

/// Writes a message to the outbox on `conn` (the transaction of the event that causes it). A
/// non-essential message to a member who has had `NON_ESSENTIAL_PER_DAY` of them in the last
/// day is not written; returns whether it was.
pub async fn enqueue(
    conn: &mut PgConnection,
    state: &AppState,
    message: Outgoing<'_>,
) -> Result<bool, AppError> {
    Ok(enqueue_all(conn, state, vec![message]).await? == 1)
}

/// Writes many messages in one statement (a drop's reminders, a batch of receipts: one round
/// trip for thousands, so mail at drop time costs the database little). The daily cap is
/// judged in the same statement, counting the messages of this batch to the same member in
/// order. Returns how many were written.
pub async fn enqueue_all(
    conn: &mut PgConnection,
    state: &AppState,
    messages: Vec<Outgoing<'_>>,
) -> Result<u64, AppError> {
    let n = messages.len();
    let mut account = Vec::with_capacity(n);
    let mut to = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut essential = Vec::with_capacity(n);
    let mut id = Vec::with_capacity(n);
    let mut subject = Vec::with_capacity(n);
    let mut text = Vec::with_capacity(n);
    let mut html = Vec::with_capacity(n);
    let mut unsubscribe = Vec::with_capacity(n);
    let mut priority = Vec::with_capacity(n);
    let host = message_host(state);
    for m in messages {
        account.push(m.account_id);
        to.push(m.to.to_owned());
        kind.push(m.kind.code().to_owned());
        essential.push(m.kind.essential());
        id.push(format!("<{}@{host}>", uuid::Uuid::new_v4().simple()));
        subject.push(m.mail.subject);
        text.push(m.mail.text);
        html.push(m.mail.html);
        unsubscribe.push(m.unsubscribe_url);
        priority.push(m.kind.priority());
    }
    let written = sqlx::query!(
        r#"WITH m AS (
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bool[], $5::text[],
                                    $6::text[], $7::text[], $8::text[], $9::text[], $10::smallint[])
                   WITH ORDINALITY
                   AS m(account_id, to_address, kind, essential, message_id, subject, text_body,
                        html_body, unsubscribe_url, priority, n)
           ), judged AS (
               SELECT m.*,
                      count(*) FILTER (WHERE NOT m.essential)
                          OVER (PARTITION BY m.account_id ORDER BY m.n) AS nth,
                      (SELECT count(*) FROM outbox o
                       WHERE o.account_id = m.account_id AND NOT o.essential
                         AND o.created_at > now() - interval '1 day') AS recent
               FROM m
           )
           INSERT INTO outbox (account_id, to_address, kind, essential, message_id, subject,
                               text_body, html_body, unsubscribe_url, priority)
           SELECT account_id, to_address, kind, essential, message_id, subject, text_body,
                  html_body, unsubscribe_url, priority
           FROM judged
           WHERE essential OR account_id IS NULL OR recent + nth <= $11
           ORDER BY n"#,
        &account as &[Option<i64>],
        &to,
        &kind,
        &essential,
        &id,
        &subject,
        &text,
        &html,
        &unsubscribe as &[Option<String>],
        &priority,
        NON_ESSENTIAL_PER_DAY
    )
    .execute(conn)
    .await?;
    Ok(written.rows_affected())
}

/// The host name Message-IDs are made under: the site's, so a message sent twice (a crash
/// between sending and marking) keeps one Message-ID that receiving systems recognise.
fn message_host(state: &AppState) -> String {
    let site = site_url(state);
    site.split_once("://")
        .map_or(site.as_str(), |(_, rest)| rest)
        .split([':', '/'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost")
        .to_owned()
}

/// The site's address for links in mail: `BAZAAR_PUBLIC_URL`, else the address it listens on.
pub fn site_url(state: &AppState) -> String {
    match &state.config.public_origin {
        Some(origin) => origin.clone(),
        None => format!("http://{}", state.leptos_options.site_addr),
    }
}

/// A new single-use token for a mailed link and the SHA-256 the database keeps of it.
pub fn new_token() -> (String, Vec<u8>) {
    let token = crate::infra::secret::random_token(40);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A key shared by every server, made by the first that asks (`server_keys`).
pub async fn server_key(pool: &sqlx::PgPool, name: &str) -> Result<Vec<u8>, AppError> {
    let fresh = {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut key = vec![0u8; 32];
        OsRng.fill_bytes(&mut key);
        key
    };
    sqlx::query!(
        "INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        fresh
    )
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar!("SELECT key FROM server_keys WHERE name = $1", name)
            .fetch_one(pool)
            .await?,
    )
}

/// What an unsubscribe link turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    DropReminders,
    ExpiringPoints,
    Offers,
}

impl Topic {
    pub fn code(self) -> &'static str {
        match self {
            Topic::DropReminders => "drop_reminders",
            Topic::ExpiringPoints => "expiring_points",
            Topic::Offers => "offers",
        }
    }

    pub fn parse(code: &str) -> Option<Topic> {
        match code {
            "drop_reminders" => Some(Topic::DropReminders),
            "expiring_points" => Some(Topic::ExpiringPoints),
            "offers" => Some(Topic::Offers),
            _ => None,
        }
    }
}

/// A member's words and time zone, from their saved language (else the store's) and zone (else
/// the store's): what mail to them is written in.
pub fn reader(language: Option<&str>, zone: &str) -> (Tr, chrono_tz::Tz) {
    use crate::domain::i18n::{Lang, catalog_for, default_lang};
    let lang = language.and_then(Lang::parse).unwrap_or_else(default_lang);
    let locale = lang.default_locale();
    (
        Tr::new(catalog_for(locale), locale),
        zone.parse().unwrap_or(chrono_tz::UTC),
    )
}

/// The footer line (stop these, or choose on the account page's Messages settings) and the
/// `List-Unsubscribe` address for a non-essential message about `topic`.
pub fn unsubscribe_parts(
    key: &[u8],
    site: &str,
    tr: Tr,
    account: i64,
    topic: Topic,
) -> (String, String) {
    let token = unsubscribe_token(key, account, topic);
    let page = format!("{site}/account?step=unsubscribe&token={token}");
    let settings = format!("{site}/account#messages-heading");
    (
        tr.f(
            "mail.unsubscribe_line",
            &[("url", &page), ("settings", &settings)],
        ),
        format!("{site}/mail/unsubscribe?token={token}"),
    )
}

/// A signed unsubscribe token: `account.topic.signature`. It names its member and topic, so it
/// works without signing in, and a changed account or topic no longer matches its signature.
pub fn unsubscribe_token(key: &[u8], account_id: i64, topic: Topic) -> String {
    let payload = format!("{account_id}.{}", topic.code());
    let signature = sign(key, &payload);
    format!("{payload}.{signature}")
}

/// The member and topic a token names, if its signature is ours.
pub fn read_unsubscribe_token(key: &[u8], token: &str) -> Option<(i64, Topic)> {
    let (payload, signature) = token.trim().rsplit_once('.')?;
    let (account, topic) = payload.split_once('.')?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(payload.as_bytes());
    // Compared in constant time by the MAC itself.
    mac.verify_slice(&decode_hex(signature)?).ok()?;
    Some((account.parse().ok()?, Topic::parse(topic)?))
}

fn sign(key: &[u8], payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_token_names_its_member_and_no_other() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = unsubscribe_token(key, 42, Topic::DropReminders);
        assert_eq!(
            read_unsubscribe_token(key, &token),
            Some((42, Topic::DropReminders))
        );
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(read_unsubscribe_token(key, &forged), None);
        assert_eq!(
            read_unsubscribe_token(b"another key, another store......", &token),
            None
        );
        assert_eq!(read_unsubscribe_token(key, "42.drop_reminders.zz"), None);
    }

    #[test]
    fn mail_html_escapes_what_members_wrote() {
        let mail = Compose {
            tr: crate::domain::i18n::Tr::new(
                crate::domain::i18n::catalog_for(crate::domain::i18n::Locale::En),
                crate::domain::i18n::Locale::En,
            ),
            subject: "Hi".into(),
            greeting: "Hi <script>".into(),
            paragraphs: vec!["A & B".into()],
            action: Some(("Open", "https://example.com/?a=1&b=2")),
            footer: vec![],
        }
        .render();
        assert!(mail.html.contains("Hi &lt;script&gt;"));
        assert!(mail.html.contains("A &amp; B"));
        assert!(
            mail.html
                .contains("href=\"https://example.com/?a=1&amp;b=2\"")
        );
        assert!(mail.text.contains("Open:\nhttps://example.com/?a=1&b=2"));
    }
}
