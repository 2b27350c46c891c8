use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    AudienceRow, AudiencesView, Choice, CountAudience, DeleteAudience, SaveAudience, get_audiences,
};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FieldError, FormError, Loaded, TextField, action_error, field_invalid};

/// `/staff/audiences`: the store's audiences with their sizes now, and the form that builds
/// or changes one (`?edit=ID`), counting its members live as staff tick and type.
#[component]
pub fn AudiencesPage() -> impl IntoView {
    let query = use_query_map();
    let search = leptos_router::hooks::use_location().search;
    let audiences = crate::domain::wire::resource(move || search.get(), |_| get_audiences(None));
    let tr = tr();
    let status = move || {
        let query = query.read();
        if query.get("saved").is_some() {
            Some(tr.t("audiences.saved"))
        } else if query.get("deleted").is_some() {
            Some(tr.t("audiences.deleted"))
        } else {
            None
        }
    };
    view! {
        <Title text=tr.f("audiences.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="audiences-heading">
            <p><a href="/staff">{tr.t("audiences.back")}</a></p>
            <h1 id="audiences-heading">{tr.t("audiences.heading")}</h1>
            <p class="hint">{tr.t("audiences.intro")}</p>
            {move || status().map(|s| view! { <p class="form-success" role="status">{s}</p> })}
        </section>
        <Loaded data=audiences on_error=refused let:view>
            <AudienceList audiences=view.audiences.clone() />
            <AudienceForm view />
        </Loaded>
    }
}

#[component]
fn AudienceList(audiences: Vec<AudienceRow>) -> impl IntoView {
    let tr = tr();
    let delete = ServerAction::<DeleteAudience>::new();
    let error = action_error(delete);
    if audiences.is_empty() {
        return view! { <p class="empty">{tr.t("audiences.none")}</p> }.into_any();
    }
    view! {
        <FormError error />
        <table class="table">
            <caption>{tr.t("audiences.list")}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr.t("audiences.name")}</th>
                    <th scope="col">{tr.t("audiences.who")}</th>
                    <th scope="col">{tr.t("audiences.members_now")}</th>
                    <th scope="col">{tr.t("audiences.items")}</th>
                    <th scope="col"><span class="visually-hidden">{tr.t("audiences.actions")}</span></th>
                </tr>
            </thead>
            <tbody>
                {audiences.into_iter().map(|row| {
                    let edit = tr.f("audiences.edit_named", &[("name", &row.name)]);
                    let remove = tr.f("audiences.delete_named", &[("name", &row.name)]);
                    view! {
                        <tr>
                            <th scope="row">{row.name.clone()}</th>
                            <td>{row.described.join(" · ")}</td>
                            <td>{row.members}</td>
                            <td>{tr.number(row.items)}</td>
                            <td>
                                <a href=format!("/staff/audiences?edit={}#audience-form-heading", row.id) aria-label=edit>{tr.t("audiences.edit")}</a>
                                " "
                                <ActionForm action=delete attr:class="inline-form">
                                    <input type="hidden" name="id" value=row.id.to_string() />
                                    <button type="submit" class="text-button" aria-label=remove>{tr.t("audiences.delete")}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A fieldset of boxes to tick, named `{name}[]`, the `chosen` values ticked.
#[component]
fn Boxes(
    name: &'static str,
    legend: &'static str,
    choices: Vec<Choice>,
    chosen: Vec<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let error_id = format!("audience-{name}-error");
    view! {
        <fieldset class="choices" aria-describedby=error_id.clone()>
            <legend>{legend}</legend>
            {choices.into_iter().map(|c| {
                let id = format!("audience-{name}-{}", c.value);
                let checked = chosen.contains(&c.value);
                view! {
                    <div class="field field-check">
                        <input id=id.clone() name=format!("{name}[]") type="checkbox" value=c.value checked=checked />
                        <label for=id>{c.label}</label>
                    </div>
                }
            }).collect_view()}
            <FieldError error field=name id=error_id.clone() />
        </fieldset>
    }
}

#[component]
fn AudienceForm(view: AudiencesView) -> impl IntoView {
    let tr = tr();
    let query = use_query_map();
    let editing: Option<AudienceRow> = query
        .read_untracked()
        .get("edit")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| view.audiences.iter().find(|a| a.id == id).cloned());
    let save = ServerAction::<SaveAudience>::new();
    let error = action_error(save);
    let count = ServerAction::<CountAudience>::new();
    let rules = editing
        .as_ref()
        .map(|a| a.rules.clone())
        .unwrap_or_default();
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let initial = editing.as_ref().map(|a| a.members.clone());
    // Counted again as staff change a rule (with JavaScript): the fields as the form would
    // post them, read from the form itself.
    let recount = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{Element, FormData, HtmlFormElement};
        let Some(form) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("form").ok().flatten())
            .and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(data) = FormData::new_with_form(&form) else {
            return;
        };
        let all = |name: &str| {
            let values: Vec<String> = data
                .get_all(name)
                .iter()
                .filter_map(|v| v.as_string())
                .collect();
            (!values.is_empty()).then_some(values)
        };
        let one = |name: &str| data.get(name).as_string();
        count.dispatch(CountAudience {
            tiers: all("tiers[]"),
            segments: all("segments[]"),
            p_alive_min: one("p_alive_min"),
            p_alive_max: one("p_alive_max"),
            clv_min: one("clv_min"),
            clv_max: one("clv_max"),
            types: all("types[]"),
            interests: all("interests[]"),
            birthday_month: one("birthday_month"),
            redeemed_within: one("redeemed_within"),
            not_redeemed_within: one("not_redeemed_within"),
            languages: all("languages[]"),
        });
    };
    let size = move || match count.value().get() {
        Some(Ok(words)) => Some(words),
        Some(Err(e)) => Some(e.to_string()),
        None => initial.clone(),
    };
    let heading = match &editing {
        Some(a) => tr.f("audiences.form.edit_heading", &[("name", &a.name)]),
        None => tr.t("audiences.form.new_heading").to_owned(),
    };
    let month = rules
        .birthday_month
        .map(|m| m.to_string())
        .unwrap_or_default();
    view! {
        <section class="account-section" aria-labelledby="audience-form-heading">
            <h2 id="audience-form-heading">{heading}</h2>
            <p class="hint">{tr.t("audiences.form.hint")}</p>
            <ActionForm action=save attr:class="account-form">
                <FormError error />
                <input type="hidden" name="id" value=editing.as_ref().map(|a| a.id.to_string()).unwrap_or_default() />
                <TextField error field="name" label=tr.t("audiences.form.name") value=editing.as_ref().map(|a| a.name.clone()).unwrap_or_default() required=true />
                <FieldError error field="rules" id="audience-rules-error" />
                <div class="audience-rules" on:input=recount>
                    <Boxes name="tiers" legend=tr.t("audiences.form.tiers") choices=view.tiers chosen=rules.tiers.iter().map(|t| t.code().to_owned()).collect() error />
                    <Boxes name="segments" legend=tr.t("audiences.form.segments") choices=view.segments chosen=rules.segments.clone() error />
                    <TextField error field="p_alive_min" label=tr.t("audiences.form.p_alive_min") inputmode="numeric" value=number(rules.p_alive_min_pct.map(i64::from)) hint=tr.t("audiences.form.percent_hint") />
                    <TextField error field="p_alive_max" label=tr.t("audiences.form.p_alive_max") inputmode="numeric" value=number(rules.p_alive_max_pct.map(i64::from)) />
                    <TextField error field="clv_min" label=tr.t("audiences.form.clv_min") inputmode="numeric" value=number(rules.clv_min_cents.map(|c| c / 100)) hint=tr.t("audiences.form.money_hint") />
                    <TextField error field="clv_max" label=tr.t("audiences.form.clv_max") inputmode="numeric" value=number(rules.clv_max_cents.map(|c| c / 100)) />
                    <Boxes name="types" legend=tr.t("audiences.form.types") choices=view.types chosen=rules.types.iter().map(|c| c.slug().to_owned()).collect() error />
                    <Boxes name="interests" legend=tr.t("audiences.form.interests") choices=view.interests chosen=rules.interests.clone() error />
                    <div class="field">
                        <label for="audience-birthday-month">{tr.t("audiences.form.birthday_month")}</label>
                        <select id="audience-birthday-month" name="birthday_month" aria-invalid=field_invalid(error, "birthday_month") aria-describedby="audience-birthday-month-error">
                            <option value="" selected=month.is_empty()>{tr.t("audiences.form.any_month")}</option>
                            {view.months.into_iter().map(|m| {
                                let selected = m.value == month;
                                view! { <option value=m.value selected=selected>{m.label}</option> }
                            }).collect_view()}
                        </select>
                        <FieldError error field="birthday_month" id="audience-birthday-month-error" />
                    </div>
                    <TextField error field="redeemed_within" label=tr.t("audiences.form.redeemed_within") inputmode="numeric" value=number(rules.redeemed_within_days.map(i64::from)) hint=tr.t("audiences.form.days_hint") />
                    <TextField error field="not_redeemed_within" label=tr.t("audiences.form.not_redeemed_within") inputmode="numeric" value=number(rules.not_redeemed_within_days.map(i64::from)) />
                    <Boxes name="languages" legend=tr.t("audiences.form.languages") choices=view.languages chosen=rules.languages.clone() error />
                </div>
                <p class="audience-size" role="status" aria-live="polite">
                    {move || size().unwrap_or_else(|| tr.t("audiences.form.size_hint").to_owned())}
                </p>
                <button type="submit" class="button" disabled=move || save.pending().get()>{tr.t("audiences.form.save")}</button>
            </ActionForm>
        </section>
    }
}
