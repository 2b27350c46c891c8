//! Accepting connections, with bounds a stranger cannot push past: at most `max_connections`
//! open at once (beyond that a new connection is closed at once, before anything is read or
//! rendered for it), and a connection that has not sent its request headers within
//! `header_read_timeout` is closed (a slow-headers client would otherwise hold its place
//! forever). `axum::serve` has neither setting, so connections are served with hyper-util
//! directly, as axum does inside.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            // Within a default open-files limit raised as the README says (ulimit -n 65536),
            // leaving room for the database connections and files.
            max_connections: 50_000,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `stop` resolves; then stops accepting, lets requests in
/// progress finish for up to five seconds (an open live-stock stream never finishes by
/// itself), and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(place) = places.clone().try_acquire_owned() else {
            // Shed at the door: closing costs nothing, serving would cost everyone.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app
            .clone()
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(app))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(place);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("closed connections still open after 5 s (live-stock streams)");
    }
}
