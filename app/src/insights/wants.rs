//! "What members want" on the Insights page: the reward types and interests members said they
//! love, beside what the catalogue and the live and next drops offer, so staff stock what
//! members ask for; and the list of interests members pick from, kept here.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FieldError, FormError, Loaded, action_error, field_invalid};

/// One reward type or interest: how many members love it and how much is on offer for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WantRow {
    /// The interest's id; `None` for a reward type.
    pub id: Option<i64>,
    pub name: String,
    /// The interest's tag (`travel`), or the type's slug.
    pub tag: String,
    pub members: i64,
    /// Rewards in the catalogue (not archived) of this type or with this tag.
    pub catalogue: i64,
    /// Of those, in a live drop or one opening in the next 30 days.
    pub in_drops: i64,
    pub retired: bool,
}

/// One of the questions members are asked one at a time: how many answered it, and how many
/// said "Not now" lately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question: String,
    pub answered: i64,
    pub put_off: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WantsView {
    /// Members who told us anything at all on "What you love".
    pub answered: i64,
    pub types: Vec<WantRow>,
    pub interests: Vec<WantRow>,
    pub questions: Vec<QuestionRow>,
}

/// What members want against what is on offer. Staff only.
#[server(prefix = "/api/fn", endpoint = "staff/wants", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_wants(fresh: Option<i64>) -> Result<WantsView, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    let _ = fresh;
    super::ssr::wants::wants(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Adds an interest members can pick: the tag staff put on rewards, and its names.
#[server(prefix = "/api/fn", endpoint = "staff/interests/add", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn add_interest(tag: String, name: String, name_es: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::wants::add_interest(&caller, &tag, &name, &name_es)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/insights?interests=saved&fresh={}#wants-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

/// Stops offering an interest (`offered = false`), or offers it again. Members' answers naming
/// it stay until they change them.
#[server(prefix = "/api/fn", endpoint = "staff/interests/offer", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn offer_interest(id: i64, offered: bool) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Staff>().await?;
    super::ssr::wants::offer_interest(&caller, id, offered)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!(
        "/staff/insights?interests=saved&fresh={}#wants-heading",
        crate::infra::fresh()
    ));
    Ok(())
}

#[component]
pub(super) fn Wants() -> impl IntoView {
    let search = leptos_router::hooks::use_location().search;
    let wants = crate::domain::wire::resource(move || search.get(), |_| get_wants(None));
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="wants-heading">
            <h2 id="wants-heading">{tr.t("insights.wants.heading")}</h2>
            <p class="hint">{tr.t("insights.wants.hint")}</p>
            <Loaded data=wants on_error=refused let:view>
                <WantsTables view />
            </Loaded>
            <AddInterest />
        </section>
    }
}

#[component]
fn WantsTables(view: WantsView) -> impl IntoView {
    let tr = tr();
    let offer = ServerAction::<OfferInterest>::new();
    let error = action_error(offer);
    let WantsView {
        answered,
        types,
        interests,
        questions,
    } = view;
    let head = move |first: &'static str, offered: bool| {
        view! {
            <thead>
                <tr>
                    <th scope="col">{tr.t(first)}</th>
                    <th scope="col">{tr.t("insights.wants.members")}</th>
                    <th scope="col">{tr.t("insights.wants.catalogue")}</th>
                    <th scope="col">{tr.t("insights.wants.in_drops")}</th>
                    {offered.then(|| view! { <th scope="col">{tr.t("insights.wants.offered")}</th> })}
                </tr>
            </thead>
        }
    };
    view! {
        <p>{tr.count("insights.wants.answered", answered, &[])}</p>
        <FormError error />
        <table class="table">
            <caption>{tr.t("insights.wants.types")}</caption>
            {head("insights.wants.type", false)}
            <tbody>
                {types.into_iter().map(|row| view! {
                    <tr>
                        <th scope="row">{row.name}</th>
                        <td>{tr.number(row.members)}</td>
                        <td>{tr.number(row.catalogue)}</td>
                        <td>{tr.number(row.in_drops)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <table class="table">
            <caption>{tr.t("insights.wants.questions")}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr.t("insights.wants.question")}</th>
                    <th scope="col">{tr.t("insights.wants.answered_it")}</th>
                    <th scope="col">{tr.t("insights.wants.put_off")}</th>
                </tr>
            </thead>
            <tbody>
                {questions.into_iter().map(|row| view! {
                    <tr>
                        <th scope="row">{row.question}</th>
                        <td>{tr.number(row.answered)}</td>
                        <td>{tr.number(row.put_off)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <table class="table">
            <caption>{tr.t("insights.wants.interests")}</caption>
            {head("insights.wants.interest", true)}
            <tbody>
                {interests.into_iter().map(|row| {
                    let id = row.id.unwrap_or_default();
                    let label = if row.retired {
                        tr.f("insights.wants.offer_again", &[("interest", &row.name)])
                    } else {
                        tr.f("insights.wants.retire", &[("interest", &row.name)])
                    };
                    view! {
                        <tr>
                            <th scope="row">
                                {row.name.clone()} " " <span class="hint">{format!("#{}", row.tag)}</span>
                                {row.retired.then(|| view! { " " <span class="badge">{tr.t("insights.wants.retired")}</span> })}
                            </th>
                            <td>{tr.number(row.members)}</td>
                            <td>{tr.number(row.catalogue)}</td>
                            <td>{tr.number(row.in_drops)}</td>
                            <td>
                                <ActionForm action=offer attr:class="inline-form">
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <input type="hidden" name="offered" value=row.retired.to_string() />
                                    <button type="submit" class="text-button" aria-label=label.clone()>
                                        {if row.retired { tr.t("insights.wants.offer_again_short") } else { tr.t("insights.wants.retire_short") }}
                                    </button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AddInterest() -> impl IntoView {
    let add = ServerAction::<AddInterest>::new();
    let error = action_error(add);
    let tr = tr();
    let field = move |name: &'static str, label: &'static str, hint: Option<&'static str>| {
        let id = format!("interest-{name}");
        let error_id = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id.clone()>{tr.t(label)}</label>
                {hint.map(|h| view! { <p class="hint">{tr.t(h)}</p> })}
                <input id=id name=name type="text" aria-invalid=field_invalid(error, name) aria-describedby=error_id.clone() />
                <FieldError error field=name id=error_id />
            </div>
        }
    };
    view! {
        <h3>{tr.t("insights.wants.add_heading")}</h3>
        <ActionForm action=add attr:class="account-form">
            <FormError error />
            {field("tag", "insights.wants.tag", Some("insights.wants.tag_hint"))}
            {field("name", "insights.wants.name", None)}
            {field("name_es", "insights.wants.name_es", None)}
            <button type="submit" class="button button-secondary">{tr.t("insights.wants.add")}</button>
        </ActionForm>
    }
}
