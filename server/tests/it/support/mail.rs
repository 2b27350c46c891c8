//! Mail in the tests: a real SMTP server (`server/scripts/smtp_sink.py`, started by the test
//! command) receives what the delivery worker sends and writes each message to a folder; these
//! helpers deliver the outbox to it and read a recipient's messages back. Tests share the
//! server, so each test mails addresses of its own (`address`).

use std::path::PathBuf;

use sqlx::PgPool;

use super::config::{maildir, smtp};
use super::endpoints::Config;

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: serde_json::Map<String, serde_json::Value>,
    pub text: String,
    pub html: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_lowercase())?.as_str()
    }

    pub fn subject(&self) -> &str {
        self.header("subject").unwrap_or_default()
    }

    pub fn message_id(&self) -> &str {
        self.header("message-id").unwrap_or_default()
    }

    /// The first link in the plain text that starts with `prefix` (e.g. `/account?step=verify`),
    /// as a path and query on the site.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .filter_map(|word| word.split_once("://").map(|(_, rest)| rest))
            .filter_map(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
            .find(|path| path.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link to {prefix} in:\n{}", self.text))
    }

    /// The `token` a link carries.
    pub fn token(&self, prefix: &str) -> String {
        let link = self.link(prefix);
        let (_, token) = link.split_once("token=").expect("a token in the link");
        token.to_owned()
    }
}

/// A mail address no other test uses: `maya-<random>@example.com`.
pub fn address(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The server's settings with mail going to the tests' SMTP server.
pub fn mail_config() -> Config {
    Config {
        smtp_url: Some(format!("smtp://{}", smtp())),
        ..Config::default()
    }
}

pub fn transport() -> server::mail::Transport {
    server::mail::Transport::from_config(&mail_config()).expect("the tests' SMTP settings")
}

/// Delivers everything due in the outbox, as one server's worker would.
pub async fn deliver(pool: &PgPool) -> usize {
    server::mail::deliver_due(pool, &transport())
        .await
        .expect("delivering the outbox")
}

/// Every message `to` has received, oldest first.
pub fn inbox(to: &str) -> Vec<Received> {
    let suffix = format!("-{}.json", to.to_lowercase());
    let mut names: Vec<PathBuf> = std::fs::read_dir(maildir())
        .expect("the mail folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&suffix) && !n.starts_with('.'))
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            Received {
                headers: value["headers"].as_object().cloned().unwrap_or_default(),
                text: value["text"].as_str().unwrap_or_default().to_owned(),
                html: value["html"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// The one message `to` has received; fails if there is none or more.
pub fn only_message(to: &str) -> Received {
    let mut all = inbox(to);
    assert_eq!(all.len(), 1, "messages to {to}: {:#?}", all);
    all.remove(0)
}
