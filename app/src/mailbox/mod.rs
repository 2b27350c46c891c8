//! The admins' mailbox (`/staff/mailbox`): what the portal has sent and whether it went. With
//! no SMTP server configured (the run command's default) mail is kept here, bodies and all, so
//! a newcomer sees verification and reminder mails arrive; with one, only the delivery record
//! shows. Admins can also send a test message to check a configured server.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use pages::MailboxPage;

/// Messages the mailbox lists, newest first.
pub const MAILBOX_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItem {
    pub to: String,
    pub subject: String,
    pub at_label: String,
    /// sent, waiting or failed
    pub status: String,
    pub error: Option<String>,
    /// The plain-text body: only in mailbox mode.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxView {
    /// No SMTP server: mail is kept here.
    pub keeps_mail: bool,
    pub messages: Vec<MailItem>,
}

/// The latest messages. Admins only.
#[server(prefix = "/api/fn", endpoint = "staff/mailbox", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn mailbox(fresh: Option<i64>) -> Result<MailboxView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    let _ = fresh;
    ssr::mailbox(&caller)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Sends a test message to `to`, through the configured server (or into the mailbox). Admins
/// only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/send_test_email", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn send_test_email(to: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::send_test_email(&caller, &to)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/mailbox?sent=1&fresh={}",
        crate::infra::fresh()
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;
