//! The members: each intended press of Redeem is sent with its one idempotency key until it gets
//! a definitive answer (200 with a code, or a refusal such as sold out), alternating between the
//! two servers with a short backoff. Busy, unavailable, 5xx and broken connections are retried.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::endpoints::{Redeem, ServerFn};
use crate::plan::Intent;

/// Refusals that end a press: the member is told no, and nothing was taken.
pub const REFUSALS: &[&str] = &[
    "sold_out",
    "limit_reached",
    "not_enough_points",
    "drop_closed",
];

/// How long one press may go without a definitive answer once the faults are over.
const GIVE_UP: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
pub enum Outcome {
    /// 200: the redemption code.
    Ack(String),
    /// A definitive refusal, by kind.
    Refused(String),
    /// No definitive answer in time (or only answers that make no sense): the last one.
    Unresolved(String),
}

/// Where the members and items are, as the servers know them.
#[derive(Clone)]
pub struct Target {
    pub bases: [String; 2],
    /// (account id, session cookie) per member.
    pub members: Arc<Vec<(i64, String)>>,
    pub items: Arc<Vec<i64>>,
}

#[derive(Default, Debug, Clone)]
pub struct Tally {
    pub requests: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub connection_errors: u64,
    pub timeouts: u64,
    /// Answers that are neither a code, a refusal nor a reason to retry: the first few, for the
    /// report.
    pub odd: Vec<String>,
    pub odd_count: u64,
}

impl Tally {
    pub fn merge(&mut self, other: &Tally) {
        self.requests += other.requests;
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        self.connection_errors += other.connection_errors;
        self.timeouts += other.timeouts;
        self.odd_count += other.odd_count;
        for o in &other.odd {
            if self.odd.len() < 10 {
                self.odd.push(o.clone());
            }
        }
    }

    pub fn status(&self, s: u16) -> u64 {
        self.statuses.get(&s).copied().unwrap_or(0)
    }

    pub fn status_range(&self, r: std::ops::RangeInclusive<u16>) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| r.contains(s))
            .map(|(_, n)| n)
            .sum()
    }

    fn odd(&mut self, what: String) {
        self.odd_count += 1;
        if self.odd.len() < 10 {
            self.odd.push(what);
        }
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(15))
        .build()
        .expect("an HTTP client")
}

/// The error kind in a refusal's body (`{"kind": …}`, or `{"error": {"kind": …}}`).
fn kind_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("kind")
        .or_else(|| v.get("error").and_then(|e| e.get("kind")))
        .and_then(|k| k.as_str())
        .map(str::to_owned)
}

/// Presses Redeem for `member` on `item` with `key` until the answer is definitive.
pub async fn press_until_answered(
    http: &reqwest::Client,
    target: &Target,
    member: usize,
    item: usize,
    key: &str,
    first_server: usize,
    tally: &mut Tally,
) -> Outcome {
    let (_, cookie) = &target.members[member];
    let item_id = target.items[item].to_string();
    let begun = Instant::now();
    let mut last = String::new();
    let mut odd = 0;
    for attempt in 0u32.. {
        if attempt > 0 {
            if begun.elapsed() > GIVE_UP {
                return Outcome::Unresolved(last);
            }
            let ms = (20u64 << attempt.min(4)).min(300);
            tokio::time::sleep(Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))).await;
        }
        let base = &target.bases[(first_server + attempt as usize) % 2];
        tally.requests += 1;
        let sent = http
            .post(format!("{base}{}", Redeem::PATH))
            .header("origin", base.as_str())
            .header("cookie", cookie.as_str())
            .form(&[("drop_item_id", item_id.as_str()), ("idempotency_key", key)])
            .send()
            .await;
        let reply = match sent {
            Ok(reply) => reply,
            Err(e) => {
                if e.is_timeout() {
                    tally.timeouts += 1;
                } else {
                    tally.connection_errors += 1;
                }
                last = format!("{e}");
                continue;
            }
        };
        let status = reply.status().as_u16();
        *tally.statuses.entry(status).or_default() += 1;
        let body = match reply.bytes().await {
            Ok(b) => b,
            Err(e) => {
                tally.connection_errors += 1;
                last = format!("{status}, body lost: {e}");
                continue;
            }
        };
        match status {
            200 => {
                let code = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("code")?.as_str().map(str::to_owned));
                match code {
                    Some(code) => return Outcome::Ack(code),
                    None => {
                        tally.odd(format!(
                            "200 without a code: {}",
                            String::from_utf8_lossy(&body)
                        ));
                        odd += 1;
                    }
                }
            }
            429 | 500..=599 => {
                last = format!("{status} {}", String::from_utf8_lossy(&body));
                continue;
            }
            _ => {
                let kind = kind_of(&body);
                if let Some(kind) = &kind
                    && REFUSALS.contains(&kind.as_str())
                {
                    return Outcome::Refused(kind.clone());
                }
                tally.odd(format!(
                    "{status} from {base}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ));
                odd += 1;
            }
        }
        last = format!("{status} {}", String::from_utf8_lossy(&body));
        if odd >= 10 {
            return Outcome::Unresolved(format!("odd answers, the last: {last}"));
        }
    }
    unreachable!()
}

pub struct Done {
    pub intent: Intent,
    pub outcome: Outcome,
    /// Milliseconds into the run when the answer came.
    pub answered_ms: u64,
}

/// Runs every intent of the plan on `clients` concurrent tasks, each press at its planned
/// moment (or as soon as a task is free after it).
pub async fn run(
    target: &Target,
    intents: Vec<Intent>,
    clients: usize,
    begun: Instant,
) -> (Vec<Done>, Tally) {
    let http = http();
    let queue = Arc::new(Mutex::new(VecDeque::from(intents)));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, target, queue) = (http.clone(), target.clone(), queue.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                let mut tally = Tally::default();
                loop {
                    let Some(intent) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    tokio::time::sleep_until((begun + Duration::from_millis(intent.at_ms)).into())
                        .await;
                    let outcome = press_until_answered(
                        &http,
                        &target,
                        intent.member,
                        intent.item,
                        &intent.key.to_string(),
                        intent.first_server,
                        &mut tally,
                    )
                    .await;
                    done.push(Done {
                        intent,
                        outcome,
                        answered_ms: begun.elapsed().as_millis() as u64,
                    });
                }
                (done, tally)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut tally = Tally::default();
    for task in tasks {
        let (done, t) = task.await.expect("a client task");
        all.extend(done);
        tally.merge(&t);
    }
    (all, tally)
}
