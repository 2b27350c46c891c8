//! A member's account: signing up, in and out, the password, and the account page with the
//! member's points, history and reminders.
//!
//! Every server function starts with `authorize::<P>()` (see `infra::caller`): the check is the
//! first line, so a new endpoint cannot forget it.

mod by_mail;
pub mod card;
pub mod data_rights;
pub mod likes;
mod page;
mod pages;
pub mod questions;
mod statement;
pub mod two_factor;

use leptos::prelude::*;

use crate::AppError;
use crate::domain::account::Viewer;

pub use by_mail::AccountStepPage;
pub use page::AccountPage;
pub use pages::{SignInPage, SignOutAction, SignUpPage, ViewerMenu};
pub use statement::*;

/// The signed-in account, or `None`. Public: the header asks on every page.
#[server(prefix = "/api/fn", endpoint = "viewer", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    Ok(caller.viewer().cloned())
}

/// Creates a member account and mails a link to confirm the address. The answer never says
/// whether the address already had an account (its owner is told by mail instead).
#[server(prefix = "/api/fn", endpoint = "sign_up", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn sign_up(
    email: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::sign_up(&caller, &email, &display_name, password)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?step=check-email");
    Ok(())
}

/// Confirms the address a verification link was mailed to.
#[server(prefix = "/api/fn", endpoint = "verify_email", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::verify_email(&caller, &token)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?step=verified");
    Ok(())
}

/// Mails the signed-in member a new verification link.
#[server(prefix = "/api/fn", endpoint = "resend_verification", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn resend_verification() -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::resend_verification(&caller)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?verification=sent&fresh={}#email-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Asks for a password-reset link by mail. The answer is the same for any address.
#[server(prefix = "/api/fn", endpoint = "request_password_reset", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::request_password_reset(&caller, &email)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?step=forgot-password&sent=1");
    Ok(())
}

/// Sets a new password from a reset link, ends every other session and signs this one in.
#[server(prefix = "/api/fn", endpoint = "reset_password", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::reset_password(&caller, &token, new_password)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?password=reset");
    Ok(())
}

/// Stops the mail an unsubscribe link names; no sign-in needed (the link is signed).
#[server(prefix = "/api/fn", endpoint = "unsubscribe", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn unsubscribe(token: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::unsubscribe(caller.pool(), &token)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?step=unsubscribe&done=1");
    Ok(())
}

/// The member's choice of messages (the account page's "Messages"). A box left unticked is
/// not sent by the browser: absent means off.
#[server(prefix = "/api/fn", endpoint = "set_messages", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn set_messages(
    drop_reminders: Option<String>,
    expiring_points: Option<String>,
    offers: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::set_messages(
        &caller,
        drop_reminders.is_some(),
        expiring_points.is_some(),
        offers.is_some(),
    )
    .await
    .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?messages=saved&fresh={}#messages-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// The member's time zone (the account page's "Language and time zone"): an IANA name, or
/// empty for the store's. Times on every page, and in mail, are then written in it.
#[server(prefix = "/api/fn", endpoint = "set_time_zone", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn set_time_zone(time_zone: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::set_time_zone(&caller, &time_zone)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?zone=saved&fresh={}#language-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Signs in. `next` is where to go afterwards (a path on this site).
#[server(prefix = "/api/fn", endpoint = "sign_in", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    let signed_in = ssr::sign_in(&caller, &email, &password)
        .await
        .map_err(crate::domain::error::server::reply)?;
    let next = safe_next(next.as_deref());
    match signed_in {
        ssr::SignedIn::Done => leptos_axum::redirect(&next),
        // The second step, on the same page; `next` comes along.
        ssr::SignedIn::CodeOwed => leptos_axum::redirect(&ssr::two_factor::code_step(&next)),
    }
    Ok(())
}

/// Signs out: the session is deleted on the server, not just forgotten by the browser.
#[server(prefix = "/api/fn", endpoint = "sign_out", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn sign_out() -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Anyone>().await?;
    ssr::sign_out(&caller)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/");
    Ok(())
}

impl crate::domain::form::FromForm for SignIn {
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(SignIn {
            email: field("email")?,
            password: field("password")?,
            // An empty field is no value, as the server reads it.
            next: field("next").filter(|v| !v.is_empty()),
        })
    }
}

impl crate::domain::form::FromForm for SignOut {
    fn from_form(_: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(SignOut {})
    }
}

/// Changes the signed-in account's password.
#[server(prefix = "/api/fn", endpoint = "change_password", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::change_password(&caller, &current_password, new_password)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect("/account?password=changed");
    Ok(())
}

/// Signs out one of the member's other sessions (a lost phone, a shared computer), named by the
/// handle the account page lists it under.
#[server(prefix = "/api/fn", endpoint = "end_session", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn end_session(session: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::end_session(&caller, &session)
        .await
        .map_err(crate::domain::error::server::reply)?;
    ssr::back_to_sessions();
    Ok(())
}

/// Signs out every session of the member's but this one.
#[server(prefix = "/api/fn", endpoint = "end_other_sessions", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn end_other_sessions() -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    ssr::end_other_sessions(&caller)
        .await
        .map_err(crate::domain::error::server::reply)?;
    ssr::back_to_sessions();
    Ok(())
}

/// Only same-site paths are followed after sign-in, never another host. Browsers drop tabs and
/// line breaks from a URL and read `\` as `/`, so `/<tab>/evil.example` would leave the site:
/// only a path of visible ASCII (as our links write it, percent-encoded) that does not start
/// with `//` is followed.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::form::tests::reads_like_the_server;

    #[test]
    fn the_sign_in_and_sign_out_forms_read_in_the_browser_as_on_the_server() {
        reads_like_the_server::<SignIn>("email=maya@example.com&password=hunter22&next=/redeem/4");
        reads_like_the_server::<SignIn>("email=maya@example.com&password=hunter22&next=");
        reads_like_the_server::<SignOut>("");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/account?page=2")), "/account?page=2");
        assert_eq!(safe_next(Some("https://evil.example")), "/account");
        assert_eq!(safe_next(Some("//evil.example")), "/account");
        assert_eq!(safe_next(Some("/\\evil.example")), "/account");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/account");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/account");
        assert_eq!(safe_next(Some("/ /evil.example")), "/account");
        assert_eq!(
            safe_next(Some("/redeem/4?key=a%20b")),
            "/redeem/4?key=a%20b"
        );
        assert_eq!(safe_next(None), "/account");
    }
}
