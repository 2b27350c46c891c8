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
//! listening), after the instance lost its listener, and when the page fell behind.

use axum::Extension;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::Stream;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OnceCell, broadcast};

pub const CHANNEL: &str = "bazaar_stock";

/// The instance's relay from PostgreSQL to open pages.
pub struct StockFeed {
    pool: PgPool,
    sender: OnceCell<broadcast::Sender<String>>,
}

impl StockFeed {
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Self {
            pool,
            sender: OnceCell::new(),
        })
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
                tokio::spawn(relay(self.pool.clone(), listener, sender.clone()));
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
async fn relay(pool: PgPool, mut listener: Option<PgListener>, sender: broadcast::Sender<String>) {
    loop {
        if let Some(mut connected) = listener.take() {
            // `try_recv` rather than `recv`: `recv` reconnects by itself and says nothing of
            // the notifications lost meanwhile.
            loop {
                match connected.try_recv().await {
                    Ok(Some(notification)) => {
                        if let Some(line) = event_line(notification.payload()) {
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
    waiting: Option<String>,
}

pub async fn stock_events(
    Extension(feed): Extension<Arc<StockFeed>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribed before reading, so nothing committed after the read is missed (a change
    // between the two is sent twice, in order: harmless).
    let receiver = feed.subscribe().await;
    let waiting = current_counts(&feed.pool).await;
    let page = PageStream {
        feed,
        receiver,
        waiting,
    };
    let stream = futures::stream::unfold(page, |mut page| async move {
        loop {
            if let Some(line) = page.waiting.take() {
                return Some((Ok(Event::default().data(line)), page));
            }
            match page.receiver.recv().await {
                Ok(line) => return Some((Ok(Event::default().data(line)), page)),
                // The page missed counts it may never be sent again: it skips what is queued
                // for it and gets the current counts instead.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    page.receiver = page.receiver.resubscribe();
                    page.waiting = current_counts(&page.feed.pool).await;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
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
