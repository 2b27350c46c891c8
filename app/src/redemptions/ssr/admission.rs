//! The line in front of the redemption writer.
//!
//! Every redemption of one drop item ends on the same row (`drop_items.remaining`), whose lock
//! is held through each commit's WAL flush, and each redemption costs a dozen statements of
//! CPU. Run one transaction per press and a drop's crowd queues on that row inside Postgres:
//! throughput is one commit at a time and falls as the crowd grows. So presses join a line,
//! and one writer per server settles everything waiting in one transaction: a handful of
//! set-based statements and one commit for up to `batch` presses (`ssr::settle`). Under a
//! storm batches grow by themselves while a commit is in flight, so the cost per press falls
//! as the crowd grows instead of rising. Each press is still all-or-nothing for its member and
//! idempotent by its key.
//!
//! The line is bounded: anyone beyond it, or anyone who waited longer than `max_wait`, is
//! answered at once with 429 "busy" and `Retry-After`, never left to time out. Correctness
//! never depends on the line: the writer locks the rows it changes and the database's
//! constraints still decide, so several servers sharing one database stay exact; each just
//! batches its own share.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::{mpsc, oneshot};

use super::settle::{Press, Settled, settle};
use crate::AppError;

/// How the line is sized; `Default` is what the server runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most presses settled in one transaction.
    pub batch: usize,
    /// Presses allowed to wait for the writer, per server.
    pub waiting: usize,
    /// The longest a press waits before hearing "busy".
    pub max_wait: Duration,
    /// Presses one member may have in the line (waiting or being settled) at once; more are
    /// answered at once. A double click is two; a bot's thousand are still two.
    pub per_member: usize,
    /// Presses one client address may have in the line at once: a household or an office
    /// shares an address, a bot farm behind one address does not get the whole line.
    pub per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            batch: 256,
            waiting: 4096,
            max_wait: Duration::from_secs(2),
            per_member: 2,
            per_address: 256,
        }
    }
}

/// The answer to one press, as the writer gives it.
pub type Answer = Result<Settled, AppError>;

/// Where one press's time went inside the writer, sent back in its `Server-Timing` header: the
/// benchmark breaks the slowest presses down by it (time in the line, the batch's statements,
/// its commit's WAL flush, and how many presses shared the batch).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timing {
    /// Waiting in the line for the writer to take it.
    pub line: Duration,
    /// Its batch's statements: the writer's connection, the locks, the reads, the writes (the
    /// attempt log among them).
    pub work: Duration,
    /// Its batch's commit, which waits for the WAL flush.
    pub commit: Duration,
    /// Presses settled in its batch.
    pub batch: usize,
}

impl Timing {
    /// The `Server-Timing` header's value (durations in milliseconds).
    pub fn header(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "line;dur={:.1}, work;dur={:.1}, commit;dur={:.1}, batch;desc={}",
            ms(self.line),
            ms(self.work),
            ms(self.commit),
            self.batch
        )
    }
}

/// The press was turned away before the writer saw it. Nothing was written.
#[derive(Debug, PartialEq, Eq)]
pub enum TurnedAway {
    /// The line was full, or the press waited in it longer than `max_wait`.
    Busy,
    /// This member (or their address) already has as many presses in the line as allowed.
    AlreadyPressing,
}

/// Who has how many presses in the line: counted up on joining, down when the press leaves
/// (settled, or dropped unanswered), by `Place`'s drop.
#[derive(Default)]
struct Holders {
    members: HashMap<i64, usize>,
    addresses: HashMap<String, usize>,
}

/// One press's place in the line, counted against its member and address while it exists. It
/// travels with the press to the writer, so a request that gives up early does not free a place
/// its press still holds.
struct Place {
    holders: Arc<Mutex<Holders>>,
    member: i64,
    address: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        release(&mut holders.members, &self.member);
        release(&mut holders.addresses, &self.address);
    }
}

fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

/// Where a queued press is: still waiting, taken by the writer, or withdrawn by its request.
/// Whoever moves it out of `WAITING` first decides, so a press is never both answered "busy"
/// and settled.
const WAITING: u8 = 0;
const TAKEN: u8 = 1;
const WITHDRAWN: u8 = 2;

struct Queued {
    press: Press,
    at: Instant,
    state: Arc<AtomicU8>,
    reply: oneshot::Sender<(Answer, Timing)>,
    place: Place,
}

struct Line {
    presses: mpsc::UnboundedSender<Queued>,
    waiting: Arc<AtomicUsize>,
}

/// A press turned away "busy" before the writer saw it, for the post-drop report.
struct Refusal {
    item_id: i64,
    account_id: i64,
    client_ip: String,
}

/// How often refusals are written: a crowd turned away at once must not cost a write each
/// through the pool the crowd's page loads share.
const WRITE_REFUSALS_EVERY: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Admission {
    limits: Limits,
    refusals: Arc<Mutex<Vec<Refusal>>>,
    // The writer starts with the first press, on that press's runtime, with a connection of its
    // own to the database that press's pool connects to.
    line: Arc<OnceLock<Line>>,
    holders: Arc<Mutex<Holders>>,
}

impl Default for Admission {
    fn default() -> Self {
        Admission::new(Limits::default())
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Admission {
            limits,
            line: Arc::default(),
            holders: Arc::default(),
            refusals: Arc::default(),
        }
    }

    fn start(&self, pool: &PgPool) -> Line {
        let (presses, incoming) = mpsc::unbounded_channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        // The writer has a connection of its own. From the shared pool it would queue, first
        // come first served, behind the crowd's page loads and session reads for every batch,
        // and the whole line waits on the writer. It settles one batch at a time, so one is
        // enough; it is opened with the first batch and reopened if lost.
        let own = PgPoolOptions::new()
            .max_connections(1)
            // Unreachable: the batch's presses hear "press again" within a second.
            .acquire_timeout(Duration::from_millis(800))
            .connect_lazy_with(pool.connect_options().as_ref().clone());
        tokio::spawn(write(own, self.limits, incoming, waiting.clone()));
        tokio::spawn(write_refusals(pool.clone(), Arc::downgrade(&self.refusals)));
        Line { presses, waiting }
    }

    /// Counts a "busy" refusal for the post-drop report; written with others within half a
    /// second, in one statement.
    pub fn note_busy(&self, item_id: i64, account_id: i64, client_ip: String) {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Refusal {
                item_id,
                account_id,
                client_ip,
            });
    }

    /// Puts `press` in the line and waits for the writer's answer; `TurnedAway` at once when
    /// the line is already as long as allowed, or when the writer has not taken the press
    /// within `max_wait` (a batch stuck on the database must not hold everyone behind it).
    pub async fn redeem(
        &self,
        pool: &PgPool,
        press: Press,
    ) -> Result<(Answer, Timing), TurnedAway> {
        let line = self.line.get_or_init(|| self.start(pool));
        let place = self.take_place(&press)?;
        if line.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.waiting {
            line.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(TurnedAway::Busy);
        }
        let (reply, mut answer) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(WAITING));
        let queued = Queued {
            press,
            at: Instant::now(),
            state: state.clone(),
            reply,
            place,
        };
        if line.presses.send(queued).is_err() {
            line.waiting.fetch_sub(1, Ordering::SeqCst);
            return Ok((
                Err(AppError::internal(
                    "redemption writer",
                    "the writer has stopped",
                )),
                Timing::default(),
            ));
        }
        let answered = match tokio::time::timeout(self.limits.max_wait, &mut answer).await {
            Ok(answered) => answered,
            Err(_) => {
                if state
                    .compare_exchange(WAITING, WITHDRAWN, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    return Err(TurnedAway::Busy);
                }
                // The writer took it just now: its batch is under way, so wait for the answer.
                answer.await
            }
        };
        // Dropping this future (the member closed the page) does not withdraw the press: the
        // writer settles it anyway, and the member finds it under "My redemptions".
        Ok(answered.unwrap_or_else(|_| {
            (
                Err(AppError::internal(
                    "redemption writer",
                    "a press was dropped unanswered",
                )),
                Timing::default(),
            )
        }))
    }
}

impl Admission {
    /// A place for `press` if its member and address are under their limits.
    fn take_place(&self, press: &Press) -> Result<Place, TurnedAway> {
        let mut holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        let member = holders.members.get(&press.account_id).copied().unwrap_or(0);
        let address = holders
            .addresses
            .get(&press.client_ip)
            .copied()
            .unwrap_or(0);
        if member >= self.limits.per_member || address >= self.limits.per_address {
            return Err(TurnedAway::AlreadyPressing);
        }
        *holders.members.entry(press.account_id).or_default() += 1;
        *holders
            .addresses
            .entry(press.client_ip.clone())
            .or_default() += 1;
        Ok(Place {
            holders: self.holders.clone(),
            member: press.account_id,
            address: press.client_ip.clone(),
        })
    }
}

/// Writes the refusals counted since the last round, every `WRITE_REFUSALS_EVERY`, until the
/// line is gone. The log is telemetry: written without waiting for its WAL flush, and a failed
/// write is logged and dropped rather than retried into a crowd.
async fn write_refusals(pool: PgPool, refusals: std::sync::Weak<Mutex<Vec<Refusal>>>) {
    loop {
        tokio::time::sleep(WRITE_REFUSALS_EVERY).await;
        let Some(refusals) = refusals.upgrade() else {
            return;
        };
        let taken = std::mem::take(&mut *refusals.lock().unwrap_or_else(|e| e.into_inner()));
        drop(refusals);
        if taken.is_empty() {
            continue;
        }
        let items: Vec<i64> = taken.iter().map(|r| r.item_id).collect();
        let accounts: Vec<i64> = taken.iter().map(|r| r.account_id).collect();
        let ips: Vec<String> = taken.into_iter().map(|r| r.client_ip).collect();
        let write = async {
            let mut tx = pool.begin().await?;
            sqlx::query!("SET LOCAL synchronous_commit = off")
                .execute(&mut *tx)
                .await?;
            sqlx::query!(
                r#"INSERT INTO redemption_attempts (drop_item_id, account_id, client_ip, outcome)
                   SELECT t.item, t.account, t.ip, 'busy'
                   FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(item, account, ip)
                   JOIN drop_items di ON di.id = t.item"#,
                &items,
                &accounts,
                &ips
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        };
        if let Err(error) = write.await {
            tracing::warn!(%error, refusals = items.len(), "could not log busy refusals");
        }
    }
}

/// The writer: takes everything waiting (up to a batch), settles it in one transaction, answers
/// each press, and goes again. Ends when the server's state is dropped.
async fn write(
    pool: PgPool,
    limits: Limits,
    mut incoming: mpsc::UnboundedReceiver<Queued>,
    waiting: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(limits.batch.max(1));
    while incoming.recv_many(&mut batch, limits.batch.max(1)).await > 0 {
        waiting.fetch_sub(batch.len(), Ordering::SeqCst);
        let now = Instant::now();
        let (presses, replies): (Vec<Press>, Vec<_>) = batch
            .drain(..)
            // A press its request withdrew was already answered "busy".
            .filter(|q| {
                q.state
                    .compare_exchange(WAITING, TAKEN, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            })
            .map(|q| {
                let waited = now.duration_since(q.at);
                let late = waited > limits.max_wait;
                // The place goes with the reply: held until the press is answered.
                (Press { late, ..q.press }, (q.reply, q.place, waited))
            })
            .unzip();
        if presses.is_empty() {
            continue;
        }
        let (size, started) = (presses.len(), Instant::now());
        // Settled on its own task so that a panic fails this batch's presses, not the writer.
        let (answers, commit) = match tokio::spawn(settle(pool.clone(), presses)).await {
            Ok(Ok(settled)) => settled,
            Ok(Err(error)) => (vec![Err(error); replies.len()], Duration::ZERO),
            Err(panic) => (
                vec![Err(AppError::internal("redemption writer", panic)); replies.len()],
                Duration::ZERO,
            ),
        };
        let elapsed = started.elapsed();
        tracing::debug!(size, ?elapsed, ?commit, "settled a batch");
        for ((reply, place, line), answer) in replies.into_iter().zip(answers) {
            // The member may have gone; their redemption stands either way.
            drop(place);
            let timing = Timing {
                line,
                work: elapsed.saturating_sub(commit),
                commit,
                batch: size,
            };
            let _ = reply.send((answer, timing));
        }
    }
}
