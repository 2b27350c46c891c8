use leptos::prelude::*;
use leptos_meta::Title;

use super::{Bar, DropReport, get_drop_report};
use crate::domain::i18n::tr;
use crate::kit::Loaded;
use crate::kit::page::refused;
use crate::kit::params::use_id;

/// `/staff/drops/{id}/report`
#[component]
pub fn DropReportPage() -> impl IntoView {
    let id = use_id();
    let report = crate::domain::wire::resource(move || id.get(), get_drop_report);
    let tr = tr();
    view! {
        <Title text=tr.f("reports.page_title", &[("brand", tr.t("shell.brand"))]) />
        <Loaded data=report on_error=refused let:r>
            <Report report=r />
        </Loaded>
    }
}

#[component]
fn Report(report: DropReport) -> impl IntoView {
    let id = report.drop_id;
    let no_attempts = report.attempts == 0 && report.redemptions == 0;
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="report-heading">
            <p><a href=format!("/staff/drops/{id}")>{tr.t("reports.back")}</a></p>
            <h1 id="report-heading">{tr.f("reports.heading", &[("drop", &report.title)])}</h1>
            <p>{format!("{} · {}", report.state.label(), report.window)}</p>
            <dl class="report-figures">
                <div><dt>{tr.t("reports.figures.redemptions")}</dt><dd>{tr.number(report.redemptions)}</dd></div>
                <div><dt>{tr.t("reports.figures.members")}</dt><dd>{tr.number(report.unique_redeemers)}</dd></div>
                <div><dt>{tr.t("reports.figures.attempts")}</dt><dd>{tr.number(report.attempts)}</dd></div>
                <div><dt>{tr.t("reports.figures.points_spent")}</dt><dd>{tr.points(report.points_spent)}</dd></div>
            </dl>
            <p><a class="button button-secondary" href=format!("/staff/drops/{id}/report.csv") download>{tr.t("reports.download_csv")}</a></p>
            {no_attempts.then(|| view! { <p class="empty-state">{tr.t("reports.no_attempts")}</p> })}
        </section>
        <section class="account-section" aria-labelledby="items-report-heading">
            <h2 id="items-report-heading">{tr.t("reports.items.heading")}</h2>
            <table class="report-table">
                <thead><tr><th scope="col">{tr.t("reports.items.reward")}</th><th scope="col">{tr.t("reports.items.redeemed")}</th><th scope="col">{tr.t("reports.items.sell_out")}</th></tr></thead>
                <tbody>
                    {report.items.into_iter().map(|i| view! {
                        <tr><td>{i.title}</td><td>{tr.f("reports.items.redeemed_of", &[("redeemed", &tr.number(i.redeemed)), ("quantity", &tr.number(i.quantity.into()))])}</td><td>{i.sell_out}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="account-section" aria-labelledby="chart-heading">
            <h2 id="chart-heading">{tr.t("reports.chart.heading")}</h2>
            {if report.timeline.is_empty() {
                view! { <p class="empty-state">{tr.t("reports.chart.empty")}</p> }.into_any()
            } else {
                view! { <Chart bars=report.timeline bucket=report.bucket /> }.into_any()
            }}
        </section>
        <section class="account-section" aria-labelledby="tiers-heading">
            <h2 id="tiers-heading">{tr.t("reports.by_tier.heading")}</h2>
            <Counts rows=report.by_tier empty=tr.t("reports.by_tier.empty") />
        </section>
        <section class="account-section" aria-labelledby="failures-heading">
            <h2 id="failures-heading">{tr.t("reports.failures.heading")}</h2>
            <Counts rows=report.failures empty=tr.t("reports.failures.empty") />
        </section>
        <section class="account-section" aria-labelledby="suspects-heading">
            <h2 id="suspects-heading">{tr.t("reports.suspects.heading")}</h2>
            <p class="hint">{tr.f("reports.suspects.hint", &[("account", &tr.number(5)), ("address", &tr.number(20))])}</p>
            {if report.suspects.is_empty() {
                view! { <p class="empty-state">{tr.t("reports.suspects.empty")}</p> }.into_any()
            } else {
                view! {
                    <table class="report-table">
                        <thead><tr><th scope="col">{tr.t("reports.suspects.who")}</th><th scope="col">{tr.t("reports.suspects.peak")}</th><th scope="col">{tr.t("reports.suspects.attempts")}</th></tr></thead>
                        <tbody>
                            {report.suspects.into_iter().map(|s| view! {
                                <tr><td>{format!("{}: {}", s.kind, s.who)}</td><td>{tr.number(s.peak_per_second)}</td><td>{tr.number(s.attempts)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn Counts(rows: Vec<(String, i64)>, empty: &'static str) -> impl IntoView {
    let tr = tr();
    if rows.is_empty() {
        return view! { <p class="empty-state">{empty}</p> }.into_any();
    }
    view! {
        <ul class="history" role="list">
            {rows.into_iter().map(|(label, n)| view! {
                <li class="history-line"><span>{label}</span><strong>{tr.number(n)}</strong></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A bar chart drawn as SVG on the server: no chart library in the bundle, and it shows before
/// the WebAssembly loads. The same numbers follow as a table for screen readers.
#[component]
fn Chart(bars: Vec<Bar>, bucket: String) -> impl IntoView {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 200.0;
    const AXIS: f64 = 24.0;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let slot = WIDTH / bars.len() as f64;
    let tr = tr();
    let peak = bars
        .iter()
        .max_by_key(|b| b.count)
        .map(|b| {
            tr.count(
                "reports.chart.peak",
                b.count,
                &[("bucket", &bucket), ("from", &b.label)],
            )
        })
        .unwrap_or_default();
    let per_bucket = tr.f("reports.chart.per_bucket", &[("bucket", &bucket)]);
    let first = bars.first().map(|b| b.label.clone()).unwrap_or_default();
    let last = bars.last().map(|b| b.label.clone()).unwrap_or_default();
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (HEIGHT - AXIS) * b.count as f64 / max as f64;
            view! {
                <rect class="chart-bar" x=format!("{:.1}", i as f64 * slot + slot * 0.1)
                    y=format!("{:.1}", HEIGHT - AXIS - h) width=format!("{:.1}", slot * 0.8)
                    height=format!("{h:.1}")>
                    <title>{format!("{}: {}", b.label, tr.number(b.count))}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby="chart-title chart-desc"
                class="chart-svg">
                <title id="chart-title">{per_bucket.clone()}</title>
                <desc id="chart-desc">{peak.clone()}</desc>
                <line x1="0" y1=HEIGHT - AXIS x2=WIDTH y2=HEIGHT - AXIS class="chart-axis" />
                {rects}
                <text x="0" y=HEIGHT - 6.0 class="chart-label">{first}</text>
                <text x=WIDTH y=HEIGHT - 6.0 text-anchor="end" class="chart-label">{last}</text>
                <text x="0" y="12" class="chart-label">{tr.f("reports.chart.max", &[("max", &tr.number(max))])}</text>
            </svg>
            <figcaption>{format!("{per_bucket}. {peak}")}</figcaption>
        </figure>
        <details>
            <summary>{tr.t("reports.chart.as_table")}</summary>
            <table class="report-table">
                <thead><tr><th scope="col">{tr.t("reports.chart.from")}</th><th scope="col">{tr.t("reports.chart.redemptions")}</th></tr></thead>
                <tbody>
                    {bars.into_iter().map(|b| view! { <tr><td>{b.label}</td><td>{tr.number(b.count)}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}
