use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ArchiveReward, DESCRIPTION_MAX, PhotoProblem, SaveReward, StaffReward, TITLE_MAX,
    get_staff_reward, list_staff_rewards,
};
use crate::domain::account::Tier;
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::kit::page::{points_short, refused, staff_title};
use crate::kit::params::use_id;
use crate::kit::{FieldError, FormError, Loaded, TierSelect, action_error, field_invalid};

/// `/staff`
#[component]
pub fn StaffHome() -> impl IntoView {
    let rewards = crate::domain::wire::resource(|| (), |_| list_staff_rewards(None));
    let alerts =
        crate::domain::wire::resource(|| (), |_| crate::drops::rotation::rotation_alerts());
    let tr = tr();
    view! {
        <Title text=staff_title(tr, None) />
        <Loaded data=rewards on_error=refused let:list>
            <section class="account-section" aria-labelledby="staff-heading">
                <h1 id="staff-heading">{tr.t("catalog.home.heading")}</h1>
                <Loaded data=alerts on_error=refused let:alerts>
                    {alerts.into_iter().map(|a| view! {
                        <p class="form-error" role="alert"><a href="/staff/rotation">{a}</a></p>
                    }).collect_view()}
                </Loaded>
                <ul class="staff-links" role="list">
                    <li><a href="/staff/rewards">{tr.f("catalog.home.rewards", &[("count", &tr.number(list.len() as i64))])}</a></li>
                    <li><a href="/staff/drops">{tr.t("catalog.home.drops")}</a></li>
                    <li><a href="/staff/members">{tr.t("catalog.home.members")}</a></li>
                    <li><a href="/staff/insights">{tr.t("catalog.home.insights")}</a></li>
                    <li><a href="/staff/audiences">{tr.t("catalog.home.audiences")}</a></li>
                    <li><a href="/staff/next-actions">{tr.t("catalog.home.next_actions")}</a></li>
                    <li><a href="/staff/campaigns">{tr.t("catalog.home.campaigns")}</a></li>
                    <li><a href="/staff/draws">{tr.t("catalog.home.draws")}</a></li>
                    <li><a href="/staff/rotation">{tr.t("catalog.home.rotation")}</a></li>
                    <li><a href="/staff/imports">{tr.t("catalog.home.imports")}</a></li>
                    <li><a href="/staff/audit">{tr.t("catalog.home.audit")}</a></li>
                    <li><a href="/staff/team">{tr.t("catalog.home.team")}</a></li>
                    <li><a href="/staff/api-keys">{tr.t("catalog.home.api_keys")}</a></li>
                </ul>
            </section>
        </Loaded>
    }
}

/// `/staff/rewards`: the catalog, searchable, and a form for a new reward.
#[component]
pub fn StaffRewards() -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q"));
    let rewards = crate::domain::wire::resource(move || search.get(), list_staff_rewards);
    let tr = tr();
    view! {
        <Title text=staff_title(tr, Some(tr.t("catalog.list.title"))) />
        <Loaded data=rewards on_error=refused let:list>
            <section class="account-section" aria-labelledby="rewards-heading">
                <h1 id="rewards-heading">{tr.t("catalog.list.title")}</h1>
                <form method="get" action="/staff/rewards" role="search" class="inline-form">
                    <label for="q">{tr.t("catalog.list.search_label")}</label>
                    <input id="q" name="q" type="search" value=search.get_untracked().unwrap_or_default() />
                    <button type="submit" class="button button-small-solid">{tr.t("catalog.list.search")}</button>
                </form>
                <ul class="history" role="list">
                    {list.into_iter().map(|r| view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason"><a href=format!("/staff/rewards/{}", r.id)>{r.title}</a></p>
                                <p class="history-meta">{tr.f(
                                    if r.archived { "catalog.list.meta_archived" } else { "catalog.list.meta" },
                                    &[("category", r.category.singular()), ("cost", &points_short(tr, r.points_cost))],
                                )}</p>
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <NewReward />
        </Loaded>
    }
}

#[component]
fn NewReward() -> impl IntoView {
    let save = ServerAction::<SaveReward>::new();
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="new-reward-heading">
            <h2 id="new-reward-heading">{tr.t("catalog.list.new")}</h2>
            <RewardForm action=save reward=None />
        </section>
    }
}

/// The create/edit form, with each field's message beside it.
#[component]
fn RewardForm(action: ServerAction<SaveReward>, reward: Option<StaffReward>) -> impl IntoView {
    let error = action_error(action);
    let r = reward.clone();
    let value = move |f: fn(&StaffReward) -> String| r.as_ref().map(f).unwrap_or_default();
    let selected = reward.as_ref().map(|r| r.category);
    let tier = reward.as_ref().and_then(|r| r.min_tier);
    let tr = tr();
    view! {
        <ActionForm action>
            <FormError error />
            {reward.as_ref().map(|r| view! { <input type="hidden" name="id" value=r.id.to_string() /> })}
            <div class="field">
                <label for="title">{tr.t("catalog.form.title")}</label>
                <input id="title" name="title" required maxlength=TITLE_MAX.to_string() value=value(|r| r.title.clone())
                    aria-invalid=field_invalid(error, "title") aria-describedby="title-error" />
                <FieldError error field="title" id="title-error" />
            </div>
            <div class="field">
                <label for="description">{tr.t("catalog.form.description")}</label>
                <textarea id="description" name="description" rows="3" maxlength=DESCRIPTION_MAX.to_string()>{value(|r| r.description.clone())}</textarea>
                <FieldError error field="description" id="description-error" />
            </div>
            // Spanish readers get these; left empty, they get the English above.
            <fieldset class="field-group">
                <legend>{tr.t("catalog.form.in_spanish")}</legend>
                <p class="field-hint" id="spanish-hint">{tr.t("catalog.form.in_spanish_hint")}</p>
                <div class="field">
                    <label for="title_es">{tr.t("catalog.form.title_es")}</label>
                    <input id="title_es" name="title_es" lang="es" maxlength=TITLE_MAX.to_string() value=value(|r| r.title_es.clone().unwrap_or_default())
                        aria-invalid=field_invalid(error, "title_es") aria-describedby="spanish-hint title_es-error" />
                    <FieldError error field="title_es" id="title_es-error" />
                </div>
                <div class="field">
                    <label for="description_es">{tr.t("catalog.form.description_es")}</label>
                    <textarea id="description_es" name="description_es" lang="es" rows="3" maxlength=DESCRIPTION_MAX.to_string()
                        aria-describedby="spanish-hint description_es-error">{value(|r| r.description_es.clone().unwrap_or_default())}</textarea>
                    <FieldError error field="description_es" id="description_es-error" />
                </div>
            </fieldset>
            <div class="field">
                <label for="category">{tr.t("catalog.form.category")}</label>
                <select id="category" name="category" aria-invalid=field_invalid(error, "category") aria-describedby="category-error">
                    {Category::ALL.into_iter().map(|c| view! {
                        <option value=c.slug() selected=selected == Some(c)>{c.singular()}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="category" id="category-error" />
            </div>
            <div class="field">
                <label for="points_cost">{tr.t("catalog.form.cost")}</label>
                <input id="points_cost" name="points_cost" inputmode="numeric" required value=value(|r| r.points_cost.get().to_string())
                    aria-invalid=field_invalid(error, "points_cost") aria-describedby="points_cost-error" />
                <FieldError error field="points_cost" id="points_cost-error" />
            </div>
            <div class="field">
                <label for="tags">{tr.t("catalog.form.tags")}</label>
                <input id="tags" name="tags" value=value(|r| r.tags.join(", ")) aria-describedby="tags-hint tags-error" />
                <p class="hint" id="tags-hint">{tr.t("catalog.form.tags_hint")}</p>
                <FieldError error field="tags" id="tags-error" />
            </div>
            <TierSelect error field="min_tier" label=tr.t("catalog.form.min_tier") none=tr.t("catalog.form.everyone") selected=tier
                describe=|t| {
                    let tr = crate::domain::i18n::tr();
                    if t == Tier::Gold { tr.t("catalog.form.gold_only") } else { tr.t("catalog.form.silver_and_above") }
                } />
            <button type="submit" class="button" disabled=move || action.pending().get()>{tr.t("catalog.form.save")}</button>
        </ActionForm>
    }
}

/// `/staff/rewards/{id}`
#[component]
pub fn StaffRewardEdit() -> impl IntoView {
    let query = use_query_map();
    let id = use_id();
    let reward = crate::domain::wire::resource(move || id.get(), get_staff_reward);
    let save = ServerAction::<SaveReward>::new();
    let archive = ServerAction::<ArchiveReward>::new();
    let archive_error = action_error(archive);
    let saved = move || query.read().get("saved").is_some();
    let archived = move || query.read().get("archived").is_some();
    let tr = tr();
    view! {
        <Title text=staff_title(tr, Some(tr.t("catalog.edit.title"))) />
        <Loaded data=reward on_error=refused let:r>
            {
                let is_archived = r.archived;
                let rid = r.id;
                let photo = (r.image_url.clone(), r.has_photo);
                view! {
                    <section class="account-section" aria-labelledby="edit-heading">
                        <p><a href="/staff/rewards">{tr.t("catalog.edit.all_rewards")}</a></p>
                        <h1 id="edit-heading">{r.title.clone()}</h1>
                        {move || saved().then(|| view! { <p class="form-success" role="status">{tr.t("catalog.edit.saved")}</p> })}
                        {move || archived().then(|| view! { <p class="form-success" role="status">{tr.t("catalog.edit.archived")}</p> })}
                        <RewardForm action=save reward=Some(r) />
                    </section>
                    <PhotoForm reward_id=rid image_url=photo.0 has_photo=photo.1 />
                    {(!is_archived).then(|| view! {
                        <section class="account-section" aria-labelledby="archive-heading">
                            <h2 id="archive-heading">{tr.t("catalog.edit.archive_heading")}</h2>
                            <p class="hint">{tr.t("catalog.edit.archive_hint")}</p>
                            <ActionForm action=archive>
                                <FormError error=archive_error />
                                <input type="hidden" name="id" value=rid.to_string() />
                                <button type="submit" class="button button-secondary">{tr.t("catalog.edit.archive_button")}</button>
                            </ActionForm>
                        </section>
                    })}
                }
                .into_any()
            }
        </Loaded>
    }
}

/// The reward's picture and a plain multipart form to replace it: the upload goes to an axum
/// handler, which redirects back here with `?photo=saved` or `?photo_error=<code>`.
#[component]
fn PhotoForm(reward_id: i64, image_url: String, has_photo: bool) -> impl IntoView {
    let query = use_query_map();
    let problem = move || {
        query
            .read()
            .get("photo_error")
            .and_then(|c| PhotoProblem::from_code(&c))
    };
    let saved = move || query.read().get("photo").as_deref() == Some("saved");
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="photo-heading">
            <h2 id="photo-heading">{tr.t("catalog.photo.heading")}</h2>
            <img class="photo-preview" src=image_url width="320" height="200"
                alt=if has_photo { tr.t("catalog.photo.current_alt") } else { tr.t("catalog.photo.drawn_alt") } />
            {move || saved().then(|| view! { <p class="form-success" role="status">{tr.t("catalog.photo.saved")}</p> })}
            <form method="post" action=format!("/staff/rewards/{reward_id}/photo") enctype="multipart/form-data">
                <div class="field">
                    <label for="photo">{if has_photo { tr.t("catalog.photo.replace") } else { tr.t("catalog.photo.choose") }}</label>
                    <input id="photo" name="photo" type="file" accept="image/png,image/jpeg,image/webp" required
                        aria-invalid=move || problem().is_some().then_some("true") aria-describedby="photo-hint photo-error" />
                    <p class="hint" id="photo-hint">{tr.t("catalog.photo.hint")}</p>
                    {move || problem().map(|p| view! { <p class="field-error" id="photo-error" role="alert">{p.message()}</p> })}
                </div>
                <button type="submit" class="button button-secondary">{tr.t("catalog.photo.upload")}</button>
            </form>
        </section>
    }
}
