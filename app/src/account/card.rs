//! The member's card on their phone (`/account?step=card`): the number a till scans from its
//! QR code, or types, to name the member when it sends a purchase (the earning API's
//! `card_number`). Added to the home screen (the web app manifest), it opens in one tap, and
//! its page opens without a connection too (`public/sw.js` keeps the last copy).

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::Loaded;

/// Where the card is: the page the home-screen icon opens and the service worker keeps.
pub const CARD_PATH: &str = "/account?step=card";

/// What the card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberCard {
    pub display_name: String,
    /// As printed: four groups of four digits.
    pub number: String,
    /// The QR code of the number (digits only), drawn on the server.
    pub qr_svg: String,
    pub tier: String,
}

/// The signed-in member's own card (no account id is taken from the request).
#[server(prefix = "/api/fn", endpoint = "member_card", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_card() -> Result<MemberCard, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::card::card(&caller)
        .await
        .map_err(crate::domain::error::server::reply)
}

#[component]
pub fn CardPage() -> impl IntoView {
    let card = crate::domain::wire::resource(|| (), |()| get_card());
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("account.card.title"), tr.t("shell.brand")) />
        <Loaded data=card loading=tr.t("account.card.loading") signed_out=SignInForCard let:card>
            <section class="member-card" aria-labelledby="card-heading">
                <h1 id="card-heading">{tr.t("account.card.title")}</h1>
                <p class="hint">{tr.t("account.card.show_at_till")}</p>
                <div class="member-card-face">
                    <div class="qr qr-card" role="img" aria-label=tr.t("account.card.qr_label") inner_html=card.qr_svg></div>
                    <p class="card-number">
                        <span class="visually-hidden">{tr.t("account.card.number")} " "</span>
                        {card.number}
                    </p>
                    <p class="card-holder">{card.display_name} " · " {card.tier}</p>
                </div>
                <p class="hint">{tr.t("account.card.offline")}</p>
                <p><a href="/account">{tr.t("account.card.back")}</a></p>
            </section>
        </Loaded>
    }
}

#[component]
fn SignInForCard() -> impl IntoView {
    crate::kit::page_status::set_page_status(401);
    let tr = tr();
    view! {
        <div class="notice">
            <h1>{tr.t("account.card.sign_in")}</h1>
            <p><a class="button" href="/sign-in?next=/account%3Fstep%3Dcard">{tr.t("account.sign_in")}</a></p>
        </div>
    }
}

/// The account page's way to the card.
#[component]
pub(super) fn CardLink() -> impl IntoView {
    let tr = tr();
    view! {
        <p class="card-link">
            <a class="button button-secondary" href=CARD_PATH>{tr.t("account.card.open")}</a>
        </p>
    }
}
