//! The load generator: presses of Redeem and page fetches over HTTP, in a closed loop (each
//! client sends again once answered) or an open loop (at a fixed rate whatever the server
//! does), and pgbench's baseline on the same PostgreSQL.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::config::Config;
use crate::endpoints::{Redeem, ServerFn, SignIn};
use crate::report::Figures;

/// One answer: its status, and for anything but a success the error's kind as the server names
/// it (`{"kind": "already_pressing"}` from a server function, `{"error": {"kind": …}}` from a
/// route outside them).
pub struct Answer {
    pub status: u16,
    pub kind: Option<String>,
    /// A press's `Server-Timing`, when the writer settled it.
    pub timing: Option<Timing>,
}

/// Where a press's time went inside the writer, from its `Server-Timing` header (milliseconds):
/// waiting in the line, its batch's statements, its batch's commit (the WAL flush), and how
/// many presses shared its batch.
#[derive(Clone, Copy, Default)]
pub struct Timing {
    pub line: f64,
    pub work: f64,
    pub commit: f64,
    pub batch: f64,
}

impl Timing {
    /// `line;dur=1.0, work;dur=2.0, commit;dur=3.0, batch;desc=40`.
    fn parse(header: &str) -> Option<Timing> {
        let mut timing = Timing::default();
        for metric in header.split(',') {
            let mut parts = metric.trim().split(';');
            let name = parts.next()?;
            let value: f64 = parts
                .find_map(|p| p.strip_prefix("dur=").or_else(|| p.strip_prefix("desc=")))?
                .parse()
                .ok()?;
            match name {
                "line" => timing.line = value,
                "work" => timing.work = value,
                "commit" => timing.commit = value,
                "batch" => timing.batch = value,
                _ => {}
            }
        }
        Some(timing)
    }
}

impl Answer {
    /// `"already_pressing 429"`, or `"HTTP 404"` for an answer without a kind.
    pub fn label(&self) -> String {
        match &self.kind {
            Some(kind) => format!("{kind} {}", self.status),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// Reads a reply to the end and classifies it.
pub async fn answer(reply: reqwest::Response) -> Result<Answer, ()> {
    let status = reply.status().as_u16();
    let timing = reply
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(Timing::parse);
    let body = reply.bytes().await.map_err(|_| ())?;
    let kind = (status >= 300).then(|| kind_of(&body)).flatten();
    Ok(Answer {
        status,
        kind,
        timing,
    })
}

fn kind_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("kind")
        .or_else(|| value.get("error")?.get("kind"))
        .and_then(|k| k.as_str())
        .map(str::to_owned)
}

/// One press of Redeem: a fresh idempotency key, as the confirm page makes.
pub async fn press(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    item: i64,
) -> Result<Answer, ()> {
    let reply = client
        .post(format!("{base}{}", Redeem::PATH))
        .header("origin", base)
        .header("cookie", cookie)
        .form(&[
            ("drop_item_id", item.to_string()),
            ("idempotency_key", uuid::Uuid::new_v4().to_string()),
        ])
        .send()
        .await
        .map_err(|_| ())?;
    answer(reply).await
}

pub async fn get(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> Result<Answer, ()> {
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let reply = request.send().await.map_err(|_| ())?;
    answer(reply).await
}

/// A form posted to a server function as the page's own code posts it (same origin, asking for
/// JSON rather than a redirect).
pub async fn post_form(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<Answer, ()> {
    let reply = client
        .post(format!("{base}{path}"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .map_err(|_| ())?;
    answer(reply).await
}

/// The `n`-th client address of `block`: 127.`block`.(n / 254).(n % 254 + 1). Linux routes all of
/// 127.0.0.0/8 to the loopback interface, so a socket bound to any of them reaches the server,
/// which takes each for a different client (its per-address limits: presses waiting in the line,
/// live-stock streams, sign-ups and sign-in failures). Each part of the benchmark has its own
/// block, so none inherits another's counts.
pub fn address(block: u8, n: usize) -> IpAddr {
    assert!(n < 254 * 256, "address {n} is beyond block {block}");
    IpAddr::V4(Ipv4Addr::new(
        127,
        block,
        (n / 254) as u8,
        (n % 254 + 1) as u8,
    ))
}

/// Blocks of client addresses (see `address`).
pub mod block {
    pub const STORM: u8 = 10;
    pub const PAGES: u8 = 11;
    pub const HERD: u8 = 20;
    pub const SIGN_UP: u8 = 30;
    /// Sign-ins move to a fresh address every `hashing::SIGN_INS_PER_ADDRESS` attempts, through
    /// this block and the ones after it.
    pub const SIGN_IN: u8 = 31;
}

/// An HTTP client whose connections come from `from`. Redirects are not followed (a server
/// function answers a redirect with a header, not a 3xx, unless asked for HTML). `timeout` is for
/// a whole request, body included, so streams are read with none.
pub fn client_from(from: IpAddr, connections: usize, timeout: Option<Duration>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .local_address(from)
        .pool_max_idle_per_host(connections)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10));
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().expect("an HTTP client")
}

/// Load clients sharing one client address: few enough that no run comes near the server's
/// per-address limit of presses waiting in the line (256).
pub const CLIENTS_PER_ADDRESS: usize = 4;

/// One HTTP client per client address for `clients` load clients, `CLIENTS_PER_ADDRESS` to an
/// address, each keeping up to `connections` idle connections.
pub fn clients(block: u8, clients: usize, connections: usize) -> Vec<reqwest::Client> {
    (0..clients.div_ceil(CLIENTS_PER_ADDRESS).max(1))
        .map(|n| {
            client_from(
                address(block, n),
                connections,
                Some(Duration::from_secs(30)),
            )
        })
        .collect()
}

/// What a load run sends: a redeem press (member `n`, item `n`) or a page fetch (with a cookie,
/// if given).
#[derive(Clone)]
pub enum Load {
    Redeem {
        base: String,
        cookies: Vec<String>,
        items: Vec<i64>,
    },
    Get(String, Option<String>),
}

impl Load {
    pub async fn send(&self, client: &reqwest::Client, n: usize) -> Result<Answer, ()> {
        match self {
            Load::Redeem {
                base,
                cookies,
                items,
            } => {
                press(
                    client,
                    base,
                    &cookies[n % cookies.len()],
                    items[n % items.len()],
                )
                .await
            }
            Load::Get(url, cookie) => get(client, url, cookie.as_deref()).await,
        }
    }

    /// The block of client addresses the load comes from.
    fn block(&self) -> u8 {
        match self {
            Load::Redeem { .. } => block::STORM,
            Load::Get(..) => block::PAGES,
        }
    }
}

/// Closed loop: `clients` members, each pressing again as soon as the last press was answered;
/// `CLIENTS_PER_ADDRESS` of them to a client address.
pub async fn closed(load: &Load, clients: usize, run: Duration) -> Figures {
    let http = self::clients(load.block(), clients, CLIENTS_PER_ADDRESS);
    let begun = Instant::now();
    let deadline = begun + run;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, load) = (http[c / CLIENTS_PER_ADDRESS].clone(), load.clone());
            tokio::spawn(async move {
                let mut figures = Figures::default();
                let mut n = c;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let answer = load.send(&http, n).await;
                    figures.record(answer, sent.elapsed().as_micros() as u64);
                    n += clients;
                }
                figures
            })
        })
        .collect();
    let mut all = Figures::default();
    for task in tasks {
        all.merge(task.await.expect("a load task"));
    }
    all.elapsed = begun.elapsed();
    all
}

/// Connections the open loop keeps, like a fleet of browsers behind a proxy.
pub const OPEN_CONNECTIONS: usize = 256;

/// Open loop: presses arrive at `rate` per second whatever the server is doing, and each one's
/// latency counts from when it was due, not from when it could be sent (as wrk2 measures).
/// They go over `OPEN_CONNECTIONS` kept-alive connections, opened before the clock starts and
/// spread over client addresses (`CLIENTS_PER_ADDRESS` to one), the n-th press over the
/// (n mod addresses)-th; a press that finds every connection busy waits for one, and that wait
/// is part of its latency. Without the cap the client opened a connection for every press in
/// flight and closed those beyond its idle limit, hundreds a second once the server fell behind.
pub async fn open(load: &Load, rate: f64, run: Duration) -> Figures {
    let http = clients(load.block(), OPEN_CONNECTIONS, OPEN_CONNECTIONS);
    let each = OPEN_CONNECTIONS / http.len();
    futures::future::join_all(http.iter().map(|c| warm(c, load, each))).await;
    let connections = std::sync::Arc::new(tokio::sync::Semaphore::new(OPEN_CONNECTIONS));
    // Shared, not cloned per press: a clone copies every member's cookie, and at thousands of
    // presses a second that alone cost the load generator half a core.
    let load = std::sync::Arc::new(load.clone());
    let begun = Instant::now();
    let total = (rate * run.as_secs_f64()) as usize;
    let mut tasks = Vec::with_capacity(total);
    for n in 0..total {
        let due = begun + Duration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (http, load, connections) = (
            http[n % http.len()].clone(),
            load.clone(),
            connections.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _connection = connections
                .acquire()
                .await
                .expect("the semaphore stays open");
            let answer = load.send(&http, n).await;
            (answer, due.elapsed().as_micros() as u64)
        }));
    }
    let mut all = Figures::default();
    for task in tasks {
        let (answer, micros) = task.await.expect("a load task");
        all.record(answer, micros);
    }
    all.elapsed = begun.elapsed();
    all
}

/// A server-sent event stream, read as it arrives (as an `EventSource` does).
pub struct EventStream {
    reply: reqwest::Response,
    unread: String,
}

impl EventStream {
    pub fn new(reply: reqwest::Response) -> Self {
        EventStream {
            reply,
            unread: String::new(),
        }
    }

    /// The next event's data lines (keep-alive comments are skipped); `None` once the stream
    /// ends or fails.
    pub async fn next(&mut self) -> Option<Vec<String>> {
        loop {
            if let Some(data) = crate::events::take_event(&mut self.unread) {
                return Some(data);
            }
            let chunk = self.reply.chunk().await.ok()??;
            self.unread.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Signs the demo store's member in, as the sign-in form does, and returns their session cookie.
pub async fn sign_in_demo_member(base: &str) -> String {
    let (email, password, ..) = server::demo::DEMO_LOGINS[0];
    let reply = reqwest::Client::new()
        .post(format!("{base}{}", SignIn::PATH))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("signing the demo member in");
    assert!(reply.status().is_success(), "sign-in: {}", reply.status());
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("bazaar_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// Opens `connections` kept-alive connections in `http`'s pool (all at once, so none is reused
/// before the rest are open).
pub async fn warm(http: &reqwest::Client, load: &Load, connections: usize) {
    let url = match load {
        Load::Redeem { base, .. } => format!("{base}/healthz"),
        Load::Get(url, _) => url.clone(),
    };
    futures::future::join_all((0..connections).map(|_| get(http, &url, None))).await;
}

/// pgbench's TPS for the single-row conditional UPDATE at `clients`, on the same server.
pub async fn pgbench(config: &Config, baseline: &PgPool, clients: usize) -> f64 {
    sqlx::query("UPDATE hot_row SET remaining = 1000000000000 WHERE id = 1")
        .execute(baseline)
        .await
        .expect("resetting the baseline row");
    let script = std::env::temp_dir().join("bazaar-bench-hot.sql");
    std::fs::write(
        &script,
        "UPDATE hot_row SET remaining = remaining - 1 WHERE id = 1 AND remaining > 0;\n",
    )
    .expect("writing the pgbench script");
    let out = std::process::Command::new(&config.pgbench)
        .args(["-n", "-j", "2", "-M", "prepared"])
        .args(["-c", &clients.to_string()])
        .args(["-T", &config.seconds.to_string()])
        .arg("-f")
        .arg(&script)
        .arg(&config.baseline_url)
        .output()
        .expect("running pgbench");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or_else(|| {
            panic!(
                "pgbench printed no tps: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}
