//! The drop-time benchmark. `server/scripts/bench.sh` builds the release, starts a fresh
//! PostgreSQL and two release servers (one for the storm, one serving the demo store for the
//! page measurements), runs Lighthouse, then runs this, which:
//!
//! 1. measures the baseline in the same run: pgbench with the single-row conditional UPDATE;
//! 2. seeds signed-in members and a live drop, then storms the real redeem endpoint over HTTP,
//!    closed loop at 16/64/256 clients and open loop at 80% of the measured capacity (latency
//!    from each press's *scheduled* time, so a stalled server cannot hide its queue), for one hot
//!    reward and for a spread over 50 rewards, checking every invariant after each run, and
//!    the hot reward again as a reward for an audience (membership judged by the writer);
//! 3. the herd (`herd.rs`): thousands of open pages holding live-stock streams at a drop's
//!    opening, all re-reading the bazaar at once and a fifth pressing Redeem;
//! 4. the hashing storm (`hashing.rs`): sign-ups and sign-ins hammering the server's password
//!    hashing while a drop storm runs on it;
//! 5. insights (`insights.rs`): 100,000 members' simulated history imported, every member's
//!    scores computed while a drop storm runs, and the fit compared with `lifetimes`';
//! 6. reminders draining (`reminders.rs`): 50,000 reminder mails written and sent over SMTP
//!    while a drop storm runs on the same server;
//! 7. measures the bazaar page against a trivial handler on the same server, the hydrate
//!    bundle, the server's peak memory, and reads Lighthouse's report;
//! 8. with `BENCH_COMPARE=<commit>` (`compare.rs`), the signed-in bazaar page of this build
//!    against that commit's, three alternating runs each;
//!
//! and prints one markdown report with a targets table. A broken invariant exits 1.
//!
//! The load comes from many client addresses in 127.0.0.0/8 (`load::address`), as a crowd of
//! phones would: the server limits presses waiting, live-stock streams, sign-ups and sign-in
//! failures per client address, and one address for everything would measure those limits.
//! `BENCH_ONLY=herd,hashing,insights,reminders,pages` runs only those rows.
//!
//! Configuration comes from `BENCH_*` variables set by bench.sh, read once in `config.rs`;
//! nothing here is timed as a test, and nothing runs in the test command. The load generator is
//! in `load.rs`, the figures and the report's sections in `report.rs`; the rows are seeded by
//! the integration tests' own `seed.rs`, and the app's paths come from their `endpoints.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use sqlx::PgPool;

mod compare;
mod config;
mod hashing;
mod herd;
mod insights;
mod load;
mod reminders;
mod report;

// The app's paths and the seeding, shared with the integration tests (which use more of them).
#[expect(
    unused_imports,
    reason = "the integration tests use the rest of these paths"
)]
#[path = "../../tests/it/support/endpoints.rs"]
mod endpoints;
#[expect(
    dead_code,
    reason = "the integration tests use the rest of the seeding"
)]
#[path = "../../tests/it/support/seed.rs"]
mod seed;
// Reading the herd's live-stock streams, as the live-stock tests do.
#[path = "../../tests/it/support/events.rs"]
mod events;

use config::Config;
use load::{Load, closed, open, pgbench, sign_in_demo_member};
use report::{Target, machine, memory_mib};

/// Stock no run can exhaust, so the storm measures redemption, not sold-out answers.
const PLENTY: i32 = 1_000_000_000;

/// Members with plenty of points and a session each, made straight in the store (signing
/// thousands in would hash thousands of passwords): `<prefix><n>@example.com`.
async fn seed_members(pool: &PgPool, prefix: &str, count: usize) -> Vec<String> {
    futures::stream::iter(0..count)
        .map(|n| async move {
            let mut tx = pool.begin().await.expect("a transaction");
            let email = format!("{prefix}{n}@example.com");
            let name = format!("Bench member {n}");
            let id = seed::account(&mut *tx, &email, &name, "member").await;
            seed::give_points(&mut tx, id, 1_000_000_000, "Benchmark grant").await;
            let cookie = seed::session_for(&mut *tx, id).await;
            tx.commit().await.expect("commit");
            cookie
        })
        .buffer_unordered(16)
        .collect()
        .await
}

/// A live drop with `count` rewards of unlimited stock and no per-member limit, costing 1 point.
async fn seed_drop(pool: &PgPool, title: &str, count: usize) -> Vec<i64> {
    let now = Utc::now();
    let drop = seed::drop_window(
        pool,
        title,
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::hours(6),
    )
    .await;
    let mut items = Vec::new();
    for n in 0..count {
        let reward = seed::reward(pool, &format!("{title} reward {n}"), "sample", 1).await;
        items.push(seed::drop_item_limited(pool, drop, reward, PLENTY, PLENTY, PLENTY).await);
    }
    items
}

/// A hot reward for an audience every bench member is in (issue 25): the same storm as the hot
/// reward's, with the writer judging each press's membership in its transaction.
async fn seed_audience_item(pool: &PgPool) -> Vec<i64> {
    let items = seed_drop(pool, "Bench audience", 1).await;
    let audience: i64 = sqlx::query_scalar(
        r#"INSERT INTO audiences (name, rules)
           VALUES ('Every bench member', '{"tiers": ["bronze", "silver", "gold"], "languages": ["en", "es"]}')
           RETURNING id"#,
    )
    .fetch_one(pool)
    .await
    .expect("the audience");
    sqlx::query("UPDATE drop_items SET audience_id = $1 WHERE id = ANY($2)")
        .bind(audience)
        .bind(&items)
        .execute(pool)
        .await
        .expect("the audience's item");
    items
}

pub(crate) async fn check_invariants(pool: &PgPool, after: &str) {
    let broken = server::invariants::violations(pool)
        .await
        .expect("checking invariants");
    if !broken.is_empty() {
        eprintln!("INVARIANT VIOLATED after {after}: {broken:?}");
        std::process::exit(1);
    }
}

#[tokio::main]
async fn main() {
    let config = Config::from_env();
    let run = Duration::from_secs(config.seconds);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&config.database_url)
        .await
        .expect("connecting to the benchmark database");
    let baseline = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&config.baseline_url)
        .await
        .expect("connecting to the baseline database");
    let pg_version: String =
        sqlx::query_scalar("SELECT 'PostgreSQL ' || current_setting('server_version')")
            .fetch_one(&pool)
            .await
            .expect("the server version");
    let mut report = String::new();
    let mut targets: Vec<Target> = Vec::new();
    writeln!(
        report,
        "# Rewards Bazaar benchmark\n\n{}\n",
        machine(&pg_version)
    )
    .unwrap();

    let mut tps = BTreeMap::new();
    if config.only.is_none() {
        eprintln!("==> baseline: pgbench, single-row conditional UPDATE");
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS hot_row (id int PRIMARY KEY, remaining bigint NOT NULL)",
        )
        .execute(&baseline)
        .await
        .expect("the baseline table");
        sqlx::query("INSERT INTO hot_row VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
            .execute(&baseline)
            .await
            .expect("the baseline row");
        let client_counts: &[usize] = if config.quick { &[64] } else { &[16, 64, 256] };
        for &clients in client_counts {
            tps.insert(clients, pgbench(&config, &baseline, clients).await);
        }
    }

    eprintln!("==> seeding {} signed-in members", config.members);
    let cookies = seed_members(&pool, "bench", config.members).await;
    let hot = seed_drop(&pool, "Bench hot", 1).await;
    let spread = seed_drop(&pool, "Bench spread", 50).await;
    check_invariants(&pool, "seeding").await;

    if config.only.is_none()
        && storms(
            &config,
            &pool,
            &cookies,
            [&hot, &spread],
            &tps,
            &mut report,
            &mut targets,
        )
        .await
        .is_break()
    {
        print!("{report}");
        return;
    }
    if config.runs("herd") {
        let pressers = config.herd_pages.div_ceil(5);
        eprintln!("==> herd: seeding {pressers} more signed-in members");
        let members = seed_members(&pool, "herd", pressers).await;
        herd::herd(&config, &pool, &members, &mut report, &mut targets).await;
        check_invariants(&pool, "the herd").await;
    }
    if config.runs("hashing") {
        let load = Load::Redeem {
            base: config.storm_url.clone(),
            cookies: cookies.clone(),
            items: hot.clone(),
        };
        hashing::hashing(&config, &pool, &load, run, &mut report, &mut targets).await;
    }
    if config.runs("insights") {
        let load = Load::Redeem {
            base: config.storm_url.clone(),
            cookies: cookies.clone(),
            items: hot.clone(),
        };
        insights::insights(&config, &pool, &load, run, &mut report, &mut targets).await;
    }
    // Last: the outbox it fills is still draining as it ends.
    if config.runs("reminders") {
        let load = Load::Redeem {
            base: config.storm_url.clone(),
            cookies: cookies.clone(),
            items: hot.clone(),
        };
        reminders::reminders(&pool, &load, run, &mut report, &mut targets).await;
    }
    if config.runs("compare") {
        compare::signed_in_bazaar(&config, run, &mut report, &mut targets).await;
    }
    if config.runs("pages") {
        pages(&config, run, &mut report, &mut targets).await;
        report::front_end(&config, &mut report, &mut targets);
    }
    report::targets_table(&mut report, &mut targets);
    print!("{report}");
}

/// The storm table: closed and open loop on the hot reward and on the spread, then the
/// server's memory. `Break` after the hot reward in a `BENCH_QUICK` run.
async fn storms(
    config: &Config,
    pool: &PgPool,
    cookies: &[String],
    [hot, spread]: [&Vec<i64>; 2],
    tps: &BTreeMap<usize, f64>,
    report: &mut String,
    targets: &mut Vec<Target>,
) -> ControlFlow<()> {
    let run = Duration::from_secs(config.seconds);
    let client_counts: &[usize] = if config.quick { &[64] } else { &[16, 64, 256] };
    writeln!(
        report,
        "## Storm: redeem over HTTP ({} s per run, {} signed-in members, durable commits)\n",
        config.seconds, config.members
    )
    .unwrap();
    writeln!(report, "| run | clients / rate | redemptions/s | answers/s | p50 ms | p99 ms | p99.9 ms | errors | vs pgbench |").unwrap();
    writeln!(report, "|---|---|---:|---:|---:|---:|---:|---|---:|").unwrap();
    let mut capacity = BTreeMap::new();
    let mut tails = String::new();
    let drops = [("hot reward", hot), ("50 rewards", spread)];
    for (name, items) in &drops[..if config.quick { 1 } else { 2 }] {
        let name = *name;
        let load = Load::Redeem {
            base: config.storm_url.clone(),
            cookies: cookies.to_vec(),
            items: items.to_vec(),
        };
        for &clients in client_counts {
            eprintln!("==> storm: {name}, closed loop, {clients} clients");
            let mut f = closed(&load, clients, run).await;
            check_invariants(pool, &format!("{name} at {clients} clients")).await;
            let ratio = f.ok_per_sec() / tps[&clients];
            writeln!(
                report,
                "| {name}, closed | {clients} clients | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {ratio:.2}× ({:.0} TPS) |",
                f.ok_per_sec(),
                f.answers_per_sec(),
                f.ms(0.50),
                f.ms(0.99),
                f.ms(0.999),
                f.errors(),
                tps[&clients],
            )
            .unwrap();
            capacity.insert((name, clients), (f.ok_per_sec(), f.server_errors));
        }
        if name == "hot reward" {
            audience_storm(
                config,
                pool,
                cookies,
                run,
                report,
                targets,
                capacity[&(name, 64)].0,
            )
            .await;
        }
        let rate = (capacity[&(name, 64)].0 * 0.8).max(1.0);
        eprintln!("==> storm: {name}, open loop, {rate:.0}/s");
        let mut f = open(&load, rate, run).await;
        check_invariants(pool, &format!("{name} open loop")).await;
        let p99 = f.ms(0.99);
        writeln!(
            report,
            "| {name}, open | {rate:.0}/s (80% of 64-client) | {:.0} | {:.0} | {:.1} | {p99:.1} | {:.1} | {} | |",
            f.ok_per_sec(),
            f.answers_per_sec(),
            f.ms(0.50),
            f.ms(0.999),
            f.errors(),
        )
        .unwrap();
        tails.push_str(&f.breakdown(&format!("{name}, open")));
        targets.push((
            format!("{name}, open loop at 80% of capacity: p99 ≤ 250 ms, no 5xx"),
            format!("p99 {p99:.1} ms, {} 5xx", f.server_errors),
            p99 <= 250.0 && f.server_errors == 0,
        ));
        if config.quick {
            tail_table(report, &tails);
            return ControlFlow::Break(());
        }
    }
    tail_table(report, &tails);
    let (hot64, _) = capacity[&("hot reward", 64)];
    let (hot16, _) = capacity[&("hot reward", 16)];
    let (hot256, _) = capacity[&("hot reward", 256)];
    targets.insert(
        0,
        (
            "hot reward at 64 clients ≥ 5× pgbench at 64".into(),
            format!(
                "{:.2}× ({hot64:.0}/s vs {:.0} TPS)",
                hot64 / tps[&64],
                tps[&64]
            ),
            hot64 >= 5.0 * tps[&64],
        ),
    );
    targets.insert(
        1,
        (
            "hot reward at 256 clients ≥ 90% of our 16-client figure".into(),
            format!(
                "{:.0}% ({hot256:.0}/s vs {hot16:.0}/s)",
                100.0 * hot256 / hot16
            ),
            hot256 >= 0.9 * hot16,
        ),
    );
    let closed_5xx: u64 = capacity.values().map(|(_, e)| e).sum();
    targets.push((
        "no 5xx in the closed-loop storms".into(),
        format!("{closed_5xx} 5xx"),
        closed_5xx == 0,
    ));
    writeln!(
        report,
        "\nBaseline, same PostgreSQL, same run: pgbench `UPDATE hot_row SET remaining = remaining - 1 WHERE id = 1 AND remaining > 0` at 16 / 64 / 256 clients: {:.0} / {:.0} / {:.0} TPS. Every invariant (no oversell, balances = ledger = lots, each redemption paid once, each member's count of an item = their confirmed redemptions of it) held after every run.\n",
        tps[&16], tps[&64], tps[&256]
    )
    .unwrap();

    let (peak, now) = memory_mib(config.server_pid);
    writeln!(
        report,
        "Server memory after the storms: peak RSS {peak:.1} MiB, now {now:.1} MiB.\n"
    )
    .unwrap();
    targets.push((
        "server peak RSS ≤ 100 MB during the storm".into(),
        format!("{:.1} MB", peak * 1.048_576),
        peak * 1.048_576 <= 100.0,
    ));
    ControlFlow::Continue(())
}

/// The hot reward's 64-client storm on a reward for an audience, beside the hot reward's own
/// figure from the same run (`plain`, redemptions/s).
async fn audience_storm(
    config: &Config,
    pool: &PgPool,
    cookies: &[String],
    run: Duration,
    report: &mut String,
    targets: &mut Vec<Target>,
    plain: f64,
) {
    let items = seed_audience_item(pool).await;
    let load = Load::Redeem {
        base: config.storm_url.clone(),
        cookies: cookies.to_vec(),
        items,
    };
    eprintln!("==> storm: hot reward for an audience, closed loop, 64 clients");
    let mut f = closed(&load, 64, run).await;
    check_invariants(pool, "the audience's hot reward").await;
    writeln!(
        report,
        "| hot reward for an audience, closed | 64 clients | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {} | |",
        f.ok_per_sec(),
        f.answers_per_sec(),
        f.ms(0.50),
        f.ms(0.99),
        f.ms(0.999),
        f.errors(),
    )
    .unwrap();
    let ratio = f.ok_per_sec() / plain;
    targets.push((
        "hot reward for an audience at 64 clients ≥ 90% of the hot reward's redemptions/s (membership judged by the writer)".into(),
        format!("{:.0}% ({:.0}/s vs {plain:.0}/s), {} 5xx", ratio * 100.0, f.ok_per_sec(), f.server_errors),
        ratio >= 0.9 && f.server_errors == 0,
    ));
}

/// Where the open loop's time goes, from each settled press's `Server-Timing`.
fn tail_table(report: &mut String, rows: &str) {
    writeln!(
        report,
        "\nWhere the time goes (open loop; ms, means over the presses named; \"outside\" is the client's wait for one of its {} connections, HTTP, the session and account reads through the shared pool, and the answer):\n\n| presses | latency | in the line | batch statements | commit (WAL flush) | batch size | outside the writer |\n|---|---:|---:|---:|---:|---:|---:|\n{rows}",
        load::OPEN_CONNECTIONS
    )
    .unwrap();
}

/// The pages section: the bazaar page against a trivial handler on the demo store's server.
async fn pages(config: &Config, run: Duration, report: &mut String, targets: &mut Vec<Target>) {
    eprintln!("==> pages: the bazaar vs a trivial handler");
    writeln!(report, "## Pages (demo store, 64 clients, closed loop)\n").unwrap();
    writeln!(report, "| page | requests/s | p50 ms | p99 ms | errors |").unwrap();
    writeln!(report, "|---|---:|---:|---:|---|").unwrap();
    let mut rates = Vec::new();
    // Visitors get the bazaar from the server's one-second page cache. A session cookie that
    // names no signed-in session (well-formed, as after a sign-out) gets it too, once the
    // session is read: a stranger's made-up cookie cannot buy a render. A signed-in member's
    // page is rendered for them, with their balance, holdings, reminders and For you row.
    let member = sign_in_demo_member(&config.page_url).await;
    for (name, path, cookie) in [
        ("trivial handler `/healthz`", "/healthz", None),
        ("bazaar page `/`, visitors (page cache)", "/", None),
        (
            "bazaar page `/`, a session cookie naming no session (page cache)",
            "/",
            Some("bazaar_session=AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        ),
        ("bazaar page `/`, a signed-in member", "/", Some(member)),
    ] {
        let mut f = closed(
            &Load::Get(format!("{}{path}", config.page_url), cookie),
            64,
            run / 2,
        )
        .await;
        let per_sec = f.answers_per_sec();
        writeln!(
            report,
            "| {name} | {per_sec:.0} | {:.1} | {:.1} | {} |",
            f.ms(0.5),
            f.ms(0.99),
            f.errors()
        )
        .unwrap();
        rates.push(per_sec);
    }
    let ssr = rates[1] / rates[0];
    writeln!(
        report,
        "\nBazaar page / trivial handler: {:.0}% for visitors, {:.0}% with a cookie naming no session, {:.0}% for a signed-in member.\n",
        ssr * 100.0,
        rates[2] / rates[0] * 100.0,
        rates[3] / rates[0] * 100.0
    )
    .unwrap();
    targets.push((
        "SSR bazaar page ≥ 50% of the trivial handler's requests/s (visitors)".into(),
        format!("{:.0}%", ssr * 100.0),
        ssr >= 0.5,
    ));
}
