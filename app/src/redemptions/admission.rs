//! The admission gate in front of the redeem transaction.
//!
//! Every redemption of one drop item ends on the same row (`drop_items.remaining`), whose lock
//! is held through each commit's WAL flush. Letting hundreds of requests queue on that lock
//! inside Postgres makes throughput fall as the crowd grows (each waiter holds a connection and
//! is woken in turn), and the last ones time out. So this server lets only a few redemptions
//! of an item into the database at once, keeps a bounded line for the rest, and answers anyone
//! beyond the line, or anyone who waited too long, at once with 429 "busy" and `Retry-After`.
//! Correctness never depends on the gate: the row lock and the conditional UPDATE still decide,
//! so several servers sharing one database stay exact; each just bounds its own share.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppError;

/// How the gate is sized; `Default` is what the server runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Redemptions of one item inside the database at once, per server.
    pub in_flight: usize,
    /// Requests allowed to wait their turn, per item, per server.
    pub waiting: usize,
    /// The longest anyone waits before hearing "busy".
    pub max_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            in_flight: 4,
            waiting: 512,
            max_wait: Duration::from_secs(2),
        }
    }
}

struct Gate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
}

#[derive(Clone)]
pub struct Admission {
    limits: Limits,
    // One gate per drop item, created on first use. Items are few (tens per drop) and the map
    // is only touched to find the gate, so a plain mutex is enough.
    gates: Arc<Mutex<HashMap<i64, Arc<Gate>>>>,
}

impl Default for Admission {
    fn default() -> Self {
        Admission::new(Limits::default())
    }
}

/// Being inside: dropped when the redemption is done, letting the next one in.
pub struct Admitted(#[expect(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

/// Waits on the line; counted while it exists, so an abandoned request frees its place.
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Admission {
            limits,
            gates: Arc::default(),
        }
    }

    fn gate(&self, item_id: i64) -> Arc<Gate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(item_id)
            .or_insert_with(|| {
                Arc::new(Gate {
                    permits: Arc::new(Semaphore::new(self.limits.in_flight)),
                    waiting: AtomicUsize::new(0),
                })
            })
            .clone()
    }

    /// Enters the gate for `item_id`, or says "busy" without delay when the line is full, or
    /// after `max_wait` in it.
    pub async fn enter(&self, item_id: i64) -> Result<Admitted, AppError> {
        let gate = self.gate(item_id);
        if let Ok(permit) = gate.permits.clone().try_acquire_owned() {
            return Ok(Admitted(permit));
        }
        if gate.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.waiting {
            gate.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy);
        }
        let _in_line = InLine(&gate.waiting);
        match tokio::time::timeout(self.limits.max_wait, gate.permits.clone().acquire_owned()).await
        {
            Ok(Ok(permit)) => Ok(Admitted(permit)),
            _ => Err(AppError::Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_line_the_answer_is_busy_at_once_and_the_line_moves_on() {
        let admission = Admission::new(Limits {
            in_flight: 1,
            waiting: 1,
            max_wait: Duration::from_millis(200),
        });
        let inside = admission.enter(7).await.unwrap();
        // Another item has its own gate.
        let _other = admission.enter(8).await.unwrap();
        let waiting = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.enter(7).await.is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = std::time::Instant::now();
        assert!(matches!(admission.enter(7).await, Err(AppError::Busy)));
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused without waiting"
        );
        drop(inside);
        assert!(
            waiting.await.unwrap(),
            "the one in line got in when the first left"
        );
    }

    #[tokio::test]
    async fn waiting_too_long_is_busy() {
        let admission = Admission::new(Limits {
            in_flight: 1,
            waiting: 10,
            max_wait: Duration::from_millis(30),
        });
        let _inside = admission.enter(1).await.unwrap();
        assert!(matches!(admission.enter(1).await, Err(AppError::Busy)));
    }
}
