//! What a visitor or a member does: sign up, sign in and out, look at the bazaar and their
//! account, ask for reminders, redeem and cancel. One method per server function.

use super::client::TestApp;
use super::endpoints::{
    CancelRedemption, ChangePassword, CurrentViewer, EndOtherSessions, EndSession, GetAccount,
    GetBazaar, GetRedemption, Mailbox, Redeem, RedeemPreview, Remind, RequestPasswordReset,
    ResendVerification, ResetPassword, SendTestEmail, SetMessages, SetTimeZone, SignIn, SignOut,
    SignUp, Unsubscribe, VerifyEmail,
};
use super::endpoints::{ClearLikes, DeleteAccount, GetCard, SaveLikes};
use super::endpoints::{EnableTwoFactor, ResetTwoFactor, SignInCode, TwoFactorStatus};
use super::http::Reply;

impl TestApp {
    /// The sign-up form, sent by someone not signed in.
    pub async fn sign_up(&self, email: &str, display_name: &str, password: &str) -> Reply {
        let form = [
            ("email", email),
            ("display_name", display_name),
            ("password", password),
        ];
        self.submit::<SignUp>(&form, None).await
    }

    /// The sign-in form, sent by someone not signed in.
    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.submit::<SignIn>(&[("email", email), ("password", password)], None)
            .await
    }

    /// The sign-in form, sent from a session that already exists.
    pub async fn sign_in_from(&self, cookie: &str, email: &str, password: &str) -> Reply {
        let form = [("email", email), ("password", password)];
        self.submit::<SignIn>(&form, Some(cookie)).await
    }

    /// The sign-in form of a page that asked to be sent back to `next`.
    pub async fn sign_in_then(&self, email: &str, password: &str, next: &str) -> Reply {
        let form = [("email", email), ("password", password), ("next", next)];
        self.submit::<SignIn>(&form, None).await
    }

    /// Signs in and returns the session cookie.
    pub async fn signed_in(&self, email: &str, password: &str) -> String {
        let reply = self.sign_in(email, password).await;
        assert!(
            reply.status.is_success() || reply.status.is_redirection(),
            "sign-in failed: {} {}",
            reply.status,
            reply.body
        );
        reply.cookie().expect("sign-in sets a session cookie")
    }

    pub async fn sign_out(&self, cookie: &str) -> Reply {
        self.submit::<SignOut>(&[], Some(cookie)).await
    }

    pub async fn change_password(
        &self,
        cookie: Option<&str>,
        current_password: &str,
        new_password: &str,
    ) -> Reply {
        let form = [
            ("current_password", current_password),
            ("new_password", new_password),
        ];
        self.submit::<ChangePassword>(&form, cookie).await
    }

    /// Who the session belongs to (`null` for nobody).
    /// The confirm page's data for a drop item.
    pub async fn redeem_preview(&self, cookie: &str, item: i64) -> Reply {
        let item = item.to_string();
        self.call::<RedeemPreview>(&[("drop_item_id", &item)], Some(cookie))
            .await
    }

    /// "Sign out" beside one of the member's other devices on the account page.
    pub async fn end_session(&self, cookie: &str, handle: &str) -> Reply {
        self.submit::<EndSession>(&[("session", handle)], Some(cookie))
            .await
    }

    /// "Sign out everywhere else" on the account page.
    pub async fn end_other_sessions(&self, cookie: &str) -> Reply {
        self.submit::<EndOtherSessions>(&[], Some(cookie)).await
    }

    /// The "Confirm my email" button of a verification link's page.
    pub async fn verify_email(&self, token: &str) -> Reply {
        self.submit::<VerifyEmail>(&[("token", token)], None).await
    }

    /// "Email me a new link" on the account page.
    pub async fn resend_verification(&self, cookie: &str) -> Reply {
        self.submit::<ResendVerification>(&[], Some(cookie)).await
    }

    /// The "forgot your password" form.
    pub async fn request_password_reset(&self, email: &str) -> Reply {
        self.submit::<RequestPasswordReset>(&[("email", email)], None)
            .await
    }

    /// The new-password form of a reset link's page.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Reply {
        let form = [("token", token), ("new_password", new_password)];
        self.submit::<ResetPassword>(&form, None).await
    }

    /// The button of an unsubscribe link's page, signed out.
    pub async fn unsubscribe(&self, token: &str) -> Reply {
        self.submit::<Unsubscribe>(&[("token", token)], None).await
    }

    /// The account page's "Messages" form: the boxes ticked.
    pub async fn set_messages(&self, cookie: &str, ticked: &[&str]) -> Reply {
        let form: Vec<(&str, &str)> = ticked.iter().map(|name| (*name, "on")).collect();
        self.submit::<SetMessages>(&form, Some(cookie)).await
    }

    /// "What you love" as the account page's form posts it (ticked boxes only, as a browser
    /// sends them: `types[]=experience`, `interests[]=3`).
    pub async fn save_likes(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveLikes>(form, cookie).await
    }

    /// "Delete my account" as its form posts it (`password`, `open_redemptions`).
    pub async fn delete_account(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<DeleteAccount>(form, cookie).await
    }

    /// "Clear all my answers".
    pub async fn clear_likes(&self, cookie: Option<&str>) -> Reply {
        self.submit::<ClearLikes>(&[], cookie).await
    }

    /// The account page's time zone choice: an IANA name, or "" for the store's.
    pub async fn set_time_zone(&self, cookie: &str, zone: &str) -> Reply {
        self.submit::<SetTimeZone>(&[("time_zone", zone)], Some(cookie))
            .await
    }

    /// The account page's two-factor section.
    pub async fn two_factor(&self, cookie: &str) -> Reply {
        self.call::<TwoFactorStatus>(&[], Some(cookie)).await
    }

    /// The same, on the page turning it on returns to (`?two_factor=on`).
    pub async fn two_factor_just_on(&self, cookie: &str) -> Reply {
        self.call::<TwoFactorStatus>(&[("just_on", "true")], Some(cookie))
            .await
    }

    /// "Turn on two-factor sign-in" with the first code.
    pub async fn enable_two_factor(&self, cookie: &str, code: &str) -> Reply {
        self.submit::<EnableTwoFactor>(&[("code", code)], Some(cookie))
            .await
    }

    /// The sign-in page's second step, from the session that gave the right password.
    pub async fn sign_in_code(&self, cookie: &str, code: &str) -> Reply {
        self.submit::<SignInCode>(&[("code", code)], Some(cookie))
            .await
    }

    /// The same, from a sign-in page that was asked to go on to `next`.
    pub async fn sign_in_code_then(&self, cookie: &str, code: &str, next: &str) -> Reply {
        let form = [("code", code), ("next", next)];
        self.submit::<SignInCode>(&form, Some(cookie)).await
    }

    /// The team page's "Reset their second factor".
    pub async fn reset_two_factor(&self, cookie: &str, email: &str) -> Reply {
        self.submit::<ResetTwoFactor>(&[("email", email)], Some(cookie))
            .await
    }

    /// The admins' mailbox.
    pub async fn mailbox(&self, cookie: &str) -> Reply {
        self.call::<Mailbox>(&[], Some(cookie)).await
    }

    /// The mailbox's "Send test email" form.
    pub async fn send_test_email(&self, cookie: &str, to: &str) -> Reply {
        self.submit::<SendTestEmail>(&[("to", to)], Some(cookie))
            .await
    }

    pub async fn viewer(&self, cookie: &str) -> Reply {
        self.call::<CurrentViewer>(&[], Some(cookie)).await
    }

    /// The member's account: balance, tier and the first page of their history.
    pub async fn account(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetAccount>(&[], cookie).await
    }

    /// Page `page` of the member's history.
    pub async fn account_page(&self, cookie: &str, page: i64) -> Reply {
        let page = page.to_string();
        self.call::<GetAccount>(&[("page", &page)], Some(cookie))
            .await
    }

    /// The member's card (its number and QR code).
    pub async fn member_card(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetCard>(&[], cookie).await
    }

    /// The bazaar, for a visitor or a member.
    pub async fn bazaar(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetBazaar>(&[], cookie).await
    }

    /// The bazaar filtered by a category, for a visitor.
    pub async fn bazaar_in(&self, category: &str) -> Reply {
        self.call::<GetBazaar>(&[("category", category)], None)
            .await
    }

    /// Sets (`on`) or cancels a reminder for a drop.
    pub async fn remind(&self, cookie: Option<&str>, drop_id: &str, on: bool) -> Reply {
        let on = if on { "true" } else { "false" };
        self.submit::<Remind>(&[("drop_id", drop_id), ("on", on)], cookie)
            .await
    }

    /// One press of Confirm on the redeem page: `item` with idempotency key `key`, as `cookie`.
    pub async fn redeem(&self, cookie: &str, item: i64, key: &str) -> Reply {
        self.redeem_as(Some(cookie), item, key).await
    }

    /// A press of Confirm from someone not signed in.
    pub async fn redeem_signed_out(&self, item: i64, key: &str) -> Reply {
        self.redeem_as(None, item, key).await
    }

    /// A press of Confirm with a key of its own (a new press, not a retry). The answer comes
    /// from a future that owns what it needs, so a test may spawn it or hold it back.
    pub fn press(&self, cookie: &str, item: i64) -> impl Future<Output = Reply> + Send + use<> {
        let (app, cookie) = (self.clone(), cookie.to_owned());
        async move {
            app.redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
                .await
        }
    }

    async fn redeem_as(&self, cookie: Option<&str>, item: i64, key: &str) -> Reply {
        let item = item.to_string();
        let form = [("drop_item_id", item.as_str()), ("idempotency_key", key)];
        self.submit::<Redeem>(&form, cookie).await
    }

    /// One of the member's redemptions, by code.
    pub async fn redemption(&self, cookie: &str, code: &str) -> Reply {
        self.call::<GetRedemption>(&[("code", code)], Some(cookie))
            .await
    }

    /// The member cancels their redemption `code`.
    pub async fn cancel_redemption(&self, cookie: &str, code: &str) -> Reply {
        self.submit::<CancelRedemption>(&[("code", code)], Some(cookie))
            .await
    }
}
