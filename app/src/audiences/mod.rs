//! Audiences for staff (issue 25, part 1): named, reusable groups of members built from what
//! the portal knows (tier, RFM segment, P(alive), lifetime value, what members said they love,
//! birthday month, recent redemptions, language), counted live while staff edit them, and
//! aimed at a drop item (for the audience only) or its early access on the drop's page.
//! Who is in an audience is judged when it is asked, by the database (`fits_audience`).

#![allow(
    clippy::too_many_arguments,
    reason = "the audience form's server functions take one argument per field; not `expect` on the function: the server-function macro's code trips the lint in a different place in each build"
)]

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::audience::AudienceRules;

pub use pages::AudiencesPage;

/// One box or option: its value as posted and its label in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A saved audience as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceRow {
    pub id: i64,
    pub name: String,
    pub rules: AudienceRules,
    /// Its rules in words, one per rule ("Tier: Gold", "P(alive) at most 40%").
    pub described: Vec<String>,
    /// Members in it now, written in the reader's language.
    pub members: String,
    /// Drop items aimed at it (for it only, or its early access).
    pub items: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudiencesView {
    pub audiences: Vec<AudienceRow>,
    pub tiers: Vec<Choice>,
    pub segments: Vec<Choice>,
    pub types: Vec<Choice>,
    pub interests: Vec<Choice>,
    pub months: Vec<Choice>,
    pub languages: Vec<Choice>,
}

/// Every audience with its size now, and what the form offers. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/audiences", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_audiences(fresh: Option<i64>) -> Result<AudiencesView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    ssr::view(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// How many members the rules being edited take in now (the form's live count). Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/audiences/count", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn count_audience(
    tiers: Option<Vec<String>>,
    segments: Option<Vec<String>>,
    p_alive_min: Option<String>,
    p_alive_max: Option<String>,
    clv_min: Option<String>,
    clv_max: Option<String>,
    types: Option<Vec<String>>,
    interests: Option<Vec<String>>,
    birthday_month: Option<String>,
    redeemed_within: Option<String>,
    not_redeemed_within: Option<String>,
    languages: Option<Vec<String>>,
) -> Result<String, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let form = ssr::rules_form(
        tiers,
        segments,
        p_alive_min,
        p_alive_max,
        clv_min,
        clv_max,
        types,
        interests,
        birthday_month,
        redeemed_within,
        not_redeemed_within,
        languages,
    );
    ssr::count(caller.pool(), &form)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Saves a new audience (`id` empty) or changes one. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/audiences/save", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_audience(
    id: Option<String>,
    name: String,
    tiers: Option<Vec<String>>,
    segments: Option<Vec<String>>,
    p_alive_min: Option<String>,
    p_alive_max: Option<String>,
    clv_min: Option<String>,
    clv_max: Option<String>,
    types: Option<Vec<String>>,
    interests: Option<Vec<String>>,
    birthday_month: Option<String>,
    redeemed_within: Option<String>,
    not_redeemed_within: Option<String>,
    languages: Option<Vec<String>>,
) -> Result<i64, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let form = ssr::rules_form(
        tiers,
        segments,
        p_alive_min,
        p_alive_max,
        clv_min,
        clv_max,
        types,
        interests,
        birthday_month,
        redeemed_within,
        not_redeemed_within,
        languages,
    );
    let id = ssr::save(&caller, id.as_deref().unwrap_or(""), &name, &form)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/audiences?saved={id}&fresh={}#audiences-heading",
        crate::infra::fresh()
    ));
    Ok(id)
}

/// Deletes an audience no drop item is aimed at. Staff only; audited.
#[server(prefix = "/api/fn", endpoint = "staff/audiences/delete", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn delete_audience(id: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    ssr::delete(&caller, id)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/audiences?deleted=1&fresh={}#audiences-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;
