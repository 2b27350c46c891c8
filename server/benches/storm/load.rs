//! The load generator: presses of Redeem and page fetches over HTTP, in a closed loop (each
//! client sends again once answered) or an open loop (at a fixed rate whatever the server
//! does), and pgbench's baseline on the same PostgreSQL.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::config::Config;
use crate::endpoints::{Redeem, ServerFn, SignIn};
use crate::report::Figures;

/// One press of Redeem: a fresh idempotency key, as the confirm page makes.
pub async fn press(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    item: i64,
) -> Result<u16, ()> {
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
    let status = reply.status().as_u16();
    reply.bytes().await.map_err(|_| ())?;
    Ok(status)
}

pub async fn get(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> Result<u16, ()> {
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let reply = request.send().await.map_err(|_| ())?;
    let status = reply.status().as_u16();
    reply.bytes().await.map_err(|_| ())?;
    Ok(status)
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
    pub async fn send(&self, client: &reqwest::Client, n: usize) -> Result<u16, ()> {
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
}

pub fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// Closed loop: `clients` members, each pressing again as soon as the last press was answered.
pub async fn closed(load: &Load, clients: usize, run: Duration) -> Figures {
    let http = client(clients);
    let begun = Instant::now();
    let deadline = begun + run;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, load) = (http.clone(), load.clone());
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
/// They go over `OPEN_CONNECTIONS` kept-alive connections, opened before the clock starts; a
/// press that finds every connection busy waits for one, and that wait is part of its latency.
/// Without the cap the client opened a connection for every press in flight and closed those
/// beyond its idle limit, hundreds a second once the server fell behind.
pub async fn open(load: &Load, rate: f64, run: Duration) -> Figures {
    let http = client(OPEN_CONNECTIONS);
    warm(&http, load, OPEN_CONNECTIONS).await;
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
        let (http, load, connections) = (http.clone(), load.clone(), connections.clone());
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
