//! This build's signed-in bazaar page against a previous commit's (`BENCH_COMPARE=<commit>`):
//! a change that adds work to the page a member opens at drop time (the For you row, say) must
//! not make it slower. bench.sh builds that commit's release in a worktree and serves its demo
//! store from a database of its own; the two servers share the machine, and the runs alternate
//! in the order this, previous, previous, this, this, previous, so a drift in the machine weighs
//! on both. Each side's figure is the median of its three runs.

use std::fmt::Write as _;
use std::time::Duration;

use crate::config::Config;
use crate::load::{Load, closed, sign_in_demo_member};
use crate::report::Target;

/// What the previous commit's page must keep: at least this share of its requests/s.
const AT_LEAST: f64 = 0.95;
const CLIENTS: usize = 64;

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

pub async fn signed_in_bazaar(
    config: &Config,
    run: Duration,
    report: &mut String,
    targets: &mut Vec<Target>,
) {
    let Some((commit, previous_url)) = &config.previous else {
        return;
    };
    eprintln!("==> compare: the signed-in bazaar page, this build against {commit}");
    let sides = [
        (
            "this build",
            config.page_url.clone(),
            sign_in_demo_member(&config.page_url).await,
        ),
        (
            "previous",
            previous_url.clone(),
            sign_in_demo_member(previous_url).await,
        ),
    ];
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut p50s: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for side in [0, 1, 1, 0, 0, 1] {
        let (name, url, cookie) = &sides[side];
        let mut f = closed(
            &Load::Get(format!("{url}/"), Some(cookie.clone())),
            CLIENTS,
            run,
        )
        .await;
        assert_eq!(f.errors(), "none", "{name}: the page failed");
        eprintln!(
            "    {name}: {:.0} requests/s, p50 {:.1} ms",
            f.answers_per_sec(),
            f.ms(0.5)
        );
        rates[side].push(f.answers_per_sec());
        p50s[side].push(f.ms(0.5));
    }
    let [this, previous] = rates.clone().map(median);
    let [this_p50, previous_p50] = p50s.map(median);
    let ratio = this / previous;
    writeln!(
        report,
        "## The signed-in bazaar page against `{commit}`\n\n\
         The demo member's bazaar page (`/`, signed in), {CLIENTS} clients, closed loop, {} s a run; this build's demo-store server and `{commit}`'s, each on its own database, on the same machine; runs alternate (this, previous, previous, this, this, previous); medians of three.\n\n\
         | build | requests/s (median) | p50 ms (median) | runs (requests/s) |\n|---|---:|---:|---|\n\
         | this build | {this:.0} | {this_p50:.1} | {} |\n\
         | `{commit}` | {previous:.0} | {previous_p50:.1} | {} |\n\n\
         This build / previous: {:.0}%.\n",
        run.as_secs(),
        runs_list(&rates[0]),
        runs_list(&rates[1]),
        ratio * 100.0
    )
    .unwrap();
    targets.push((
        format!(
            "signed-in bazaar page ≥ {:.0}% of `{commit}`'s requests/s (medians of three alternating runs)",
            AT_LEAST * 100.0
        ),
        format!("{:.0}% ({this:.0}/s vs {previous:.0}/s)", ratio * 100.0),
        ratio >= AT_LEAST,
    ));
}

fn runs_list(runs: &[f64]) -> String {
    runs.iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}
