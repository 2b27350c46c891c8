//! `/api/live/stock`: server-sent events relaying stock changes from PostgreSQL.
//!
//! A trigger calls `pg_notify('bazaar_stock', …)` whenever an item's stock changes, delivered
//! when the transaction commits, to every server instance listening on that database. Each
//! instance holds one listening connection (opened when the first page subscribes) and fans the
//! notifications out to its pages over a broadcast channel.

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

    async fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender
            .get_or_init(|| async {
                // Slow pages drop old events rather than holding everyone up; their next event
                // (or the fallback refresh) brings them up to date.
                let (sender, _) = broadcast::channel(1024);
                tokio::spawn(relay(self.pool.clone(), sender.clone()));
                sender
            })
            .await
            .subscribe()
    }
}

/// Listens for notifications forever, reconnecting after a lost connection.
async fn relay(pool: PgPool, sender: broadcast::Sender<String>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(error) = listener.listen(CHANNEL).await {
                    tracing::warn!(%error, "could not listen for stock changes");
                } else {
                    while let Ok(notification) = listener.recv().await {
                        if let Some(line) = event_line(notification.payload()) {
                            // No subscribers is fine: nobody is looking right now.
                            let _ = sender.send(line);
                        }
                    }
                    tracing::warn!("lost the stock-change listener; reconnecting");
                }
            }
            Err(error) => tracing::warn!(%error, "could not connect the stock-change listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
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

pub async fn stock_events(
    Extension(feed): Extension<Arc<StockFeed>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = feed.subscribe().await;
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(line) => return Some((Ok(Event::default().data(line)), receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
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
