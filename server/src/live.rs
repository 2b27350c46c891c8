//! `/api/live/stock`: server-sent events relaying stock changes from PostgreSQL.
//!
//! A trigger calls `pg_notify('bazaar_stock', …)` whenever an item's stock changes, delivered
//! when the transaction commits, to every server instance listening on that database. Each
//! instance holds one listening connection (opened when the first page subscribes) and fans the
//! notifications out to its pages over a broadcast channel.
//!
//! Notifications sent while nobody listens are gone, so whenever a page may have missed some it
//! is sent the current count of every item on offer instead (one small query): when its stream
//! opens (the page was rendered a moment earlier, and a phone may take seconds to start
//! listening), after the instance lost its listener, and when the page fell behind. Pages
//! opening together share one read: a read serves every page that subscribed before it began
//! (and, while nothing has changed since it began, every page after), so the crowd opening the
//! bazaar at 09:00 costs a handful of queries, not one per page.
//!
//! Streams are bounded per client address and in total (`StreamLimits`): beyond them a page
//! hears 429 and keeps itself current by re-reading the bazaar every few seconds instead.

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OnceCell, broadcast};

use app::AppError;
use app::infra::state::AppState;

/// Open streams allowed per client address (a household's phones and tabs, an office), and in
/// all on one server.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub per_address: usize,
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            per_address: 32,
            total: 20_000,
        }
    }
}

/// The counts as one read found them, and when that read began (and how many changes had been
/// relayed by then).
struct Snapshot {
    began: Instant,
    changes: u64,
    counts: Option<Arc<str>>,
}

pub const CHANNEL: &str = "bazaar_stock";

/// The instance's relay from PostgreSQL to open pages.
pub struct StockFeed {
    pool: PgPool,
    sender: OnceCell<broadcast::Sender<String>>,
    /// Changes relayed so far (and listener losses, which may hide some).
    changes: Arc<AtomicU64>,
    /// The last read of the counts; its lock makes pages that arrive during a read wait for it
    /// rather than start their own.
    snapshot: tokio::sync::Mutex<Option<Snapshot>>,
    limits: StreamLimits,
    open: Arc<Mutex<Open>>,
}

/// Streams open now, per address and in all.
#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<String, usize>,
}

/// One open stream's place, given back when the page goes away (its stream is dropped).
struct Place {
    open: Arc<Mutex<Open>>,
    address: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        if let Some(n) = open.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

impl StockFeed {
    pub fn new(pool: PgPool, limits: StreamLimits) -> Arc<Self> {
        Arc::new(Self {
            pool,
            sender: OnceCell::new(),
            changes: Arc::default(),
            snapshot: tokio::sync::Mutex::new(None),
            limits,
            open: Arc::default(),
        })
    }

    fn take_place(&self, address: String) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.by_address.get(&address).copied().unwrap_or(0);
        if open.total >= self.limits.total || mine >= self.limits.per_address {
            return None;
        }
        open.total += 1;
        *open.by_address.entry(address.clone()).or_default() += 1;
        Some(Place {
            open: self.open.clone(),
            address,
        })
    }

    /// The current counts for a page that subscribed at `subscribed`: a read that began after
    /// that (or one with no change relayed since it began) is exact for it, so it is shared.
    async fn counts_since(&self, subscribed: Instant) -> Option<Arc<str>> {
        let mut snapshot = self.snapshot.lock().await;
        if let Some(last) = snapshot.as_ref()
            && (last.began >= subscribed || last.changes == self.changes.load(Ordering::SeqCst))
        {
            return last.counts.clone();
        }
        let (began, changes) = (Instant::now(), self.changes.load(Ordering::SeqCst));
        let counts = current_counts(&self.pool).await.map(Arc::from);
        *snapshot = Some(Snapshot {
            began,
            changes,
            counts: counts.clone(),
        });
        counts
    }

    /// The first page to subscribe waits until the instance is listening, so a change committed
    /// after its stream opened is never missed.
    async fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender
            .get_or_init(|| async {
                // Slow pages drop old events rather than holding everyone up; they are sent the
                // current counts instead (see `stock_events`).
                let (sender, _) = broadcast::channel(1024);
                let listener = listen(&self.pool).await;
                if listener.is_none() {
                    // Not listening: no read can be known to stay exact.
                    self.changes.fetch_add(1, Ordering::SeqCst);
                }
                tokio::spawn(relay(
                    self.pool.clone(),
                    listener,
                    sender.clone(),
                    self.changes.clone(),
                ));
                sender
            })
            .await
            .subscribe()
    }
}

/// The current count of every item the bazaar shows (live drops, and drops opening within a
/// day), as one event's data, a line per item: the page applies them at once, not one by one
/// (each application wakes the cards). A failed read is logged and sends nothing: the page keeps
/// what it has.
async fn current_counts(pool: &PgPool) -> Option<String> {
    let counts = sqlx::query!(
        r#"SELECT di.id, di.remaining FROM drop_items di JOIN drops d ON d.id = di.drop_id
           WHERE d.cancelled_at IS NULL AND d.ends_at > now()
             AND d.starts_at <= now() + interval '1 day'
           ORDER BY di.id"#
    )
    .fetch_all(pool)
    .await;
    match counts {
        Ok(rows) if rows.is_empty() => None,
        Ok(rows) => Some(
            rows.into_iter()
                .map(|r| format!("{} {}", r.id, r.remaining))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Err(error) => {
            tracing::warn!(%error, "could not read the current stock counts");
            None
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let connected = async {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    connected
        .await
        .inspect_err(|error| tracing::warn!(%error, "could not listen for stock changes"))
        .ok()
}

/// Relays notifications forever. A lost listener is replaced, and since whatever changed in
/// between was never relayed, the current counts are then sent to every page.
async fn relay(
    pool: PgPool,
    mut listener: Option<PgListener>,
    sender: broadcast::Sender<String>,
    changes: Arc<AtomicU64>,
) {
    loop {
        if let Some(mut connected) = listener.take() {
            // `try_recv` rather than `recv`: `recv` reconnects by itself and says nothing of
            // the notifications lost meanwhile.
            loop {
                match connected.try_recv().await {
                    Ok(Some(notification)) => {
                        if let Some(line) = event_line(notification.payload()) {
                            changes.fetch_add(1, Ordering::SeqCst);
                            // No subscribers is fine: nobody is looking right now.
                            let _ = sender.send(line);
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("lost the stock-change listener");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "stock-change listener failed");
                        break;
                    }
                }
            }
        }
        // Changes while not listening are never relayed: no earlier read stays exact.
        changes.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        listener = listen(&pool).await;
        if listener.is_some() {
            tracing::info!("listening for stock changes again; sending the current counts");
            if let Some(counts) = current_counts(&pool).await {
                let _ = sender.send(counts);
            }
        }
    }
}

/// `{"item": 12, "remaining": 4}` → `12 4`, the compact form the browser parses.
fn event_line(payload: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    Some(format!(
        "{} {}",
        value["item"].as_i64()?,
        value["remaining"].as_i64()?
    ))
}

/// One page's stream: the current counts if they are due, then whatever the relay sends.
struct PageStream {
    feed: Arc<StockFeed>,
    receiver: broadcast::Receiver<String>,
    waiting: Option<Arc<str>>,
    _place: Place,
}

pub async fn stock_events(
    Extension(feed): Extension<Arc<StockFeed>>,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let address = app::infra::caller::client_ip_from(&state.config, Some(peer.ip()), &headers);
    let Some(place) = feed.take_place(address) else {
        return AppError::RateLimited {
            retry_after_secs: 30,
        }
        .into_response();
    };
    // Subscribed before reading, so nothing committed after the read is missed (a change
    // between the two is sent twice, in order: harmless).
    let receiver = feed.subscribe().await;
    let waiting = feed.counts_since(Instant::now()).await;
    let page = PageStream {
        feed,
        receiver,
        waiting,
        _place: place,
    };
    let stream = futures::stream::unfold(page, |mut page| async move {
        loop {
            if let Some(line) = page.waiting.take() {
                return Some((Ok::<_, Infallible>(Event::default().data(&*line)), page));
            }
            match page.receiver.recv().await {
                Ok(line) => return Some((Ok(Event::default().data(line)), page)),
                // The page missed counts it may never be sent again: it skips what is queued
                // for it and gets the current counts instead.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    page.receiver = page.receiver.resubscribe();
                    page.waiting = page.feed.counts_since(Instant::now()).await;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn notifications_become_compact_event_lines() {
        assert_eq!(
            super::event_line(r#"{"item": 12, "remaining": 4}"#).as_deref(),
            Some("12 4")
        );
        assert_eq!(super::event_line("nonsense"), None);
    }
}
