//! Graceful shutdown for the worker services: on SIGTERM (or Ctrl-C) consumers stop taking
//! messages, handlers in flight finish and acknowledge, the outbox is flushed, and the
//! process exits. Messages received but not started go back to their queue.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Lifecycle {
    pub(crate) stop: CancellationToken,
    pub(crate) in_flight: TaskTracker,
}

impl Lifecycle {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Stops consuming and waits up to `grace` for the handlers in flight.
    pub async fn stop(&self, grace: Duration) {
        self.stop.cancel();
        self.in_flight.close();
        let n = self.in_flight.len();
        if n > 0 {
            tracing::info!(in_flight = n, "waiting for handlers in flight");
        }
        if tokio::time::timeout(grace, self.in_flight.wait()).await.is_err() {
            tracing::warn!(left = self.in_flight.len(), "grace period over; unfinished messages will be redelivered");
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
