//! CPU-heavy work that must not slow a drop: fitting the insights models and scoring every
//! member take seconds of a core. It runs on a thread of its own at the lowest CPU priority
//! (`nice` 19; on Linux a thread's priority is its own), so the async workers answering
//! redemptions and PostgreSQL get the cores first and the work takes what is left.

use crate::AppError;

/// Runs `work` on a fresh low-priority thread and waits for it without blocking the async
/// workers.
pub async fn low_priority<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("bazaar-{what}"))
        .spawn(move || {
            lower_this_threads_priority();
            let _ = tx.send(work());
        })
        .map_err(|e| AppError::internal(what, e))?;
    rx.await
        .map_err(|_| AppError::internal(what, "the worker thread ended without an answer"))
}

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: gettid and setpriority take no pointers; a failure only leaves the priority as
    // it was, which is logged.
    let failed = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) != 0
    };
    if failed {
        tracing::warn!("could not lower a background thread's CPU priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}
