//! The loop every job kind runs: claim a batch and read it; when the batch was not full,
//! wait for the poll interval (or the stop signal) before the next one.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use store::StoreError;
use tokio::sync::Notify;

use crate::config::Config;

/// Runs `round` (one claim and its reads, answering how many jobs it took) until `stop`.
pub async fn repeat<F, Fut>(kind: &'static str, config: &Config, stop: Arc<Notify>, round: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<usize, StoreError>>,
{
    let poll = Duration::from_millis(config.poll_interval_ms);
    let full = usize::try_from(config.batch).unwrap_or(usize::MAX);
    loop {
        let stopping = stop.notified();
        let found = round().await.unwrap_or_else(|e| {
            tracing::warn!(kind, error = %e, "collector round");
            0
        });
        // A full batch means more is due: go again at once.
        if found < full {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stopping => return,
            }
        }
    }
}
