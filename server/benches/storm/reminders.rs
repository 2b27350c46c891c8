//! Reminders draining during a storm: 50,000 members asked to be reminded of a drop opening in
//! ten minutes. The storm server's own mail job writes their reminders to the outbox (it looks
//! every 20 seconds) and its delivery worker sends them over SMTP to a real SMTP server (the
//! tests' aiosmtpd sink, started by bench.sh), while a drop storm runs on the same server.
//! Measured in the same run: the storm's latency alone and while the mail drains, and how long
//! the 50,000 took to be written and sent.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::load::{Load, closed};
use crate::report::Target;

/// Members reminded of the drop.
pub const REMINDERS: i64 = 50_000;
/// Storm clients (the closed-loop hot-reward run of the storm table).
const STORM_CLIENTS: usize = 64;
/// The storm's p99 while the mail drains, at most this many times its p99 alone ("within
/// noise": runs of the same storm differ by about this much on a 2-core machine).
const TARGET_RATIO: f64 = 1.25;

/// (written to the outbox, sent) reminders so far.
async fn progress(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), count(sent_at) FROM outbox WHERE kind = 'drop_reminder'")
        .fetch_one(pool)
        .await
        .expect("counting the outbox")
}

pub async fn reminders(
    pool: &PgPool,
    load: &Load,
    run: Duration,
    report: &mut String,
    targets: &mut Vec<Target>,
) {
    eprintln!("==> reminders: hot reward, closed loop, {STORM_CLIENTS} clients, alone");
    let mut alone = closed(load, STORM_CLIENTS, run).await;
    crate::check_invariants(pool, "the reminders row's quiet run").await;

    eprintln!(
        "==> reminders: {REMINDERS} members ask to be reminded of a drop opening in 10 minutes"
    );
    // A third read Spanish: their reminders are written in it.
    sqlx::query(
        "INSERT INTO accounts (email, display_name, language, created_at)
         SELECT 'reminded-' || g || '@example.com', 'Reminded ' || g,
                CASE WHEN g % 3 = 0 THEN 'es' ELSE 'en' END, now() - interval '1 day'
         FROM generate_series(1, $1) g",
    )
    .bind(REMINDERS)
    .execute(pool)
    .await
    .expect("the reminded members");
    let drop: i64 = sqlx::query_scalar(
        "INSERT INTO drops (title, title_es, starts_at, ends_at)
         VALUES ('Bench reminded drop', 'Drop recordado', now() + interval '10 minutes', now() + interval '3 hours')
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("the drop");
    sqlx::query(
        "INSERT INTO drop_reminders (account_id, drop_id)
         SELECT id, $1 FROM accounts WHERE email LIKE 'reminded-%'",
    )
    .bind(drop)
    .execute(pool)
    .await
    .expect("the reminders");
    let asked = Instant::now();

    // The server's mail job looks every 20 seconds: the storm starts once it has begun.
    let begun = loop {
        let (written, _) = progress(pool).await;
        if written > 0 || asked.elapsed() > Duration::from_secs(40) {
            break asked.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("==> reminders: the same storm while the server writes and sends them");
    let mut during = closed(load, STORM_CLIENTS, run).await;
    let (written_in_storm, sent_in_storm) = progress(pool).await;
    crate::check_invariants(pool, "the reminders row").await;

    // Then until every reminder is sent (at most four minutes).
    let (mut written_all, mut sent_all) = (None, None);
    while asked.elapsed() < Duration::from_secs(240) {
        let (written, sent) = progress(pool).await;
        if written >= REMINDERS && written_all.is_none() {
            written_all = Some(asked.elapsed());
        }
        if sent >= REMINDERS {
            sent_all = Some(asked.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (written, sent) = progress(pool).await;
    let secs = |d: Option<Duration>| {
        d.map_or_else(
            || "not within 4 min".to_owned(),
            |d| format!("{:.1} s", d.as_secs_f64()),
        )
    };

    writeln!(
        report,
        "## Reminders draining during a storm\n\n\
         {REMINDERS} members asked to be reminded of a drop opening in 10 minutes. The storm server's mail job (every 20 s, one server at a time) writes the reminders to the outbox in transactions of 500, each in the member's language, keeping at most 2,000 written and not yet sent (writing follows sending); its delivery worker claims 50 at a time and sends 8 at once over SMTP to a real SMTP server on this machine (aiosmtpd, at the lowest CPU priority: it stands in for a mail server on another machine). The hot reward, closed loop at {STORM_CLIENTS} clients for {} s, alone and then from the moment the first reminders are written.\n",
        run.as_secs()
    )
    .unwrap();
    writeln!(
        report,
        "| storm | redemptions/s | p50 ms | p99 ms | p99.9 ms | errors |\n|---|---:|---:|---:|---:|---|"
    )
    .unwrap();
    for (name, f) in [
        ("alone", &mut alone),
        ("while the reminders drain", &mut during),
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
    writeln!(
        report,
        "\n| reminders | figure |\n|---|---:|\n\
         | first written after asking | {:.1} s |\n\
         | written / sent by the storm's end | {written_in_storm} / {sent_in_storm} |\n\
         | all {REMINDERS} written after | {} |\n\
         | all {REMINDERS} sent after | {} |\n\
         | written / sent at the end | {written} / {sent} |\n",
        begun.as_secs_f64(),
        secs(written_all),
        secs(sent_all),
    )
    .unwrap();
    let ratio = during.ms(0.99) / alone.ms(0.99).max(0.001);
    targets.push((
        format!(
            "reminders draining during a storm: hot-reward p99 within {TARGET_RATIO}× of the storm alone while {REMINDERS} reminders are written and sent, no 5xx"
        ),
        format!(
            "p99 {:.1} ms vs {:.1} ms alone ({ratio:.2}×), {} 5xx; {sent} of {REMINDERS} sent ({})",
            during.ms(0.99),
            alone.ms(0.99),
            during.server_errors,
            secs(sent_all)
        ),
        ratio <= TARGET_RATIO && during.server_errors == 0,
    ));
}
