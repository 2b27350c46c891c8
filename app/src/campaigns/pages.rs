use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    CampaignReport, CampaignsView, CreateCampaign, NextActionsView, SaveActionTerms,
    SaveStoreTerms, TermsView, get_campaign, get_campaigns, get_next_actions,
    next_actions_csv_path,
};
use crate::domain::campaign::HOLDOUT_DEFAULT;
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::params::use_id;
use crate::kit::{
    FieldError, FormError, Loaded, SelectField, TextField, action_error, field_invalid,
};

/// `/staff/campaigns`: the store's campaigns and the form that starts one.
#[component]
pub fn CampaignsPage() -> impl IntoView {
    let campaigns = crate::domain::wire::resource(|| (), |_| get_campaigns(None));
    let tr = tr();
    view! {
        <Title text=tr.f("campaigns.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="campaigns-heading">
            <p><a href="/staff">{tr.t("campaigns.back")}</a></p>
            <h1 id="campaigns-heading">{tr.t("campaigns.heading")}</h1>
            <p class="hint">{tr.t("campaigns.intro")}</p>
        </section>
        <Loaded data=campaigns on_error=refused let:view>
            <CampaignList view=view.clone() />
            <NewCampaignForm view />
        </Loaded>
    }
}

#[component]
fn CampaignList(view: CampaignsView) -> impl IntoView {
    let tr = tr();
    if view.campaigns.is_empty() {
        return view! { <p class="empty">{tr.t("campaigns.none")}</p> }.into_any();
    }
    view! {
        <table class="table">
            <caption>{tr.t("campaigns.list")}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr.t("campaigns.name")}</th>
                    <th scope="col">{tr.t("campaigns.audience")}</th>
                    <th scope="col">{tr.t("campaigns.action_heading")}</th>
                    <th scope="col">{tr.t("campaigns.offer_heading")}</th>
                    <th scope="col">{tr.t("campaigns.who")}</th>
                    <th scope="col">{tr.t("campaigns.window")}</th>
                </tr>
            </thead>
            <tbody>
                {view.campaigns.into_iter().map(|c| view! {
                    <tr>
                        <th scope="row"><a href=format!("/staff/campaigns/{}", c.id)>{c.name}</a></th>
                        <td>{c.audience}</td>
                        <td>{c.action}</td>
                        <td>{c.offer}</td>
                        <td>{c.members}</td>
                        <td>{c.window}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewCampaignForm(view: CampaignsView) -> impl IntoView {
    let tr = tr();
    let create = ServerAction::<CreateCampaign>::new();
    let error = action_error(create);
    if view.audiences.is_empty() {
        return view! {
            <section class="account-section" aria-labelledby="campaign-form-heading">
                <h2 id="campaign-form-heading">{tr.t("campaigns.form.heading")}</h2>
                <p class="empty">{tr.t("campaigns.form.no_audiences")} " " <a href="/staff/audiences">{tr.t("campaigns.form.build_audience")}</a></p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="account-section" aria-labelledby="campaign-form-heading">
            <h2 id="campaign-form-heading">{tr.t("campaigns.form.heading")}</h2>
            <p class="hint">{tr.t("campaigns.form.hint")}</p>
            <ActionForm action=create attr:class="account-form">
                <FormError error />
                <TextField error field="name" label=tr.t("campaigns.form.name") required=true />
                <div class="field">
                    <label for="campaign-audience">{tr.t("campaigns.form.audience")}</label>
                    <select id="campaign-audience" name="audience" required aria-invalid=field_invalid(error, "audience") aria-describedby="campaign-audience-error">
                        <option value="">{tr.t("campaigns.form.choose")}</option>
                        {view.audiences.into_iter().map(|a| view! { <option value=a.value>{a.label}</option> }).collect_view()}
                    </select>
                    <FieldError error field="audience" id="campaign-audience-error" />
                </div>
                <div class="field">
                    <label for="campaign-action">{tr.t("campaigns.form.action")}</label>
                    <select id="campaign-action" name="action" required aria-invalid=field_invalid(error, "action") aria-describedby="campaign-action-error">
                        <option value="">{tr.t("campaigns.form.choose")}</option>
                        {view.actions.into_iter().map(|a| view! { <option value=a.value>{a.label}</option> }).collect_view()}
                    </select>
                    <FieldError error field="action" id="campaign-action-error" />
                </div>
                <TextField error field="bonus_points" label=tr.t("campaigns.form.bonus_points") inputmode="numeric" hint=tr.t("campaigns.form.bonus_hint") />
                <div class="field">
                    <label for="campaign-early-item">{tr.t("campaigns.form.early_item")}</label>
                    <select id="campaign-early-item" name="early_item" aria-invalid=field_invalid(error, "early_item") aria-describedby="campaign-early-item-error">
                        <option value="">{tr.t("campaigns.form.early_none")}</option>
                        {view.early_items.into_iter().map(|a| view! { <option value=a.value>{a.label}</option> }).collect_view()}
                    </select>
                    <FieldError error field="early_item" id="campaign-early-item-error" />
                </div>
                <TextField error field="early_hours" label=tr.t("campaigns.form.early_hours") inputmode="numeric" value="2" hint=tr.t("campaigns.form.early_hint") />
                <div class="field field-check">
                    <input id="campaign-exclusive" name="exclusive" type="checkbox" value="on" />
                    <label for="campaign-exclusive">{tr.t("campaigns.form.exclusive")}</label>
                </div>
                <div class="field">
                    <label for="campaign-gift-reward">{tr.t("campaigns.form.gift_reward")}</label>
                    <select id="campaign-gift-reward" name="gift_reward" aria-invalid=field_invalid(error, "gift_reward") aria-describedby="campaign-gift-reward-hint campaign-gift-reward-error">
                        <option value="">{tr.t("campaigns.form.gift_none")}</option>
                        {view.gift_rewards.into_iter().map(|a| view! { <option value=a.value>{a.label}</option> }).collect_view()}
                    </select>
                    <p class="hint" id="campaign-gift-reward-hint">{tr.t("campaigns.form.gift_hint")}</p>
                    <FieldError error field="gift_reward" id="campaign-gift-reward-error" />
                </div>
                <div class="field field-check">
                    <input id="campaign-with-email" name="with_email" type="checkbox" value="on" />
                    <label for="campaign-with-email">{tr.t("campaigns.form.with_email")}</label>
                </div>
                <TextField error field="holdout" label=tr.t("campaigns.form.holdout") inputmode="numeric" value=HOLDOUT_DEFAULT.to_string() hint=tr.t("campaigns.form.holdout_hint") required=true />
                <TextField error field="days" label=tr.t("campaigns.form.days") inputmode="numeric" value="14" hint=tr.t("campaigns.form.days_hint") required=true />
                <button type="submit" class="button" disabled=move || create.pending().get()>{tr.t("campaigns.form.start")}</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// `/staff/campaigns/{id}`: a campaign's report, treated against held out.
#[component]
pub fn CampaignPage() -> impl IntoView {
    let id = use_id();
    let query = use_query_map();
    let report = crate::domain::wire::resource(move || id.get(), get_campaign);
    let tr = tr();
    view! {
        <Title text=tr.f("campaigns.report.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=report on_error=refused let:report>
            {move || query.read().get("started").map(|_| view! {
                <p class="form-success" role="status">{tr.t("campaigns.started")}</p>
            })}
            <Report report />
        </Loaded>
    }
}

#[component]
fn Report(report: CampaignReport) -> impl IntoView {
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="campaign-heading">
            <p><a href="/staff/campaigns">{tr.t("campaigns.report.back")}</a></p>
            <h1 id="campaign-heading">{report.name.clone()}</h1>
            <p>{tr.f("campaigns.report.summary", &[
                ("audience", &report.row.audience),
                ("action", &report.row.action),
                ("offer", &report.row.offer),
            ])}</p>
            <p>{report.row.window.clone()}</p>
            <p>{format!("{} · {} · {}", report.treated, report.held_out, report.given)}</p>
            {report.running.then(|| view! { <p class="hint">{tr.t("campaigns.report.so_far")}</p> })}
        </section>
        <section class="account-section" aria-labelledby="campaign-results-heading">
            <h2 id="campaign-results-heading">{tr.t("campaigns.report.results")}</h2>
            <table class="table">
                <caption>{tr.t("campaigns.report.caption")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr.t("campaigns.report.figure")}</th>
                        <th scope="col">{tr.t("campaigns.report.treated")}</th>
                        <th scope="col">{tr.t("campaigns.report.held_out")}</th>
                        <th scope="col">{tr.t("campaigns.report.difference")}</th>
                        <th scope="col">{tr.t("campaigns.report.interval_heading")}</th>
                        <th scope="col">{tr.t("campaigns.report.verdict")}</th>
                    </tr>
                </thead>
                <tbody>
                    {report.figures.into_iter().map(|f| view! {
                        <tr>
                            <th scope="row">{f.label}</th>
                            <td>{f.treated}</td>
                            <td>{f.held_out}</td>
                            <td>{f.difference}</td>
                            <td>{f.interval}</td>
                            <td class={if f.significant { "verdict verdict-yes" } else { "verdict" }}>{f.verdict}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="hint">{tr.t("campaigns.report.how")}</p>
        </section>
    }
}

/// `/staff/next-actions`: how many members each action is best for now, and the members of
/// one action (`?action=`), most valuable first, with the CSV of them all.
#[component]
pub fn NextActionsPage() -> impl IntoView {
    let query = use_query_map();
    let action = Memo::new(move |_| query.read().get("action"));
    let saved = Memo::new(move |_| {
        query
            .read()
            .get("saved")
            .and_then(|s| s.parse::<i64>().ok())
    });
    let view = crate::domain::wire::resource(
        move || (action.get(), saved.get()),
        |(action, saved)| get_next_actions(action, saved),
    );
    let tr = tr();
    view! {
        <Title text=tr.f("campaigns.next.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="next-heading">
            <p><a href="/staff">{tr.t("campaigns.back")}</a></p>
            <h1 id="next-heading">{tr.t("campaigns.next.heading")}</h1>
            <p class="hint">{tr.t("campaigns.next.intro")}</p>
        </section>
        <Loaded data=view on_error=refused let:view>
            <NextActions view=view.clone() />
            <TermsForms terms=view.terms saved=saved.get_untracked().is_some() />
        </Loaded>
    }
}

#[component]
fn NextActions(view: NextActionsView) -> impl IntoView {
    let tr = tr();
    let chosen = view.chosen.clone();
    view! {
        <section class="account-section" aria-labelledby="next-counts-heading">
            <h2 id="next-counts-heading">{tr.t("campaigns.next.this_week")}</h2>
            <ul class="history" role="list">
                {view.counts.into_iter().map(|c| {
                    let current = chosen.as_deref() == Some(c.action.as_str());
                    view! {
                        <li class="history-line">
                            <div>
                                <p class="history-reason">
                                    <a href=format!("/staff/next-actions?action={}#next-members-heading", c.action) aria-current=current.then_some("true")>{c.members}</a>
                                </p>
                                <p class="history-meta">{tr.f("campaigns.next.worth", &[("value", &c.value)])}</p>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {view.chosen.zip(view.chosen_label).map(|(code, label)| {
            let members = view.members;
            view! {
                <section class="account-section" aria-labelledby="next-members-heading">
                    <h2 id="next-members-heading">{label}</h2>
                    <p><a class="button button-secondary" href=next_actions_csv_path(&code) download>{tr.t("campaigns.next.download")}</a></p>
                    {if members.is_empty() {
                        view! { <p class="empty">{tr.t("campaigns.next.nobody")}</p> }.into_any()
                    } else {
                        view! {
                            <table class="table">
                                <caption>{tr.t("campaigns.next.members_caption")}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{tr.t("campaigns.csv.email")}</th>
                                        <th scope="col">{tr.t("campaigns.csv.name")}</th>
                                        <th scope="col">{tr.t("campaigns.csv.segment")}</th>
                                        <th scope="col">{tr.t("campaigns.csv.value")}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {members.into_iter().map(|m| view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/staff/members/{}", m.id)>{m.email}</a></th>
                                            <td>{m.display_name}</td>
                                            <td>{m.segment}</td>
                                            <td>{m.value}{m.measured.then(|| view! { " " <span class="badge">{tr.t("campaigns.next.measured")}</span> })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                </section>
            }
        })}
    }
}

/// What staff expect of each action until campaigns measure it, and the store-wide terms:
/// two plain forms (they work before the WebAssembly loads).
#[component]
fn TermsForms(terms: TermsView, saved: bool) -> impl IntoView {
    let tr = tr();
    let save_action = ServerAction::<SaveActionTerms>::new();
    let action_err = action_error(save_action);
    let save_store = ServerAction::<SaveStoreTerms>::new();
    let store_err = action_error(save_store);
    let choices = terms.actions.clone();
    view! {
        <section class="account-section" aria-labelledby="terms-heading">
            <h2 id="terms-heading">{tr.t("campaigns.terms.heading")}</h2>
            <p class="hint">{tr.t("campaigns.terms.intro")}</p>
            {saved.then(|| view! { <p class="form-success" role="status">{tr.t("campaigns.terms.saved")}</p> })}
            <table class="table">
                <caption>{tr.t("campaigns.terms.caption")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr.t("campaigns.terms.action")}</th>
                        <th scope="col">{tr.t("campaigns.terms.response")}</th>
                        <th scope="col">{tr.t("campaigns.terms.extra_spend")}</th>
                        <th scope="col">{tr.t("campaigns.terms.cost")}</th>
                    </tr>
                </thead>
                <tbody>
                    {terms.actions.into_iter().map(|a| view! {
                        <tr>
                            <th scope="row">{a.label}</th>
                            <td>{a.response}</td>
                            <td>{a.extra_spend}</td>
                            <td>{a.cost}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=save_action attr:class="account-form" attr:aria-labelledby="terms-action-heading">
                <h3 id="terms-action-heading">{tr.t("campaigns.terms.change_heading")}</h3>
                <FormError error=action_err />
                <SelectField error=action_err field="terms_action" label=tr.t("campaigns.terms.action")>
                    {choices.into_iter().map(|a| view! { <option value=a.action>{a.label}</option> }).collect_view()}
                </SelectField>
                <TextField error=action_err field="response" label=tr.t("campaigns.terms.response") inputmode="decimal" hint=tr.t("campaigns.terms.response_hint") required=true />
                <TextField error=action_err field="extra_spend" label=tr.t("campaigns.terms.extra_spend") inputmode="decimal" hint=tr.t("campaigns.terms.extra_spend_hint") required=true />
                <TextField error=action_err field="cost" label=tr.t("campaigns.terms.cost") inputmode="decimal" hint=tr.t("campaigns.terms.cost_hint") required=true />
                <button type="submit" class="button" disabled=move || save_action.pending().get()>{tr.t("campaigns.terms.save_action")}</button>
            </ActionForm>
            <ActionForm action=save_store attr:class="account-form" attr:aria-labelledby="terms-store-heading">
                <h3 id="terms-store-heading">{tr.t("campaigns.terms.store_heading")}</h3>
                <FormError error=store_err />
                <TextField error=store_err field="margin" label=tr.t("campaigns.terms.margin") inputmode="decimal" value=terms.margin hint=tr.t("campaigns.terms.margin_hint") required=true />
                <TextField error=store_err field="messages_per_week" label=tr.t("campaigns.terms.messages") inputmode="numeric" value=terms.messages_per_week hint=tr.t("campaigns.terms.messages_hint") required=true />
                <TextField error=store_err field="reach_within" label=tr.t("campaigns.terms.reach_within") inputmode="decimal" value=terms.reach_within required=true />
                <button type="submit" class="button" disabled=move || save_store.pending().get()>{tr.t("campaigns.terms.save_store")}</button>
            </ActionForm>
        </section>
    }
}
