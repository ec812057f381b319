//! The delivery workers' reconciliation sweep, for the delivery layer they own: a pending
//! delivery of a dispatched post with no sign of life for a long time (its
//! `delivery.requested` was lost: a broker outage between publish and queue, a purged
//! queue) is handed out again with the attempt it was at. The claim in `deliver` decides
//! what that copy may do, so a delivery whose message was only slow is never called twice.

use std::sync::Arc;
use std::time::Duration;

use bus::relay::{When, enqueue_delivery};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::messages::{DeliveryRequestedV1, Message};
use serde_json::json;
use store::StoreError;

use crate::app::Ctx;

pub const NAME: &str = "delivery-worker";

pub async fn run(ctx: Arc<Ctx>, config: bus::service::SweepConfig) {
    // A delivery waiting out a retry delay, or an attempt still within its deadline, is
    // not stuck: wait longer than both.
    let floor = chrono::Duration::milliseconds(ctx.config.common.bus.retry_delay_ms as i64)
        + chrono::Duration::from_std(ctx.attempt_bound() * 2).unwrap_or_default();
    let stuck_after = chrono::Duration::seconds(config.stuck_after_s).max(floor);
    loop {
        tokio::time::sleep(Duration::from_millis(config.interval_ms)).await;
        match sweep(&ctx, stuck_after).await {
            Ok(Some(n)) if n > 0 => {
                tracing::warn!(deliveries = n, "reconciliation: re-drove stuck deliveries");
                ctx.relay_wake.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reconciliation sweep failed; next time"),
        }
    }
}

async fn sweep(ctx: &Ctx, stuck_after: chrono::Duration) -> Result<Option<usize>, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let idle_since = Utc::now() - stuck_after;
    conn.transaction::<Option<usize>, StoreError, _>(async |conn| {
        if !store::sweep::take_turn(conn, NAME).await? {
            return Ok(None);
        }
        let idle = store::sweep::idle_deliveries(conn, idle_since, DeliveryRequestedV1::TYPE, 500).await?;
        let mut redriven = Vec::new();
        for d in &idle {
            let Ok(provider) = d.provider.parse() else { continue };
            let task = DeliveryRequestedV1 {
                delivery_id: d.delivery_id,
                post_id: d.post_id,
                provider,
                attempt: d.next_attempt(),
                first_attempt: d.first_attempt(),
                reopen: false,
            };
            enqueue_delivery(conn, &ctx.names, &task, When::Now).await?;
            store::sweep::mark_redriven(conn, d.delivery_id).await?;
            redriven.push(d.delivery_id);
        }
        if !redriven.is_empty() {
            metrics::counter!("postmantis_reconciled_total", "what" => "lost delivery.requested")
                .increment(redriven.len() as u64);
        }
        let found = json!({
            "deliveries_redriven": redriven.len(),
            "delivery_ids": redriven.iter().take(20).collect::<Vec<_>>(),
        });
        store::sweep::record(conn, NAME, &found).await?;
        Ok(Some(redriven.len()))
    })
    .await
}
