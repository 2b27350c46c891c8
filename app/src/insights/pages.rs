use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    InsightsView, ModelCheckView, MovementView, RecomputeScores, ValuedMember, get_insights,
    get_model_check, get_movement,
};
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
        <super::wants::Wants />
        <Movement />
        <Check />
    }
}

/// The query's value for `key`, or empty.
fn param(key: &'static str) -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(key).unwrap_or_default())
}

/// A date field of a plain GET form, so the figures come without JavaScript too.
#[component]
fn DateField(name: &'static str, label: &'static str, value: String) -> impl IntoView {
    let id = format!("insights-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="date" name=name value=value required />
        </div>
    }
}

/// Members moving between segments, and retention by month of first purchase.
#[component]
fn Movement() -> impl IntoView {
    let tr = tr();
    let (from, to) = (param("from"), param("to"));
    let (cutoff, end) = (param("cutoff"), param("end"));
    let movement = crate::domain::wire::resource(
        move || (from.get(), to.get()),
        |(from, to)| {
            get_movement(
                (!from.is_empty()).then_some(from),
                (!to.is_empty()).then_some(to),
            )
        },
    );
    view! {
        <section class="account-section" aria-labelledby="movement-heading">
            <h2 id="movement-heading">{tr.t("insights.movement.heading")}</h2>
            <p class="hint">{tr.t("insights.movement.hint")}</p>
            <Loaded data=movement let:m>
                <MovementFigures m=m cutoff=cutoff.get_untracked() end=end.get_untracked() />
            </Loaded>
        </section>
    }
}

#[component]
fn MovementFigures(m: MovementView, cutoff: String, end: String) -> impl IntoView {
    let tr = tr();
    let MovementView {
        from,
        to,
        caption,
        columns,
        rows,
        months,
        cohorts,
    } = m;
    view! {
        <form method="get" action="/staff/insights" class="inline-form">
            <DateField name="from" label=tr.t("insights.movement.from") value=from />
            <DateField name="to" label=tr.t("insights.movement.to") value=to />
            {(!cutoff.is_empty()).then(|| view! { <input type="hidden" name="cutoff" value=cutoff.clone() /> })}
            {(!end.is_empty()).then(|| view! { <input type="hidden" name="end" value=end.clone() /> })}
            <button type="submit" class="button button-secondary">{tr.t("insights.movement.submit")}</button>
        </form>
        <div class="table-scroll">
            <table class="report-table">
                <caption>{caption}</caption>
                <thead><tr>
                    <td></td>
                    <th scope="col">{tr.t("insights.movement.total")}</th>
                    {columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr><th scope="row">{r.name}</th><td>{r.total}</td>
                            {r.cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h2 id="cohorts-heading">{tr.t("insights.cohorts.heading")}</h2>
        <p class="hint">{tr.t("insights.cohorts.hint")}</p>
        <div class="table-scroll">
            <table class="report-table heat-map" aria-labelledby="cohorts-heading">
                <thead><tr>
                    <th scope="col">{tr.t("insights.cohorts.cohort")}</th>
                    <th scope="col">{tr.t("insights.cohorts.members")}</th>
                    {months.into_iter().map(|m| view! { <th scope="col">{m}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {cohorts.into_iter().map(|c| view! {
                        <tr><th scope="row">{c.month}</th><td>{c.members}</td>
                            {c.cells.into_iter().map(|(share, heat)| view! { <td class=format!("heat-{heat}")>{share}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The model check: a cut-off and an end date, then the forecast against what happened.
#[component]
fn Check() -> impl IntoView {
    let tr = tr();
    let (cutoff, end) = (param("cutoff"), param("end"));
    let (from, to) = (param("from"), param("to"));
    let check = crate::domain::wire::resource(
        move || (cutoff.get(), end.get()),
        |(cutoff, end)| async move {
            if cutoff.is_empty() || end.is_empty() {
                return Ok(None);
            }
            get_model_check(cutoff, end).await.map(Some)
        },
    );
    view! {
        <section class="account-section" aria-labelledby="check-heading">
            <h2 id="check-heading">{tr.t("insights.check.heading")}</h2>
            <p class="hint">{tr.t("insights.check.hint")}</p>
            <form method="get" action="/staff/insights" class="inline-form">
                <DateField name="cutoff" label=tr.t("insights.check.cutoff") value=cutoff.get_untracked() />
                <DateField name="end" label=tr.t("insights.check.end") value=end.get_untracked() />
                {move || (!from.get().is_empty()).then(|| view! { <input type="hidden" name="from" value=from.get() /> })}
                {move || (!to.get().is_empty()).then(|| view! { <input type="hidden" name="to" value=to.get() /> })}
                <button type="submit" class="button button-secondary">{tr.t("insights.check.submit")}</button>
            </form>
            <Loaded data=check let:c>
                {c.map(|c| view! { <CheckFigures c=c /> })}
            </Loaded>
        </section>
    }
}

#[component]
fn CheckFigures(c: ModelCheckView) -> impl IntoView {
    let tr = tr();
    let ModelCheckView {
        summary,
        fits,
        chart,
        tracking,
        calibration,
        by_frequency,
    } = c;
    view! {
        <p>{summary}</p>
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
        <h3 id="tracking-heading">{tr.t("insights.check.chart")}</h3>
        {chart.map(|chart| view! {
            <figure class="tracking-chart">
                <svg viewBox="0 0 600 240" role="img" aria-labelledby="tracking-heading" preserveAspectRatio="none">
                    <line class="chart-cutoff" x1=chart.cutoff_x.clone() x2=chart.cutoff_x y1="0" y2="240" />
                    <polyline class="chart-actual" points=chart.actual fill="none" />
                    <polyline class="chart-expected" points=chart.expected fill="none" />
                </svg>
                <figcaption>
                    <span class="legend-actual">{tr.t("insights.check.actual")}</span> " · "
                    <span class="legend-expected">{tr.t("insights.check.expected")}</span> " · "
                    {chart.top}
                </figcaption>
            </figure>
        })}
        <details>
            <summary>{tr.t("insights.check.tracking")}</summary>
            {figures([tr.t("insights.check.week"), tr.t("insights.check.actual"), tr.t("insights.check.expected")], tracking)}
        </details>
        <h3>{tr.t("insights.check.calibration")}</h3>
        {figures([tr.t("insights.check.repeat_purchases"), tr.t("insights.check.members"), tr.t("insights.check.expected_members")], calibration)}
        <h3>{tr.t("insights.check.by_frequency")}</h3>
        {figures([tr.t("insights.check.repeat_purchases"), tr.t("insights.check.members"), tr.t("insights.check.actual_mean"), tr.t("insights.check.expected_mean")], by_frequency)}
    }
}

/// A table of figures, the first column naming each row.
fn figures<const N: usize>(head: [&'static str; N], rows: Vec<[String; N]>) -> impl IntoView {
    view! {
        <table class="report-table">
            <thead><tr>{head.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let mut cells = row.into_iter();
                    let first = cells.next().unwrap_or_default();
                    view! {
                        <tr><th scope="row">{first}</th>{cells.map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Figures(view: InsightsView) -> impl IntoView {
    let tr = tr();
    let InsightsView {
        as_of,
        segments,
        p_alive,
        fits,
        top,
        slipping,
    } = view;
    let segments: Vec<[String; 4]> = segments
        .into_iter()
        .map(|s| [s.name, s.members, s.share, s.revenue_share])
        .collect();
    let fits: Vec<[String; 4]> = fits
        .into_iter()
        .map(|f| [f.model, f.params, f.log_likelihood, f.members])
        .collect();
    view! {
        <section class="account-section" aria-labelledby="segments-heading">
            <h2 id="segments-heading">{tr.t("insights.segments.heading")}</h2>
            <p class="hint">{as_of}</p>
            {if segments.is_empty() {
                view! { <p class="empty-state">{tr.t("insights.segments.empty")}</p> }.into_any()
            } else {
                figures([tr.t("insights.segments.segment"), tr.t("insights.segments.members"), tr.t("insights.segments.share"), tr.t("insights.segments.revenue_share")], segments).into_any()
            }}
        </section>
        <section class="account-section" aria-labelledby="p-alive-heading">
            <h2 id="p-alive-heading">{tr.t("insights.p_alive.heading")}</h2>
            {if p_alive.is_empty() {
                view! { <p class="empty-state">{tr.t("insights.model.empty")}</p> }.into_any()
            } else {
                figures([tr.t("insights.list.p_alive"), tr.t("insights.segments.members"), tr.t("insights.segments.share")], p_alive).into_any()
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
                figures([tr.t("insights.model.model"), tr.t("insights.model.params"), tr.t("insights.model.log_likelihood"), tr.t("insights.model.members")], fits).into_any()
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
                        <td>{m.segment}</td>
                        <td>{m.p_alive}{(!m.was.is_empty()).then(|| view! { <span class="hint">" · "{m.was}</span> })}</td>
                        <td>{m.clv}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
