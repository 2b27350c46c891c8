use crate::AppError;
use crate::domain::account::Email;
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::Admin;
use crate::infra::mail::{self, Compose, Kind, Outgoing};

use super::{MAILBOX_SIZE, MailItem, MailboxView};

pub async fn mailbox(caller: &Admin) -> Result<MailboxView, AppError> {
    let keeps_mail = caller.state().config.smtp_url.is_none();
    let store = crate::infra::store::load(caller.pool()).await?;
    let rows = sqlx::query!(
        r#"SELECT to_address, subject, text_body, created_at, sent_at, failed_at, last_error
           FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"#,
        MAILBOX_SIZE
    )
    .fetch_all(caller.pool())
    .await?;
    let messages = rows
        .into_iter()
        .map(|r| MailItem {
            to: r.to_address,
            subject: r.subject,
            at_label: store.format_time(r.created_at),
            status: if r.sent_at.is_some() {
                "sent"
            } else if r.failed_at.is_some() {
                "failed"
            } else {
                "waiting"
            }
            .to_owned(),
            error: r.last_error,
            text: keeps_mail.then_some(r.text_body),
        })
        .collect();
    Ok(MailboxView {
        keeps_mail,
        messages,
    })
}

pub async fn send_test_email(caller: &Admin, to: &str) -> Result<(), AppError> {
    let to = Email::parse(to)?;
    let tr = tr();
    let message = Compose {
        tr,
        subject: tr.t("mail.test.subject").to_owned(),
        greeting: tr.f("mail.greeting", &[("name", &caller.account().display_name)]),
        paragraphs: vec![tr.t("mail.test.body").to_owned()],
        action: None,
        footer: vec![],
    }
    .render();
    let mut tx = caller.pool().begin().await?;
    mail::enqueue(
        &mut tx,
        caller.state(),
        Outgoing {
            account_id: None,
            to: to.as_str(),
            kind: Kind::Test,
            mail: message,
            unsubscribe_url: None,
        },
    )
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "mail.test",
        to.as_str(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
