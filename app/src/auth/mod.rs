//! Accounts and sign-in: who is using the portal, and what they may do.
//!
//! Every server function starts with `authorize(Policy::…)`: the check is the first line, so a
//! new endpoint cannot forget it.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::AppError;
use crate::ledger::Points;

pub use pages::{SignInPage, SignOutAction, SignUpPage, ViewerMenu};

/// Who a server function is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Public information such as the bazaar: anyone, signed in or not.
    Anyone,
    /// A signed-in account of any role, acting on its own data.
    Member,
    /// Staff and admins.
    Staff,
    /// Admins only.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Staff,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in account, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub tier: String,
    pub balance: Points,
}

/// An email address, trimmed and lower-cased: the form accounts are stored and looked up in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| AppError::invalid("email", why);
        if email.is_empty() {
            return Err(invalid("Enter your email address."));
        }
        if email.len() > 254 {
            return Err(invalid("That email address is too long."));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid("Enter an email address like name@example.com."));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
            return Err(invalid("Enter an email address like name@example.com."));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the rules. Length is what matters (NIST 800-63B): at least 10
/// characters, at most 128 so hashing stays bounded.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    pub fn parse(field: &str, raw: String) -> Result<NewPassword, AppError> {
        let chars = raw.chars().count();
        if chars < Self::MIN {
            return Err(AppError::invalid(
                field,
                format!("Use at least {} characters for your password.", Self::MIN),
            ));
        }
        if chars > Self::MAX {
            return Err(AppError::invalid(
                field,
                format!("Use at most {} characters for your password.", Self::MAX),
            ));
        }
        Ok(NewPassword(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// A display name: what the portal calls the member.
pub fn parse_display_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AppError::invalid(
            "display_name",
            "Enter the name we should call you.",
        )),
        n if n > 80 => Err(AppError::invalid(
            "display_name",
            "Use at most 80 characters for your name.",
        )),
        _ => Ok(name.to_owned()),
    }
}

/// The signed-in account, or `None`. Public: the header asks on every page.
#[server(prefix = "/api/fn", endpoint = "viewer", input = server_fn::codec::GetUrl, output = crate::wire::Answer)]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    let caller = server::authorize(Policy::Anyone).await?;
    Ok(caller.viewer)
}

/// Creates a member account and signs it in.
#[server(prefix = "/api/fn", endpoint = "sign_up", input = server_fn::codec::PostUrl, output = crate::wire::Answer)]
pub async fn sign_up(
    email: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    let caller = server::authorize(Policy::Anyone).await?;
    server::sign_up(&caller, &email, &display_name, password)
        .await
        .map_err(crate::error::server::reply)?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Signs in. `next` is where to go afterwards (a path on this site).
#[server(prefix = "/api/fn", endpoint = "sign_in", input = server_fn::codec::PostUrl, output = crate::wire::Answer)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let caller = server::authorize(Policy::Anyone).await?;
    server::sign_in(&caller, &email, &password)
        .await
        .map_err(crate::error::server::reply)?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signs out: the session is deleted on the server, not just forgotten by the browser.
#[server(prefix = "/api/fn", endpoint = "sign_out", input = server_fn::codec::PostUrl, output = crate::wire::Answer)]
pub async fn sign_out() -> Result<(), AppError> {
    let caller = server::authorize(Policy::Anyone).await?;
    server::sign_out(&caller)
        .await
        .map_err(crate::error::server::reply)?;
    leptos_axum::redirect("/");
    Ok(())
}

impl crate::ui::FromForm for SignIn {
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(SignIn {
            email: field("email")?,
            password: field("password")?,
            // An empty field is no value, as the server reads it.
            next: field("next").filter(|v| !v.is_empty()),
        })
    }
}

impl crate::ui::FromForm for SignOut {
    fn from_form(_: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        Some(SignOut {})
    }
}

/// Changes the signed-in account's password.
#[server(prefix = "/api/fn", endpoint = "change_password", input = server_fn::codec::PostUrl, output = crate::wire::Answer)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let caller = server::authorize(Policy::Member).await?;
    server::change_password(&caller, &current_password, new_password)
        .await
        .map_err(crate::error::server::reply)?;
    leptos_axum::redirect("/account?password=changed");
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
pub mod server;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::tests::reads_like_the_server;

    #[test]
    fn the_sign_in_and_sign_out_forms_read_in_the_browser_as_on_the_server() {
        reads_like_the_server::<SignIn>("email=maya@example.com&password=hunter22&next=/redeem/4");
        reads_like_the_server::<SignIn>("email=maya@example.com&password=hunter22&next=");
        reads_like_the_server::<SignOut>("");
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Maya@Example.COM ").unwrap().as_str(),
            "maya@example.com"
        );
    }

    #[test]
    fn malformed_emails_say_what_is_expected() {
        for bad in [
            "",
            "maya",
            "maya@",
            "@example.com",
            "maya@example",
            "ma ya@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                matches!(err, AppError::Invalid { ref field, .. } if field == "email"),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            Email::parse("").unwrap_err().to_string(),
            "Enter your email address."
        );
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert_eq!(
            NewPassword::parse("password", "short".into())
                .unwrap_err()
                .to_string(),
            "Use at least 10 characters for your password."
        );
        assert!(NewPassword::parse("password", "long enough pass".into()).is_ok());
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
