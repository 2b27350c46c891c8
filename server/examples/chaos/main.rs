//! The fault-injection ("chaos") test of redemption, issue 20 item 8. `server/scripts/chaos.sh`
//! builds the release, starts a throwaway PostgreSQL with durable commits and runs this, which
//! for each run (each drawn from a printed seed, so it can be replayed with `CHAOS_SEED`):
//!
//! 1. makes a fresh database, migrates it and seeds a live drop (1–3 items, quantity 20–200,
//!    per-member limit 1–2) and a few hundred signed-in members, one in five short of points;
//! 2. starts two release servers on it;
//! 3. has 64–200 concurrent clients press Redeem, half in bursts, each press retried with its
//!    one idempotency key, alternating servers, until it gets a code or a refusal;
//! 4. meanwhile kills one server with SIGKILL (and starts it again on the same port), in two
//!    runs out of three also PostgreSQL, postmaster and backends, mostly aimed at the moment a
//!    redemption batch commits (watching `pg_stat_activity`), and starts it again with pg_ctl;
//! 5. then checks every acknowledgement against the database, replays every acknowledged key,
//!    and checks the invariants (`server::invariants`) and the per-member limits;
//!
//! and prints a table (also written to target/chaos/report.md). Any violation exits 1.
//!
//! `CHAOS_RUNS` (default 50), `CHAOS_SECONDS` per run (default 10), `CHAOS_QUICK=1` (3 runs of 5
//! seconds), `CHAOS_SEED` (the first run's seed; run n uses seed + n).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use futures::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};

mod clients;
mod cluster;
mod config;
mod plan;
mod verify;

// The app's paths and the seeding, shared with the integration tests and the storm benchmark.
#[allow(unused_imports)]
#[path = "../../tests/it/support/endpoints.rs"]
mod endpoints;
#[allow(dead_code)]
#[path = "../../tests/it/support/seed.rs"]
mod seed;

use clients::{Outcome, Tally, Target};
use cluster::{Postgres, Servers, Snapshot};
use config::Config;
use plan::{Aim, FaultKind, Plan};

/// What one fault did.
struct Struck {
    what: String,
    /// When the kill landed and when the process was back, in ms into the run.
    at_ms: u64,
    up_ms: u64,
    /// PostgreSQL kills: what was in flight.
    seen: Option<Snapshot>,
}

struct RunResult {
    run: usize,
    seed: u64,
    plan: String,
    struck: Vec<Struck>,
    presses: usize,
    acks: usize,
    refused: usize,
    tally: Tally,
    replays: usize,
    error_lines: Vec<String>,
    violations: Vec<String>,
    database: String,
    seconds: f64,
}

/// A connection to the cluster's `postgres` database, waiting while it restarts.
async fn admin(config: &Config) -> Result<PgConnection> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match PgConnection::connect(&config.database_url("postgres")).await {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn pool(url: &str) -> Result<PgPool> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await
        {
            Ok(p) => return Ok(p),
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The drop and its members, made straight in the store. Returns the items' ids and each
/// member's (id, session cookie), in the plan's order.
async fn seed_run(pool: &PgPool, plan: &Plan) -> (Vec<i64>, Vec<(i64, String)>) {
    seed::store(pool).await;
    let now = Utc::now();
    let drop = seed::drop_window(
        pool,
        "Chaos drop",
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::hours(6),
    )
    .await;
    let mut items = Vec::new();
    for (n, item) in plan.items.iter().enumerate() {
        let category = ["gift", "sample", "experience"][n % 3];
        let reward = seed::reward(pool, &format!("Chaos reward {n}"), category, item.cost).await;
        items.push(
            seed::drop_item_limited(pool, drop, reward, item.quantity, item.quantity, item.limit)
                .await,
        );
    }
    let mut members: Vec<(usize, i64, String)> =
        futures::stream::iter(plan.members.iter().enumerate())
            .map(|(n, &points)| async move {
                let mut tx = pool.begin().await.expect("a transaction");
                let id = seed::account(
                    &mut *tx,
                    &format!("chaos{n}@example.com"),
                    &format!("Chaos member {n}"),
                    "member",
                )
                .await;
                if points > 0 {
                    seed::give_points(&mut tx, id, points, "Chaos grant").await;
                }
                let cookie = seed::session_for(&mut *tx, id).await;
                tx.commit().await.expect("commit");
                (n, id, cookie)
            })
            .buffer_unordered(16)
            .collect()
            .await;
    members.sort_by_key(|m| m.0);
    (
        items,
        members.into_iter().map(|(_, id, c)| (id, c)).collect(),
    )
}

async fn strike(
    fault: plan::Fault,
    pg: Arc<Postgres>,
    servers: Arc<Servers>,
    db_url: String,
    begun: Instant,
) -> Result<Struck> {
    tokio::time::sleep_until((begun + Duration::from_millis(fault.at_ms)).into()).await;
    let ms = || begun.elapsed().as_millis() as u64;
    match fault.kind {
        FaultKind::KillServer(n) => {
            servers.kill(n).await;
            let at_ms = ms();
            tokio::time::sleep(Duration::from_millis(fault.down_ms)).await;
            servers.start(n, begun).await?;
            Ok(Struck {
                what: format!("server {n}"),
                at_ms,
                up_ms: ms(),
                seen: None,
            })
        }
        FaultKind::KillPostgres(aim) => {
            let seen = pg
                .kill(&db_url, aim == Aim::Commit, Duration::from_millis(1500))
                .await;
            let at_ms = ms();
            tokio::time::sleep(Duration::from_millis(fault.down_ms)).await;
            pg.start().await?;
            Ok(Struck {
                what: format!(
                    "PostgreSQL{}",
                    if aim == Aim::Commit { " (aimed)" } else { "" }
                ),
                at_ms,
                up_ms: ms(),
                seen: Some(seen),
            })
        }
    }
}

/// ERROR lines and panics in a server's log (ANSI colours stripped).
fn error_lines(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
        .lines()
        .filter(|l| l.contains(" ERROR ") || l.contains("panicked"))
        .map(str::to_owned)
        .collect()
}

async fn run_one(config: &Config, pg: &Arc<Postgres>, run: usize, seed: u64) -> Result<RunResult> {
    let plan = Plan::new(seed, config.seconds);
    let described = plan.describe();
    eprintln!("==> run {run}, seed {seed}: {described}");
    let database = format!("chaos_{seed}");
    let db_url = config.database_url(&database);
    let log_dir = config.out.join(format!("run-{run}-seed-{seed}"));
    std::fs::create_dir_all(&log_dir)?;
    {
        let mut admin = admin(config).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {database}"))
            .execute(&mut admin)
            .await?;
    }
    let setup = pool(&db_url).await?;
    server::migrator().run(&setup).await.context("migrating")?;
    let (items, members) = seed_run(&setup, &plan).await;
    setup.close().await;

    let servers = Arc::new(Servers::new(config, &db_url, &log_dir));
    let begun_setup = Instant::now();
    for n in 0..2 {
        servers.start(n, begun_setup).await?;
    }
    let target = Target {
        bases: [
            format!("http://127.0.0.1:{}", servers.port(0).await),
            format!("http://127.0.0.1:{}", servers.port(1).await),
        ],
        members: Arc::new(members),
        items: Arc::new(items),
    };

    let begun = Instant::now();
    let strikes: Vec<_> = plan
        .faults
        .iter()
        .map(|&f| {
            tokio::spawn(strike(
                f,
                pg.clone(),
                servers.clone(),
                db_url.clone(),
                begun,
            ))
        })
        .collect();
    let presses = plan.intents.len();
    let (done, tally) = clients::run(&target, plan.intents.clone(), plan.clients, begun).await;
    let mut violations = Vec::new();
    let mut struck = Vec::new();
    for s in strikes {
        match s.await? {
            Ok(s) => struck.push(s),
            Err(e) => violations.push(format!("a fault could not be recovered from: {e:#}")),
        }
    }
    let seconds = begun.elapsed().as_secs_f64();
    eprintln!(
        "    clients done after {seconds:.1} s; {}",
        struck
            .iter()
            .map(|s| format!(
                "{} killed at {} ms{} up at {} ms",
                s.what,
                s.at_ms,
                s.seen
                    .map(|x| format!(" ({}, {x:?})", x.label()))
                    .unwrap_or_default(),
                s.up_ms
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );

    // Back up for the checks: PostgreSQL and both servers. A server that exited without being
    // killed is a finding.
    if !pg.is_up() {
        violations.push("PostgreSQL was down after the run".into());
        pg.start().await?;
    }
    for n in 0..2 {
        if let Some(how) = servers.exited(n).await {
            violations.push(format!(
                "server {n} exited without being killed ({how}); see {}",
                servers.log_path(n).display()
            ));
            servers.kill(n).await;
            servers.start(n, begun).await?;
        }
    }

    let check_pool = pool(&db_url).await?;
    let checked = verify::check(&check_pool, &target, &done).await;
    violations.extend(checked.violations);
    check_pool.close().await;
    servers.stop_all().await;

    let mut error_lines = Vec::new();
    for n in 0..2 {
        error_lines.extend(
            error_lines_of(&servers, n)
                .into_iter()
                .map(|l| format!("server {n}: {l}")),
        );
    }
    if violations.is_empty() {
        let mut admin = admin(config).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    let acks = done
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Ack(_)))
        .count();
    let refused = done
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Refused(_)))
        .count();
    let result = RunResult {
        run,
        seed,
        plan: described,
        struck,
        presses,
        acks,
        refused,
        tally,
        replays: checked.replays,
        error_lines,
        violations,
        database,
        seconds,
    };
    eprintln!("    {} ({:.1} s under load)", row(&result), result.seconds);
    for v in &result.violations {
        eprintln!("    VIOLATION: {v}");
    }
    Ok(result)
}

fn error_lines_of(servers: &Servers, n: usize) -> Vec<String> {
    error_lines(&servers.log_path(n))
}

fn faults_cell(r: &RunResult) -> String {
    r.struck
        .iter()
        .map(|s| format!("{} kill@{} (up@{})", s.what, s.at_ms, s.up_ms))
        .collect::<Vec<_>>()
        .join("; ")
}

fn hit_cell(r: &RunResult) -> String {
    let pg: Vec<&Struck> = r.struck.iter().filter(|s| s.seen.is_some()).collect();
    if pg.is_empty() {
        return "–".into();
    }
    pg.iter()
        .map(|s| {
            let seen = s.seen.unwrap_or_default();
            format!(
                "{} (xacts {}, batches {}, committing {})",
                seen.label(),
                seen.open_xacts,
                seen.open_batches,
                seen.committing
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn row(r: &RunResult) -> String {
    let t = &r.tally;
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} / {} / {} | {} | {} | {} |",
        r.run,
        r.seed,
        faults_cell(r),
        hit_cell(r),
        r.presses,
        r.acks,
        r.refused,
        t.requests.saturating_sub(r.presses as u64),
        t.status(429),
        t.status(503),
        t.status_range(500..=599) - t.status(503),
        t.connection_errors + t.timeouts,
        t.odd_count,
        r.error_lines.len(),
        r.violations.len(),
    )
}

const HEADER: &str = "| run | seed | faults (ms into the run) | PostgreSQL kill landed on | presses | acks | refused | retries | 429 / 503 / other 5xx / conn. errors | odd answers | server ERROR lines | violations |\n|---:|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|";

fn report(config: &Config, pg_version: &str, results: &[RunResult], wall: Duration) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "# Rewards Bazaar chaos test\n\n{} · {pg_version} · {} run(s) of {} s · first seed {} · {:.0} s wall\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        results.len(),
        config.seconds,
        config.seed,
        wall.as_secs_f64()
    )
    .unwrap();
    writeln!(s, "{HEADER}").unwrap();
    for r in results {
        writeln!(s, "{}", row(r)).unwrap();
    }
    let pg_kills: Vec<&Struck> = results
        .iter()
        .flat_map(|r| &r.struck)
        .filter(|s| s.seen.is_some())
        .collect();
    let on_batch = pg_kills
        .iter()
        .filter(|s| s.seen.is_some_and(|x| x.hit_batch()))
        .count();
    let on_commit = pg_kills
        .iter()
        .filter(|s| s.seen.is_some_and(|x| x.committing > 0))
        .count();
    let on_xact = pg_kills
        .iter()
        .filter(|s| s.seen.is_some_and(|x| x.open_xacts > 0))
        .count();
    let server_kills: usize = results
        .iter()
        .flat_map(|r| &r.struck)
        .filter(|s| s.seen.is_none())
        .count();
    let total = |f: fn(&RunResult) -> usize| results.iter().map(f).sum::<usize>();
    let violations = total(|r| r.violations.len());
    writeln!(
        s,
        "\nTotals: {} presses, {} acknowledged, {} refused, {} replays of acknowledged keys; {server_kills} server kills; {} PostgreSQL kills, {on_xact} with a transaction holding an xid open, {on_batch} on an open redemption batch, {on_commit} of them during its COMMIT; {} server ERROR lines; **{violations} violation(s)**.\n",
        total(|r| r.presses),
        total(|r| r.acks),
        total(|r| r.refused),
        total(|r| r.replays),
        pg_kills.len(),
        total(|r| r.error_lines.len()),
    )
    .unwrap();
    writeln!(
        s,
        "Replay one run: `CHAOS_SEED=<seed> CHAOS_RUNS=1 CHAOS_SECONDS={} server/scripts/chaos.sh`.\n",
        config.seconds
    )
    .unwrap();
    for r in results {
        if r.violations.is_empty() && r.error_lines.is_empty() && r.tally.odd.is_empty() {
            continue;
        }
        writeln!(s, "## Run {} (seed {}): {}\n", r.run, r.seed, r.plan).unwrap();
        if !r.violations.is_empty() {
            writeln!(s, "Database kept for inspection: `{}`.\n", r.database).unwrap();
        }
        for v in r.violations.iter().take(30) {
            writeln!(s, "- VIOLATION: {v}").unwrap();
        }
        if r.violations.len() > 30 {
            writeln!(s, "- … {} more", r.violations.len() - 30).unwrap();
        }
        for o in &r.tally.odd {
            writeln!(s, "- odd answer: {o}").unwrap();
        }
        for l in r.error_lines.iter().take(10) {
            writeln!(s, "- log: `{}`", l.chars().take(400).collect::<String>()).unwrap();
        }
        if r.error_lines.len() > 10 {
            writeln!(s, "- … {} more ERROR lines", r.error_lines.len() - 10).unwrap();
        }
        writeln!(s).unwrap();
    }
    s
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::from_env();
    std::fs::create_dir_all(&config.out).expect("the output folder");
    let pg = Arc::new(Postgres::new(&config).expect("the cluster"));
    let pg_version: String = match admin(&config).await {
        Ok(mut c) => sqlx::query_scalar("SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit')")
            .fetch_one(&mut c)
            .await
            .unwrap_or_default(),
        Err(e) => {
            eprintln!("cannot reach PostgreSQL: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    eprintln!(
        "==> chaos: {} run(s) of {} s from seed {} on {pg_version}",
        config.runs, config.seconds, config.seed
    );
    let began = Instant::now();
    let mut results = Vec::new();
    let mut failed = false;
    for run in 1..=config.runs {
        let seed = config.seed + (run as u64 - 1);
        match run_one(&config, &pg, run, seed).await {
            Ok(r) => {
                failed |= !r.violations.is_empty();
                results.push(r);
            }
            Err(e) => {
                eprintln!("run {run} (seed {seed}) could not be carried out: {e:#}");
                failed = true;
                break;
            }
        }
        // The report so far, so a long series interrupted still leaves its table.
        let text = report(&config, &pg_version, &results, began.elapsed());
        let _ = std::fs::write(config.out.join("report.md"), &text);
    }
    let text = report(&config, &pg_version, &results, began.elapsed());
    let _ = std::fs::write(config.out.join("report.md"), &text);
    print!("{text}");
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
