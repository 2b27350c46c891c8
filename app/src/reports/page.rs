use leptos::prelude::*;
use leptos_meta::Title;

use super::{Bar, DropReport, get_drop_report};
use crate::kit::Loaded;
use crate::kit::page::refused;
use crate::kit::params::use_id;

/// `/staff/drops/{id}/report`
#[component]
pub fn DropReportPage() -> impl IntoView {
    let id = use_id();
    let report = crate::domain::wire::resource(move || id.get(), get_drop_report);
    view! {
        <Title text="Post-drop report · Staff · Rewards Bazaar" />
        <Loaded data=report on_error=refused let:r>
            <Report report=r />
        </Loaded>
    }
}

#[component]
fn Report(report: DropReport) -> impl IntoView {
    let id = report.drop_id;
    let no_attempts = report.attempts == 0 && report.redemptions == 0;
    view! {
        <section class="account-section" aria-labelledby="report-heading">
            <p><a href=format!("/staff/drops/{id}")>"← The drop"</a></p>
            <h1 id="report-heading">{format!("Report: {}", report.title)}</h1>
            <p>{format!("{} · {}", report.state.label(), report.window)}</p>
            <dl class="report-figures">
                <div><dt>"Redemptions"</dt><dd>{report.redemptions}</dd></div>
                <div><dt>"Members who redeemed"</dt><dd>{report.unique_redeemers}</dd></div>
                <div><dt>"Attempts"</dt><dd>{report.attempts}</dd></div>
                <div><dt>"Points spent"</dt><dd>{report.points_spent.to_string()}</dd></div>
            </dl>
            <p><a class="button button-secondary" href=format!("/staff/drops/{id}/report.csv") download>"Download CSV"</a></p>
            {no_attempts.then(|| view! { <p class="empty-state">"Nobody has tried to redeem from this drop yet."</p> })}
        </section>
        <section class="account-section" aria-labelledby="items-report-heading">
            <h2 id="items-report-heading">"Items"</h2>
            <table class="report-table">
                <thead><tr><th scope="col">"Reward"</th><th scope="col">"Redeemed"</th><th scope="col">"Sell-out"</th></tr></thead>
                <tbody>
                    {report.items.into_iter().map(|i| view! {
                        <tr><td>{i.title}</td><td>{format!("{} of {}", i.redeemed, i.quantity)}</td><td>{i.sell_out}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="account-section" aria-labelledby="chart-heading">
            <h2 id="chart-heading">"Redemptions over time"</h2>
            {if report.timeline.is_empty() {
                view! { <p class="empty-state">"No redemptions yet."</p> }.into_any()
            } else {
                view! { <Chart bars=report.timeline bucket=report.bucket /> }.into_any()
            }}
        </section>
        <section class="account-section" aria-labelledby="tiers-heading">
            <h2 id="tiers-heading">"Members who redeemed, by tier"</h2>
            <Counts rows=report.by_tier empty="Nobody yet." />
        </section>
        <section class="account-section" aria-labelledby="failures-heading">
            <h2 id="failures-heading">"Failed attempts by reason"</h2>
            <Counts rows=report.failures empty="No failed attempts." />
        </section>
        <section class="account-section" aria-labelledby="suspects-heading">
            <h2 id="suspects-heading">"Suspected automation"</h2>
            <p class="hint">"Accounts with 5 or more attempts in one second, addresses with 20 or more."</p>
            {if report.suspects.is_empty() {
                view! { <p class="empty-state">"None seen."</p> }.into_any()
            } else {
                view! {
                    <table class="report-table">
                        <thead><tr><th scope="col">"Who"</th><th scope="col">"Peak per second"</th><th scope="col">"Attempts"</th></tr></thead>
                        <tbody>
                            {report.suspects.into_iter().map(|s| view! {
                                <tr><td>{format!("{}: {}", s.kind, s.who)}</td><td>{s.peak_per_second}</td><td>{s.attempts}</td></tr>
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
    if rows.is_empty() {
        return view! { <p class="empty-state">{empty}</p> }.into_any();
    }
    view! {
        <ul class="history" role="list">
            {rows.into_iter().map(|(label, n)| view! {
                <li class="history-line"><span>{label}</span><strong>{n}</strong></li>
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
    let peak = bars
        .iter()
        .max_by_key(|b| b.count)
        .map(|b| {
            format!(
                "Peak: {} redemptions in the {} from {}.",
                b.count, bucket, b.label
            )
        })
        .unwrap_or_default();
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
                    <title>{format!("{}: {}", b.label, b.count)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby="chart-title chart-desc"
                class="chart-svg">
                <title id="chart-title">{format!("Redemptions per {bucket}")}</title>
                <desc id="chart-desc">{peak.clone()}</desc>
                <line x1="0" y1=HEIGHT - AXIS x2=WIDTH y2=HEIGHT - AXIS class="chart-axis" />
                {rects}
                <text x="0" y=HEIGHT - 6.0 class="chart-label">{first}</text>
                <text x=WIDTH y=HEIGHT - 6.0 text-anchor="end" class="chart-label">{last}</text>
                <text x="0" y="12" class="chart-label">{format!("max {max}")}</text>
            </svg>
            <figcaption>{format!("Redemptions per {bucket}. {peak}")}</figcaption>
        </figure>
        <details>
            <summary>"The numbers as a table"</summary>
            <table class="report-table">
                <thead><tr><th scope="col">"From"</th><th scope="col">"Redemptions"</th></tr></thead>
                <tbody>
                    {bars.into_iter().map(|b| view! { <tr><td>{b.label}</td><td>{b.count}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}
