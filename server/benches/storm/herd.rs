//! The herd: thousands of bazaar pages open before a drop opens, each holding a live-stock
//! stream (`GET /api/live/stock`), from client addresses across 127.0.0.0/8 (at most the
//! server's 32 streams to an address). At the opening every page re-reads the bazaar at once
//! (`GET /api/fn/bazaar`, as the page does when its countdown ends) and a fifth of them, signed
//! in, press Redeem. Measured: how long until every page's stream has delivered the new count
//! after the first redemption, the re-read's and the press's latency, every answer by kind, and
//! the server's memory with the streams open.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::config::Config;
use crate::endpoints::{GetBazaar, ServerFn};
use crate::load::{Answer, EventStream, address, answer, block, client_from, get, press};
use crate::report::{Figures, Target, memory_mib};
use crate::seed;

/// Streams from one client address: the server's limit.
const PAGES_PER_ADDRESS: usize = 32;
/// One page in this many is a signed-in member who presses Redeem at the opening.
const PRESSER_EVERY: usize = 5;
/// Streams being opened at once (each until its first event arrives).
const OPENING_AT_ONCE: usize = 256;
/// How long after the opening the bench waits for every page to hear the new count.
const PATIENCE: Duration = Duration::from_secs(30);

/// What one page's stream did.
struct Page {
    /// The stream's refusal or failure, if it never opened (or closed early).
    failed: Option<String>,
    /// Whether the first event carried the item's initial count.
    initial_heard: bool,
    /// When a count below the initial one arrived for the item.
    heard: Option<Instant>,
}

/// A page: opens its stream, reports when it has its first event, then listens until `stop`
/// for a count of `item` below `initial`.
#[expect(
    clippy::too_many_arguments,
    reason = "one page's whole part in the herd; a struct would only rename them"
)]
async fn page(
    http: reqwest::Client,
    url: String,
    item: i64,
    initial: i32,
    opening: Arc<Semaphore>,
    opened: mpsc::UnboundedSender<bool>,
    heard: mpsc::UnboundedSender<Instant>,
    mut stop: watch::Receiver<bool>,
) -> Page {
    let mut page = Page {
        failed: None,
        initial_heard: false,
        heard: None,
    };
    let first = async {
        let _opening = opening.acquire().await.expect("the semaphore stays open");
        let reply = http.get(&url).send().await.map_err(|e| {
            if e.is_timeout() || e.is_connect() {
                "connect/timeout".to_owned()
            } else {
                "transport".to_owned()
            }
        })?;
        if reply.status() != 200 {
            return Err(answer(reply)
                .await
                .map_or_else(|()| "transport".into(), |a: Answer| a.label()));
        }
        let mut stream = EventStream::new(reply);
        let lines = stream
            .next()
            .await
            .ok_or_else(|| "closed before its first event".to_owned())?;
        Ok((stream, lines))
    };
    let mut stream = match tokio::time::timeout(PATIENCE, first).await {
        Ok(Ok((stream, lines))) => {
            page.initial_heard = lines.iter().any(|l| *l == format!("{item} {initial}"));
            stream
        }
        Ok(Err(why)) => {
            page.failed = Some(why);
            let _ = opened.send(false);
            return page;
        }
        Err(_) => {
            page.failed = Some("no first event within 30 s".into());
            let _ = opened.send(false);
            return page;
        }
    };
    let _ = opened.send(true);
    loop {
        tokio::select! {
            lines = stream.next() => match lines {
                Some(lines) => {
                    if page.heard.is_none() && lines.iter().any(|l| lower(l, item, initial)) {
                        let now = Instant::now();
                        page.heard = Some(now);
                        let _ = heard.send(now);
                    }
                }
                None => {
                    if page.heard.is_none() {
                        page.failed = Some("stream closed".into());
                    }
                    break;
                }
            },
            _ = stop.changed() => break,
        }
    }
    page
}

/// Whether an event line `"<item> <remaining>"` is `item` below `initial`.
fn lower(line: &str, item: i64, initial: i32) -> bool {
    let mut parts = line.split_whitespace();
    parts.next().and_then(|i| i.parse::<i64>().ok()) == Some(item)
        && parts
            .next()
            .and_then(|r| r.parse::<i32>().ok())
            .is_some_and(|r| r < initial)
}

/// The server's resident memory now, in MiB.
fn rss(pid: u32) -> f64 {
    memory_mib(pid).1
}

pub async fn herd(
    config: &Config,
    pool: &PgPool,
    cookies: &[String],
    report: &mut String,
    targets: &mut Vec<Target>,
) {
    let pages = config.herd_pages;
    let pressers = pages.div_ceil(PRESSER_EVERY);
    assert!(cookies.len() >= pressers, "a member for every presser");
    let addresses = pages.div_ceil(PAGES_PER_ADDRESS);
    // A hot drop: stock for half of those who press, one each.
    let stock = i32::try_from(pressers.div_ceil(2)).expect("a stock that fits");
    let now = Utc::now();
    let drop_id = seed::drop_window(
        pool,
        "Bench herd",
        now + chrono::Duration::hours(1),
        now + chrono::Duration::hours(7),
    )
    .await;
    let reward = seed::reward(pool, "Bench herd reward", "gift", 1).await;
    let item = seed::drop_item(pool, drop_id, reward, stock, stock).await;

    eprintln!("==> herd: opening {pages} live-stock streams from {addresses} addresses");
    let rss_idle = rss(config.server_pid);
    // The server's memory, sampled from the first stream to the end.
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (sampling, pid) = (sampling.clone(), config.server_pid);
        tokio::spawn(async move {
            let mut peak = 0.0f64;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss(pid));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak.max(rss(pid))
        })
    };
    // Each address's client: its pages' streams, and their re-reads and presses (a browser opens
    // another connection beside the stream).
    let http: Vec<reqwest::Client> = (0..addresses)
        .map(|n| client_from(address(block::HERD, n), PAGES_PER_ADDRESS, None))
        .collect();
    let stream_url = format!("{}/api/live/stock", config.storm_url);
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let (opened_tx, mut opened_rx) = mpsc::unbounded_channel();
    let (heard_tx, mut heard_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let begun = Instant::now();
    let tasks: Vec<_> = (0..pages)
        .map(|p| {
            tokio::spawn(page(
                http[p / PAGES_PER_ADDRESS].clone(),
                stream_url.clone(),
                item,
                stock,
                opening.clone(),
                opened_tx.clone(),
                heard_tx.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    let mut listening = 0;
    for _ in 0..pages {
        listening += usize::from(opened_rx.recv().await.expect("every page reports"));
    }
    let open_secs = begun.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_open = rss(config.server_pid);

    // The drop opens in three seconds, by the database's clock.
    let wait: f64 = sqlx::query_scalar(
        "UPDATE drops SET starts_at = now() + interval '3 seconds' WHERE id = $1
         RETURNING extract(epoch FROM starts_at - now())::float8",
    )
    .bind(drop_id)
    .fetch_one(pool)
    .await
    .expect("opening the herd's drop");
    let opens = Instant::now() + Duration::from_secs_f64(wait) + Duration::from_millis(20);
    eprintln!("==> herd: the drop opens; {pages} pages re-read, {pressers} press Redeem");
    let bazaar_url = format!("{}{}", config.storm_url, GetBazaar::PATH);
    let readers: Vec<_> = (0..pages)
        .map(|p| {
            let http = http[p / PAGES_PER_ADDRESS].clone();
            let cookie = (p % PRESSER_EVERY == 0).then(|| cookies[p / PRESSER_EVERY].clone());
            let (bazaar_url, base) = (bazaar_url.clone(), config.storm_url.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(opens.into()).await;
                let reread =
                    tokio::time::timeout(PATIENCE, get(&http, &bazaar_url, cookie.as_deref()))
                        .await
                        .unwrap_or(Err(()));
                let reread_micros = opens.elapsed().as_micros() as u64;
                let pressed = match cookie {
                    Some(cookie) => {
                        let sent = Instant::now();
                        let answer =
                            tokio::time::timeout(PATIENCE, press(&http, &base, &cookie, item))
                                .await
                                .unwrap_or(Err(()));
                        let answered = Instant::now();
                        let ok = matches!(&answer, Ok(a) if a.status == 200);
                        Some((
                            answer,
                            (answered - sent).as_micros() as u64,
                            ok.then_some(answered),
                        ))
                    }
                    None => None,
                };
                ((reread, reread_micros), pressed)
            })
        })
        .collect();
    let mut rereads = Figures::default();
    let mut presses = Figures::default();
    let mut first_ok: Option<Instant> = None;
    for reader in readers {
        let ((reread, micros), pressed) = reader.await.expect("a page's re-read");
        rereads.record(reread, micros);
        if let Some((answer, micros, ok_at)) = pressed {
            presses.record(answer, micros);
            first_ok = match (first_ok, ok_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    rereads.elapsed = opens.elapsed();
    presses.elapsed = rereads.elapsed;
    // Every page whose stream opened waits for the new count, up to PATIENCE after the opening.
    let mut heard_count = 0;
    while heard_count < listening {
        match tokio::time::timeout_at((opens + PATIENCE).into(), heard_rx.recv()).await {
            Ok(Some(_)) => heard_count += 1,
            _ => break,
        }
    }
    let _ = stop_tx.send(true);
    let mut results = Vec::with_capacity(pages);
    for task in tasks {
        results.push(task.await.expect("a page"));
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let rss_peak = sampler.await.expect("the memory sampler");
    drop(http);
    let (hwm, _) = memory_mib(config.server_pid);

    // The figures.
    let mut failures: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &results {
        if let Some(why) = &r.failed {
            *failures.entry(why.clone()).or_default() += 1;
        }
    }
    let streams_ok = results
        .iter()
        .filter(|r| r.failed.is_none() || r.heard.is_some())
        .count();
    let initial_ok = results.iter().filter(|r| r.initial_heard).count();
    let heard: Vec<Instant> = results.iter().filter_map(|r| r.heard).collect();
    let first_heard = heard.iter().min().copied();
    // The first redemption: its commit came before both its answer and its notification, so
    // whichever of them the bench saw first.
    let first = match (first_ok, first_heard) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut delays: Vec<u64> = match first {
        Some(first) => heard
            .iter()
            .map(|h| h.saturating_duration_since(first).as_micros() as u64)
            .collect(),
        None => Vec::new(),
    };
    delays.sort_unstable();
    let quantile = |p: f64| -> f64 {
        if delays.is_empty() {
            return f64::NAN;
        }
        let rank = ((delays.len() as f64) * p).ceil() as usize;
        delays[rank.clamp(1, delays.len()) - 1] as f64 / 1000.0
    };
    let last_ms = delays.last().map_or(f64::NAN, |&m| m as f64 / 1000.0);
    let first_after_opening = first.map_or(f64::NAN, |f| {
        f.saturating_duration_since(opens).as_secs_f64() * 1000.0
    });
    let never = pages - heard.len();
    let failed = if failures.is_empty() {
        "none".to_owned()
    } else {
        failures
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let redeemed: i64 =
        sqlx::query_scalar::<_, i32>("SELECT quantity - remaining FROM drop_items WHERE id = $1")
            .bind(item)
            .fetch_one(pool)
            .await
            .map(i64::from)
            .expect("the herd item's count");

    writeln!(
        report,
        "## Herd: {pages} open pages at a drop's opening\n\n\
         {pages} pages each hold a live-stock stream (`GET /api/live/stock`), from {addresses} client addresses in 127.0.0.0/8 ({PAGES_PER_ADDRESS} to an address, the server's limit), opened {OPENING_AT_ONCE} at a time before the drop opens. At the opening every page re-reads the bazaar at once (`GET {}`), and {pressers} of them (one in {PRESSER_EVERY}, signed in) press Redeem on the drop's one reward (stock {stock}, one per member) once their re-read is back. Each page listens for a count below {stock} for that reward.\n",
        GetBazaar::PATH
    )
    .unwrap();
    writeln!(report, "| measure | figure |\n|---|---|").unwrap();
    writeln!(
        report,
        "| streams open | {streams_ok} of {pages} in {open_secs:.1} s, {initial_ok} with the reward's count in their first event; failed or refused: {failed} |"
    )
    .unwrap();
    writeln!(
        report,
        "| every page heard the new count | last page {last_ms:.0} ms after the first redemption (p50 {:.0} ms, p99 {:.0} ms over pages); the first redemption was seen {first_after_opening:.0} ms after the opening; {never} pages never heard it within {} s |",
        quantile(0.5),
        quantile(0.99),
        PATIENCE.as_secs()
    )
    .unwrap();
    writeln!(
        report,
        "| re-read at the opening, {pages} at once | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (from the opening moment); answers: {} |",
        rereads.ms(0.5),
        rereads.ms(0.99),
        rereads.ms(1.0),
        rereads.answers()
    )
    .unwrap();
    writeln!(
        report,
        "| press, {pressers} members | p50 {:.0} ms, p99 {:.0} ms (from each press); answers: {}; {redeemed} of {stock} redeemed |",
        presses.ms(0.5),
        presses.ms(0.99),
        presses.answers()
    )
    .unwrap();
    writeln!(
        report,
        "| server memory | RSS {rss_idle:.1} MiB before the streams, {rss_open:.1} MiB with {streams_ok} open, {rss_peak:.1} MiB at most during the herd (sampled every 50 ms); peak since start {hwm:.1} MiB |\n"
    )
    .unwrap();
    let server_errors = rereads.server_errors + presses.server_errors;
    targets.push((
        format!("herd: all {pages} streams open and every page hears the new count, no 5xx"),
        format!(
            "{streams_ok} open, {} heard (last {last_ms:.0} ms after the first redemption), {server_errors} 5xx",
            heard.len()
        ),
        streams_ok == pages && never == 0 && server_errors == 0,
    ));
}
