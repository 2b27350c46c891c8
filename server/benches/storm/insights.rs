//! Insights at a store's scale: 100,000 members and about a million purchases, simulated from
//! known BG/NBD and Gamma-Gamma parameters with a fixed seed, imported through the import
//! endpoint, then every member's scores computed by the storm server while a drop storm runs on
//! it. Measured in the same run: the import rate, the time to compute all scores, the time to
//! fit, the storm's p99 alone and while scores are computed, and the `lifetimes` Python package
//! (pinned, in its own virtual environment made by bench.sh) fitting the same summary.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use app::insights::ssr::bg_nbd::{BgNbd, History};
use app::insights::ssr::gamma_gamma::{GammaGamma, Spend};
use app::insights::ssr::scores::purchase_days;
use app::insights::ssr::summary::summarize;
use chrono::{Duration as Days, Utc};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use sqlx::PgPool;

use crate::config::Config;
use crate::load::{Load, closed};
use crate::report::{Figures, Target};

/// Members in the simulated store.
pub const MEMBERS: i64 = 100_000;
/// Purchases per import call (the endpoint's limit).
const BATCH: usize = 5_000;
const STORM_CLIENTS: usize = 64;
/// Warm-up storms at most, and how close two in a row must be (a share of the faster) before
/// the measured storms begin.
const WARM_UPS_MAX: usize = 6;
const WARM_AGREE: f64 = 0.15;

/// As the reminders row: the storm's p99 while scores are computed within this of its p99 alone.
const TARGET_RATIO: f64 = 1.25;
/// What the store is simulated from: weeks, dollars.
const TRUE_BG: BgNbd = BgNbd {
    r: 0.75,
    alpha: 4.0,
    a: 0.6,
    b: 4.0,
};
const TRUE_GG: GammaGamma = GammaGamma {
    p: 6.0,
    q: 4.0,
    gamma: 15.0,
};

/// One member's purchases: (days ago, cents). Members join over the first year of two.
fn simulate(rng: &mut impl Rng) -> Vec<(i64, i64)> {
    let rate = Gamma::new(TRUE_BG.r, 1.0 / TRUE_BG.alpha)
        .unwrap()
        .sample(rng);
    let dropout = Beta::new(TRUE_BG.a, TRUE_BG.b).unwrap().sample(rng);
    let nu = Gamma::new(TRUE_GG.q, 1.0 / TRUE_GG.gamma)
        .unwrap()
        .sample(rng);
    let amount = Gamma::new(TRUE_GG.p, 1.0 / nu).unwrap();
    let horizon = 104.0;
    let mut week = rng.random_range(0.0..52.0);
    let mut purchases = Vec::new();
    loop {
        let days_ago = ((horizon - week) * 7.0) as i64;
        purchases.push((
            days_ago,
            ((amount.sample(rng) * 100.0).round() as i64).max(1),
        ));
        if purchases.len() > 1 && rng.random::<f64>() < dropout {
            break;
        }
        week += Exp::new(rate).unwrap().sample(rng);
        if week >= horizon - 1.0 / 7.0 {
            break;
        }
    }
    purchases
}

/// Adds one storm's figures to the row's pooled ones (their run times add up too).
fn pool_into(pooled: &mut Figures, run: Figures) {
    pooled.elapsed += run.elapsed;
    pooled.merge(run);
}

/// Staff's "Compute scores now", pressed again as soon as it answers until `run` is over (at
/// least once): the runs' times.
async fn compute_again_and_again(base: String, cookie: String, run: Duration) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let mut runs = Vec::new();
    let until = Instant::now() + run;
    while runs.is_empty() || Instant::now() < until {
        let began = Instant::now();
        let reply = http
            .post(format!(
                "{base}{}",
                <crate::endpoints::RecomputeScores as crate::endpoints::ServerFn>::PATH
            ))
            .header("origin", &base)
            .header("accept", "application/json")
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .expect("computing scores answers");
        assert!(reply.status().is_success(), "compute: {}", reply.status());
        runs.push(began.elapsed());
    }
    runs
}

/// The lifetimes package's fit of the same summary: parameters and seconds.
#[derive(serde::Deserialize)]
struct Lifetimes {
    bg: HashMap<String, f64>,
    gg: HashMap<String, f64>,
}

pub async fn insights(
    config: &Config,
    pool: &PgPool,
    load: &Load,
    run: Duration,
    report: &mut String,
    targets: &mut Vec<Target>,
) {
    eprintln!("==> insights: {MEMBERS} members with two years of purchases, simulated");
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, created_at)
         SELECT 'history-' || g || '@example.com', 'History ' || g, now() - interval '2 years'
         FROM generate_series(1, $1) g RETURNING id",
    )
    .bind(MEMBERS)
    .fetch_all(pool)
    .await
    .expect("the members");
    let mut rng = rand::rngs::StdRng::seed_from_u64(2005);
    let now = Utc::now();
    // (member, n, when, cents): written out as NDJSON one batch at a time.
    let mut rows = Vec::new();
    for id in &ids {
        for (n, (days_ago, cents)) in simulate(&mut rng).into_iter().enumerate() {
            let at = now - Days::days(days_ago) - Days::minutes(rng.random_range(0..600));
            rows.push((*id, n, at, cents));
        }
    }
    let purchases = rows.len();

    eprintln!("==> insights: importing {purchases} purchases, {BATCH} per call");
    let key = server::api::create_api_key(pool, "Bench history", "history", &["import"], None)
        .await
        .expect("an import key");
    let http = reqwest::Client::new();
    let began = Instant::now();
    for batch in rows.chunks(BATCH) {
        let body: Vec<String> = batch
            .iter()
            .map(|(id, n, at, cents)| {
                format!(
                    r#"{{"member_id":{id},"external_id":"h-{id}-{n}","amount":"{}.{:02}","currency":"USD","purchased_at":"{}"}}"#,
                    cents / 100,
                    cents % 100,
                    at.to_rfc3339()
                )
            })
            .collect();
        let reply = http
            .post(format!("{}/api/v1/purchases/import", config.storm_url))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/x-ndjson")
            .body(body.join("\n"))
            .send()
            .await
            .expect("the import answers");
        assert!(reply.status().is_success(), "import: {}", reply.status());
    }
    let import_secs = began.elapsed().as_secs_f64();
    drop(rows);

    // A store imports its history once, long before a drop. Right after 800,000 rows the
    // checkpointer and autovacuum are still writing them out, and whichever storm came first
    // would pay for that: the sixth run's "while scoring" storm (second) lost a quarter of its
    // throughput while the scoring run waited for it (README, the insights row).
    eprintln!("==> insights: letting the import settle (VACUUM ANALYZE, CHECKPOINT)");
    for settle in ["VACUUM (ANALYZE)", "CHECKPOINT"] {
        sqlx::query(settle)
            .execute(pool)
            .await
            .expect("the database settles");
    }

    // Staff press "Compute scores now" again and again while the storm runs, so the whole storm
    // meets the computation; the first run's time is the figure. The storm alone and the storm
    // while scoring run in the order alone, scoring, scoring, alone, and each side's two runs
    // are pooled: a drift in the machine or the database over the row (tables growing, the
    // previous storm's autovacuum) weighs the same on both sides. Each run's own figures and
    // where its slowest presses' time went go to the log, beside the server's log of the scores
    // run's steps, to see which step meets the storm.
    //
    // Warm-up storms, measured by nobody, until two in a row agree within 15% on throughput
    // (at most six): right after the import the database is still settling. The tenth run
    // (README) showed it: its storms in order made 1,130/s (alone), 719/s (scoring), 1,913/s
    // (scoring) and 1,895/s (alone), the scores run only waiting through the second; with one
    // warm-up storm the eleventh made 1,276/s (warm-up), 726/s (alone), 2,784/s, 2,518/s and
    // 2,839/s. The slow spell lasts about two storms whatever runs beside them.
    let mut previous: Option<f64> = None;
    for n in 1..=WARM_UPS_MAX {
        let mut warm = closed(load, STORM_CLIENTS, run).await;
        let rate = warm.ok_per_sec();
        eprintln!(
            "==> insights: warm-up storm {n}, not measured: {rate:.0} redemptions/s, p50 {:.1} ms, p99 {:.1} ms ({})",
            warm.ms(0.50),
            warm.ms(0.99),
            Utc::now().format("%H:%M:%S%.3f")
        );
        crate::check_invariants(pool, "the insights row's warm-up").await;
        if previous.is_some_and(|p| (rate - p).abs() <= WARM_AGREE * p.max(rate)) {
            break;
        }
        previous = Some(rate);
    }
    let staff = crate::seed::account(pool, "insights-staff@example.com", "Staff", "staff").await;
    let cookie = crate::seed::session_for(pool, staff).await;
    let mut alone = Figures::default();
    let mut during = Figures::default();
    let mut runs = Vec::new();
    for (n, scoring) in [false, true, true, false].into_iter().enumerate() {
        let side = if scoring { "while scoring" } else { "alone" };
        eprintln!(
            "==> insights: hot reward, closed loop, {STORM_CLIENTS} clients, {side} (run {} of 4, {})",
            n + 1,
            Utc::now().format("%H:%M:%S%.3f")
        );
        let computing = scoring.then(|| {
            tokio::spawn(compute_again_and_again(
                config.storm_url.clone(),
                cookie.clone(),
                run,
            ))
        });
        let mut figures = closed(load, STORM_CLIENTS, run).await;
        eprintln!(
            "    {side}: {:.0} redemptions/s, p50 {:.1} ms, p99 {:.1} ms, storm over at {}\n{}",
            figures.ok_per_sec(),
            figures.ms(0.50),
            figures.ms(0.99),
            Utc::now().format("%H:%M:%S%.3f"),
            figures.breakdown(side)
        );
        if let Some(computing) = computing {
            runs.extend(computing.await.expect("the computing task"));
            eprintln!(
                "    scores computed at {}",
                Utc::now().format("%H:%M:%S%.3f")
            );
        }
        crate::check_invariants(pool, "the insights row").await;
        pool_into(if scoring { &mut during } else { &mut alone }, figures);
    }
    let compute_secs = runs[0].as_secs_f64();

    // The fit alone, in this process, on the same summary the server fitted; and lifetimes on
    // it, from a file.
    eprintln!("==> insights: fitting the summary here, and with lifetimes");
    let store_zone: String = sqlx::query_scalar("SELECT time_zone FROM store_settings")
        .fetch_one(pool)
        .await
        .expect("the store's zone");
    let members = purchase_days(pool, &store_zone, Utc::now())
        .await
        .expect("the purchase days");
    let today = Utc::now().date_naive();
    let mut triples: HashMap<(u64, u64, u64), u64> = HashMap::new();
    let mut spends: HashMap<(u64, u64), u64> = HashMap::new();
    for m in &members {
        let Some((h, s)) = summarize(&m.days, today) else {
            continue;
        };
        let days = |w: f64| (w * 7.0).round() as u64;
        *triples
            .entry((h.x as u64, days(h.t_x), days(h.age)))
            .or_default() += 1;
        if s.x > 0.0 && s.mean > 0.0 {
            *spends
                .entry((s.x as u64, (s.mean * 100.0).round() as u64))
                .or_default() += 1;
        }
    }
    let histories: Vec<(History, u64)> = triples
        .iter()
        .map(|((x, t_x, age), n)| {
            let h = History {
                x: *x as f64,
                t_x: *t_x as f64 / 7.0,
                age: *age as f64 / 7.0,
            };
            (h, *n)
        })
        .collect();
    let spend_rows: Vec<(Spend, u64)> = spends
        .iter()
        .map(|((x, cents), n)| {
            let s = Spend {
                x: *x as f64,
                mean: *cents as f64 / 100.0,
            };
            (s, *n)
        })
        .collect();
    let began = Instant::now();
    let bg = BgNbd::fit(&histories);
    let gg = GammaGamma::fit(&spend_rows);
    let our_fit = began.elapsed().as_secs_f64();

    let dir = std::env::temp_dir().join(format!("bazaar-insights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for the summary");
    let mut csv = String::from("frequency,recency,T,weight\n");
    for (h, n) in &histories {
        writeln!(csv, "{},{},{},{n}", h.x, h.t_x, h.age).unwrap();
    }
    std::fs::write(dir.join("summary.csv"), csv).expect("the summary");
    let mut csv = String::from("frequency,monetary_value,weight\n");
    for (s, n) in &spend_rows {
        writeln!(csv, "{},{},{n}", s.x, s.mean).unwrap();
    }
    std::fs::write(dir.join("spend.csv"), csv).expect("the spend summary");
    let lifetimes = std::process::Command::new(&config.lifetimes_python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/storm/lifetimes_fit.py"
        ))
        .arg(&dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<Lifetimes>(&o.stdout).ok());
    let _ = std::fs::remove_dir_all(&dir);

    writeln!(
        report,
        "## Insights at a store's scale\n\n\
         {MEMBERS} members and {purchases} purchases over two years, simulated from BG/NBD (r {}, α {}, a {}, b {}) and Gamma-Gamma (p {}, q {}, γ {}) with a fixed seed, imported through `POST /api/v1/purchases/import` ({BATCH} per call). Then staff's \"Compute scores now\" on the storm server (every member's day-bucketed summary, both fits, RFM and forecasts, written 2,000 rows per statement), again and again while the hot reward is stormed, closed loop at {STORM_CLIENTS} clients for {} s; after the import has settled (`VACUUM ANALYZE`, `CHECKPOINT`) and unmeasured warm-up storms until two in a row agree within 15% (at most six), the storm alone and the storm while scoring run in the order alone, scoring, scoring, alone, each side's two runs pooled.\n",
        TRUE_BG.r, TRUE_BG.alpha, TRUE_BG.a, TRUE_BG.b, TRUE_GG.p, TRUE_GG.q, TRUE_GG.gamma,
        run.as_secs()
    )
    .unwrap();
    writeln!(
        report,
        "| figure | value |\n|---|---:|\n\
         | import: {purchases} purchases | {import_secs:.1} s ({:.0} purchases/s) |\n\
         | computing every member's scores (the server, first run) | {compute_secs:.1} s ({} runs during the two storms) |\n\
         | distinct (x, t_x, T) triples fitted | {} |\n\
         | fitting BG/NBD and Gamma-Gamma (this process, release) | {:.2} s |\n",
        purchases as f64 / import_secs,
        runs.len(),
        histories.len(),
        our_fit
    )
    .unwrap();
    writeln!(
        report,
        "| storm | redemptions/s | p50 ms | p99 ms | p99.9 ms | errors |\n|---|---:|---:|---:|---:|---|"
    )
    .unwrap();
    for (name, f) in [
        ("alone", &mut alone),
        ("while scores are computed", &mut during),
    ] {
        writeln!(
            report,
            "| {name} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            f.ok_per_sec(),
            f.ms(0.5),
            f.ms(0.99),
            f.ms(0.999),
            f.errors()
        )
        .unwrap();
    }
    let lt = |m: &HashMap<String, f64>, k: &str| {
        m.get(k).map_or("–".to_owned(), |v| format!("{v:.4}"))
    };
    let (lt_bg, lt_gg) = lifetimes
        .as_ref()
        .map_or((HashMap::new(), HashMap::new()), |l| {
            (l.bg.clone(), l.gg.clone())
        });
    writeln!(
        report,
        "\n| parameters (weeks) | simulated from | the portal | lifetimes 0.11.3 |\n|---|---:|---:|---:|\n\
         | r | {} | {:.4} | {} |\n| α | {} | {:.4} | {} |\n| a | {} | {:.4} | {} |\n| b | {} | {:.4} | {} |\n\
         | p | {} | {:.4} | {} |\n| q | {} | {:.4} | {} |\n| γ | {} | {:.4} | {} |\n\
         | fit time, s | | {our_fit:.2} | {} |\n",
        TRUE_BG.r, bg.model.r, lt(&lt_bg, "r"),
        TRUE_BG.alpha, bg.model.alpha, lt(&lt_bg, "alpha"),
        TRUE_BG.a, bg.model.a, lt(&lt_bg, "a"),
        TRUE_BG.b, bg.model.b, lt(&lt_bg, "b"),
        TRUE_GG.p, gg.model.p, lt(&lt_gg, "p"),
        TRUE_GG.q, gg.model.q, lt(&lt_gg, "q"),
        TRUE_GG.gamma, gg.model.gamma, lt(&lt_gg, "v"),
        lifetimes.as_ref().map_or("lifetimes did not run".to_owned(), |l| {
            format!("{:.2}", l.bg.get("seconds").unwrap_or(&0.0) + l.gg.get("seconds").unwrap_or(&0.0))
        }),
    )
    .unwrap();
    if let Some(l) = &lifetimes {
        let theirs = l.bg.get("seconds").unwrap_or(&0.0) + l.gg.get("seconds").unwrap_or(&0.0);
        writeln!(
            report,
            "Our fit took {:.2}× lifetimes' time on the same summary.\n",
            our_fit / theirs.max(1e-9)
        )
        .unwrap();
    }
    let ratio = during.ms(0.99) / alone.ms(0.99).max(0.001);
    targets.push((
        format!(
            "insights: hot-reward p99 within {TARGET_RATIO}× of the storm alone while every member's scores are computed, no 5xx"
        ),
        format!(
            "p99 {:.1} ms vs {:.1} ms alone ({ratio:.2}×), {} 5xx; scores for {MEMBERS} members in {compute_secs:.1} s",
            during.ms(0.99),
            alone.ms(0.99),
            during.server_errors,
        ),
        ratio <= TARGET_RATIO && during.server_errors == 0,
    ));
}
