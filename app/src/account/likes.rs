//! "What you love" on the account page: the reward types and interests a member cares about
//! and their birthday, each optional, explained, changeable and clearable. The bazaar's "For
//! you" row reads them when the member opens it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::kit::{FieldError, FormError, action_error, field_invalid};

/// An interest staff offer, and whether the member picked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestChoice {
    pub id: i64,
    pub name: String,
    pub chosen: bool,
}

/// What the member told us they love.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Likes {
    pub types: Vec<Category>,
    pub interests: Vec<InterestChoice>,
    /// The member answered "none of these" to the interests.
    pub no_interests: bool,
    pub birthday_month: Option<u8>,
    pub birthday_day: Option<u8>,
    /// The months' names in the reader's language, January first, for the birthday choice.
    pub month_names: Vec<String>,
}

/// Saves "What you love" as the form sends it: boxes left unticked are not sent (absent means
/// not chosen), and both birthday choices empty means no birthday.
#[server(prefix = "/api/fn", endpoint = "save_likes", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn save_likes(
    types: Option<Vec<String>>,
    interests: Option<Vec<String>>,
    no_interests: Option<String>,
    birthday_month: Option<String>,
    birthday_day: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::save_likes(
        &caller,
        super::ssr::LikesForm::posted(types, interests, no_interests, birthday_month, birthday_day),
    )
    .await
    .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?likes=saved&fresh={}#likes-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Forgets everything "What you love" holds for the member.
#[server(prefix = "/api/fn", endpoint = "clear_likes", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn clear_likes() -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::clear_likes(&caller)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/account?likes=cleared&fresh={}#likes-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

#[component]
pub(super) fn WhatYouLove(likes: Likes) -> impl IntoView {
    let save = ServerAction::<SaveLikes>::new();
    let clear = ServerAction::<ClearLikes>::new();
    let error = action_error(save);
    let query = use_query_map();
    let done = move || match query.read().get("likes").as_deref() {
        Some("saved") => Some(tr().t("account.likes.saved")),
        Some("cleared") => Some(tr().t("account.likes.cleared")),
        _ => None,
    };
    let tr = tr();
    let Likes {
        types,
        interests,
        no_interests,
        birthday_month,
        birthday_day,
        month_names,
    } = likes;
    view! {
        <section class="account-section" aria-labelledby="likes-heading">
            <h2 id="likes-heading">{tr.t("account.likes.heading")}</h2>
            <p class="hint">{tr.t("account.likes.hint")}</p>
            {move || done().map(|text| view! { <p class="form-success" role="status">{text}</p> })}
            <ActionForm action=save attr:class="account-form">
                <FormError error />
                <TypeChoices chosen=types legend=tr.t("account.likes.types") />
                <InterestChoices interests no_interests error legend=tr.t("account.likes.interests") />
                <BirthdayChoice month=birthday_month day=birthday_day month_names error legend=tr.t("account.likes.birthday") />
                <button type="submit" class="button" disabled=move || save.pending().get()>{tr.t("account.likes.save")}</button>
            </ActionForm>
            <ActionForm action=clear attr:class="account-form">
                <button type="submit" class="button button-secondary">{tr.t("account.likes.clear")}</button>
            </ActionForm>
        </section>
    }
}

/// The six reward types as boxes to tick (`types[]`), those in `chosen` ticked.
#[component]
pub(super) fn TypeChoices(chosen: Vec<Category>, legend: &'static str) -> impl IntoView {
    view! {
        <fieldset class="choices">
            <legend>{legend}</legend>
            {Category::ALL
                .into_iter()
                .map(|c| {
                    let id = format!("type-{}", c.slug());
                    view! {
                        <div class="field field-check">
                            <input id=id.clone() name="types[]" type="checkbox" value=c.slug() checked=chosen.contains(&c) />
                            <label for=id>{c.label()}</label>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The interests staff offer as boxes to tick (`interests[]`), and "None of these".
#[component]
pub(super) fn InterestChoices(
    interests: Vec<InterestChoice>,
    no_interests: bool,
    error: Signal<Option<AppError>>,
    legend: &'static str,
) -> impl IntoView {
    let tr = tr();
    view! {
        <fieldset class="choices" aria-describedby="interests-error">
            <legend>{legend}</legend>
            {interests
                .into_iter()
                .map(|i| {
                    let id = format!("interest-{}", i.id);
                    view! {
                        <div class="field field-check">
                            <input id=id.clone() name="interests[]" type="checkbox" value=i.id.to_string() checked=i.chosen />
                            <label for=id>{i.name}</label>
                        </div>
                    }
                })
                .collect_view()}
            <div class="field field-check">
                <input id="no_interests" name="no_interests" type="checkbox" value="on" checked=no_interests />
                <label for="no_interests">{tr.t("account.likes.none_of_these")}</label>
            </div>
            <FieldError error field="interests" id="interests-error" />
        </fieldset>
    }
}

/// A birthday as a day and a month (no year: we only need to know when to send a gift).
#[component]
pub(super) fn BirthdayChoice(
    month: Option<u8>,
    day: Option<u8>,
    month_names: Vec<String>,
    error: Signal<Option<AppError>>,
    legend: &'static str,
) -> impl IntoView {
    let tr = tr();
    view! {
        <fieldset class="choices birthday">
            <legend>{legend}</legend>
            <p class="hint">{tr.t("account.likes.birthday_hint")}</p>
            <div class="field">
                <label for="birthday_day">{tr.t("account.likes.day")}</label>
                <select id="birthday_day" name="birthday_day" aria-invalid=field_invalid(error, "birthday_day") aria-describedby="birthday_day-error">
                    <option value="" selected=day.is_none()>"—"</option>
                    {(1..=31u8)
                        .map(|d| view! { <option value=d.to_string() selected=day == Some(d)>{d}</option> })
                        .collect_view()}
                </select>
                <FieldError error field="birthday_day" id="birthday_day-error" />
            </div>
            <div class="field">
                <label for="birthday_month">{tr.t("account.likes.month")}</label>
                <select id="birthday_month" name="birthday_month" aria-invalid=field_invalid(error, "birthday_month") aria-describedby="birthday_month-error">
                    <option value="" selected=month.is_none()>"—"</option>
                    {month_names
                        .into_iter()
                        .zip(1u8..)
                        .map(|(name, m)| view! { <option value=m.to_string() selected=month == Some(m)>{name}</option> })
                        .collect_view()}
                </select>
                <FieldError error field="birthday_month" id="birthday_month-error" />
            </div>
        </fieldset>
    }
}
