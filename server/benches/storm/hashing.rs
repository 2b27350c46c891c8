//! The hashing storm: sign-ups with fresh emails and sign-ins with unknown emails (each costs an
//! argon2 hash, bounded on the server to its hashing slots) hammer the storm server while a
//! drop storm runs on it. Measured: the storm's latency with and without the hammering, in the
//! same run, and every sign-up and sign-in answer by kind.
//!
//! The hammer comes from many client addresses so that the per-address limits (20 sign-ups an
//! hour, 30 sign-in failures in 15 minutes) are not what is measured: each sign-up client has
//! its own address, and a sign-in client moves to a fresh one every `SIGN_INS_PER_ADDRESS`
//! attempts (an attempt refused as overloaded still counts as a failure for its address).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::config::Config;
use crate::endpoints::{ServerFn, SignIn, SignUp};
use crate::load::{Load, address, block, client_from, closed, post_form};
use crate::report::{Figures, Target};

/// Sign-up clients and sign-in clients, each in a closed loop.
pub const SIGN_UP_CLIENTS: usize = 300;
pub const SIGN_IN_CLIENTS: usize = 300;
/// Sign-in attempts from one address before its client moves on (the server allows 30
/// failures per address in 15 minutes).
const SIGN_INS_PER_ADDRESS: usize = 20;
/// Storm clients (the closed-loop hot-reward run of the storm table).
const STORM_CLIENTS: usize = 64;
/// The storm's p99 target while the hammer runs.
const TARGET_P99_MS: f64 = 250.0;

/// Addresses in a block (see `load::address`).
const BLOCK_SIZE: usize = 254 * 256;

fn timeout() -> Option<Duration> {
    Some(Duration::from_secs(30))
}

/// One sign-up client: fresh emails, one after another, until `deadline`.
async fn sign_ups(base: String, worker: usize, tag: String, deadline: Instant) -> Figures {
    let http = client_from(address(block::SIGN_UP, worker), 1, timeout());
    let mut figures = Figures::default();
    let name = format!("Hammer {worker}");
    let mut n = 0;
    while Instant::now() < deadline {
        let email = format!("hammer-{tag}-{worker}-{n}@example.com");
        let sent = Instant::now();
        let answer = post_form(
            &http,
            &base,
            SignUp::PATH,
            &[
                ("email", &email),
                ("display_name", &name),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
        figures.record(answer, sent.elapsed().as_micros() as u64);
        n += 1;
    }
    figures
}

/// One sign-in client: emails no account has, until `deadline`, moving to a fresh client
/// address every `SIGN_INS_PER_ADDRESS` attempts.
async fn sign_ins(base: String, worker: usize, tag: String, deadline: Instant) -> Figures {
    let mut figures = Figures::default();
    let mut n = 0;
    let mut http = None;
    while Instant::now() < deadline {
        if n % SIGN_INS_PER_ADDRESS == 0 {
            let k = worker + SIGN_IN_CLIENTS * (n / SIGN_INS_PER_ADDRESS);
            let block = block::SIGN_IN + u8::try_from(k / BLOCK_SIZE).expect("few blocks");
            http = Some(client_from(address(block, k % BLOCK_SIZE), 1, timeout()));
        }
        let http = http.as_ref().expect("a client");
        let email = format!("nobody-{tag}-{worker}-{n}@example.com");
        let sent = Instant::now();
        let answer = post_form(
            http,
            &base,
            SignIn::PATH,
            &[("email", &email), ("password", "not anyone's password")],
        )
        .await;
        figures.record(answer, sent.elapsed().as_micros() as u64);
        n += 1;
    }
    figures
}

/// The hammer, for `run`: sign-ups and sign-ins, each in its closed loop.
async fn hammer(base: &str, run: Duration) -> (Figures, Figures) {
    let begun = Instant::now();
    let deadline = begun + run;
    // Emails no earlier run on this database used.
    let tag = format!("{:x}", chrono::Utc::now().timestamp_millis());
    let ups: Vec<_> = (0..SIGN_UP_CLIENTS)
        .map(|w| tokio::spawn(sign_ups(base.to_owned(), w, tag.clone(), deadline)))
        .collect();
    let ins: Vec<_> = (0..SIGN_IN_CLIENTS)
        .map(|w| tokio::spawn(sign_ins(base.to_owned(), w, tag.clone(), deadline)))
        .collect();
    let (mut up, mut inn) = (Figures::default(), Figures::default());
    for task in ups {
        up.merge(task.await.expect("a sign-up client"));
    }
    for task in ins {
        inn.merge(task.await.expect("a sign-in client"));
    }
    up.elapsed = begun.elapsed();
    inn.elapsed = up.elapsed;
    (up, inn)
}

pub async fn hashing(
    config: &Config,
    pool: &PgPool,
    load: &Load,
    run: Duration,
    report: &mut String,
    targets: &mut Vec<Target>,
) {
    // The server refuses sign-ups beyond 300 a minute in all (as overloaded). The benchmark's
    // members, made straight in the store, stand for members who joined long ago: they must not
    // count as this minute's sign-ups when this row runs soon after the seeding.
    sqlx::query(
        "UPDATE accounts SET created_at = created_at - interval '1 day'
         WHERE created_at > now() - interval '1 minute' AND sign_up_ip IS NULL",
    )
    .execute(pool)
    .await
    .expect("dating the seeded members back");

    eprintln!("==> hashing storm: hot reward, closed loop, {STORM_CLIENTS} clients, alone");
    let mut alone = closed(load, STORM_CLIENTS, run).await;
    crate::check_invariants(pool, "the hashing storm's quiet run").await;
    eprintln!(
        "==> hashing storm: the same while {SIGN_UP_CLIENTS} sign-ups and {SIGN_IN_CLIENTS} sign-ins hammer the server"
    );
    let base = config.storm_url.clone();
    let hammering = tokio::spawn(async move { hammer(&base, run).await });
    let mut during = closed(load, STORM_CLIENTS, run).await;
    let (mut ups, mut ins) = hammering.await.expect("the hammer");
    crate::check_invariants(pool, "the hashing storm").await;

    let slots = config.hashing_slots.clone().unwrap_or_else(|| {
        format!(
            "one per core ({})",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        )
    });
    // What the server runs with (the bench does not set BAZAAR_HASHING_WAIT).
    let wait = app::infra::config::Config::default()
        .hashing_wait
        .as_secs_f64();
    writeln!(
        report,
        "## Hashing storm: sign-ups and sign-ins during a drop\n\n\
         The hot reward, closed loop at {STORM_CLIENTS} clients for {} s, alone and then while {SIGN_UP_CLIENTS} sign-up clients (fresh emails, `POST {}`) and {SIGN_IN_CLIENTS} sign-in clients (unknown emails, `POST {}`) hammer the same server, each in a closed loop, every sign-up client from its own address and every sign-in client moving to a fresh address every {SIGN_INS_PER_ADDRESS} attempts. Hashing slots on the server: {slots}; a request waits at most {wait} s for one.\n",
        run.as_secs(),
        SignUp::PATH,
        SignIn::PATH,
    )
    .unwrap();
    writeln!(
        report,
        "| storm | redemptions/s | p50 ms | p99 ms | p99.9 ms | errors |\n|---|---:|---:|---:|---:|---|"
    )
    .unwrap();
    let p99_during = during.ms(0.99);
    for (name, f) in [("alone", &mut alone), ("during the hammering", &mut during)] {
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
    writeln!(
        report,
        "\n| hammer | requests | answers/s | p50 ms | p99 ms | answers by kind |\n|---|---:|---:|---:|---:|---|"
    )
    .unwrap();
    for (name, f) in [
        ("sign-up, fresh emails", &mut ups),
        ("sign-in, unknown emails", &mut ins),
    ] {
        writeln!(
            report,
            "| {name} | {} | {:.0} | {:.0} | {:.0} | {} |",
            f.micros.len(),
            f.answers_per_sec(),
            f.ms(0.5),
            f.ms(0.99),
            f.answers()
        )
        .unwrap();
    }
    writeln!(
        report,
        "\nA sign-up answered ok made an account (one hash); a sign-in answered `wrong_credentials` had its password checked (one hash); `overloaded 503` found no hashing slot within {wait} s (or, for sign-ups, the server's 300 a minute in all were made).\n"
    )
    .unwrap();
    targets.push((
        format!(
            "hashing storm: hot-reward storm p99 < {TARGET_P99_MS:.0} ms while {SIGN_UP_CLIENTS} sign-ups + {SIGN_IN_CLIENTS} sign-ins hammer, no 5xx in the storm"
        ),
        format!(
            "p99 {p99_during:.1} ms (alone {:.1} ms), {} 5xx",
            alone.ms(0.99),
            during.server_errors
        ),
        p99_during < TARGET_P99_MS && during.server_errors == 0,
    ));
}
