use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{InsightsView, RecomputeScores, ValuedMember, get_insights};
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FormError, Loaded, action_error};

/// `/staff/insights`: the member base now, by segment; the models' fit; the most valuable
/// members and the valuable ones slipping away.
#[component]
pub fn InsightsPage() -> impl IntoView {
    let query = use_query_map();
    let search = leptos_router::hooks::use_location().search;
    let insights = crate::domain::wire::resource(move || search.get(), |_| get_insights(None));
    let recompute = ServerAction::<RecomputeScores>::new();
    let recompute_error = action_error(recompute);
    let tr = tr();
    let scored = move || {
        query.read().get("scored").map(|n| {
            let n = n.parse::<i64>().unwrap_or(0);
            tr.count("insights.scored", n, &[])
        })
    };
    view! {
        <Title text=tr.f("insights.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="insights-heading">
            <p><a href="/staff">{tr.t("insights.back")}</a></p>
            <h1 id="insights-heading">{tr.t("insights.heading")}</h1>
            {move || scored().map(|n| view! { <p class="form-success" role="status">{n}</p> })}
            <ActionForm action=recompute>
                <FormError error=recompute_error />
                <p class="hint">{tr.t("insights.recompute_hint")}</p>
                <button type="submit" class="button button-secondary" disabled=move || recompute.pending().get()>{tr.t("insights.recompute")}</button>
            </ActionForm>
        </section>
        <Loaded data=insights on_error=refused let:view>
            <Figures view=view />
        </Loaded>
    }
}

#[component]
fn Figures(view: InsightsView) -> impl IntoView {
    let tr = tr();
    let InsightsView {
        as_of,
        segments,
        fits,
        top,
        slipping,
    } = view;
    view! {
        <section class="account-section" aria-labelledby="segments-heading">
            <h2 id="segments-heading">{tr.t("insights.segments.heading")}</h2>
            <p class="hint">{as_of}</p>
            {if segments.is_empty() {
                view! { <p class="empty-state">{tr.t("insights.segments.empty")}</p> }.into_any()
            } else {
                view! {
                    <table class="report-table">
                        <thead><tr>
                            <th scope="col">{tr.t("insights.segments.segment")}</th>
                            <th scope="col">{tr.t("insights.segments.members")}</th>
                            <th scope="col">{tr.t("insights.segments.share")}</th>
                            <th scope="col">{tr.t("insights.segments.revenue_share")}</th>
                        </tr></thead>
                        <tbody>
                            {segments.into_iter().map(|s| view! {
                                <tr><th scope="row">{s.name}</th><td>{s.members}</td><td>{s.share}</td><td>{s.revenue_share}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="account-section" aria-labelledby="slipping-heading">
            <h2 id="slipping-heading">{tr.t("insights.slipping.heading")}</h2>
            <p class="hint">{tr.t("insights.slipping.hint")}</p>
            <Members members=slipping empty=tr.t("insights.slipping.empty") />
        </section>
        <section class="account-section" aria-labelledby="top-heading">
            <h2 id="top-heading">{tr.t("insights.top.heading")}</h2>
            <Members members=top empty=tr.t("insights.top.empty") />
        </section>
        <section class="account-section" aria-labelledby="model-heading">
            <h2 id="model-heading">{tr.t("insights.model.heading")}</h2>
            <p class="hint">{tr.t("insights.model.hint")}</p>
            {if fits.is_empty() {
                view! { <p class="empty-state">{tr.t("insights.model.empty")}</p> }.into_any()
            } else {
                view! {
                    <table class="report-table">
                        <thead><tr>
                            <th scope="col">{tr.t("insights.model.model")}</th>
                            <th scope="col">{tr.t("insights.model.params")}</th>
                            <th scope="col">{tr.t("insights.model.log_likelihood")}</th>
                            <th scope="col">{tr.t("insights.model.members")}</th>
                        </tr></thead>
                        <tbody>
                            {fits.into_iter().map(|f| view! {
                                <tr><th scope="row">{f.model}</th><td>{f.params}</td><td>{f.log_likelihood}</td><td>{f.members}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Members(members: Vec<ValuedMember>, empty: &'static str) -> impl IntoView {
    let tr = tr();
    if members.is_empty() {
        return view! { <p class="empty-state">{empty}</p> }.into_any();
    }
    view! {
        <table class="report-table">
            <thead><tr>
                <th scope="col">{tr.t("insights.list.member")}</th>
                <th scope="col">{tr.t("insights.list.segment")}</th>
                <th scope="col">{tr.t("insights.list.p_alive")}</th>
                <th scope="col">{tr.t("insights.list.clv")}</th>
            </tr></thead>
            <tbody>
                {members.into_iter().map(|m| view! {
                    <tr>
                        <th scope="row"><a href=format!("/staff/members/{}", m.id)>{m.name}</a></th>
                        <td>{m.segment}</td><td>{m.p_alive}</td><td>{m.clv}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
