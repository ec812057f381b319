//! The scheduler's reconciliation sweep, for the post layer it owns: a post still
//! `pending` long after it was accepted (its `post.accepted` was lost) is accepted again;
//! a dispatched post whose deliveries all settled long ago but never completed (its last
//! `delivery.settled` was lost) is checked again. Both go through the same messages and
//! conditional transitions as the first time, so a sweep that races the real message
//! changes nothing twice.

use std::sync::Arc;
use std::time::Duration;

use bus::relay::enqueue_event;
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::messages::{DeliverySettledV1, Message, PostAcceptedV1};
use serde_json::json;
use store::StoreError;

use crate::app::Ctx;

pub const NAME: &str = "scheduler";

pub async fn run(ctx: Arc<Ctx>, config: bus::service::SweepConfig) {
    loop {
        tokio::time::sleep(Duration::from_millis(config.interval_ms)).await;
        match sweep(&ctx, chrono::Duration::seconds(config.stuck_after_s)).await {
            Ok(Some((accepted, settled))) if accepted + settled > 0 => {
                tracing::warn!(accepted, settled, "reconciliation: re-drove stuck posts");
                ctx.relay_wake.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reconciliation sweep failed; next time"),
        }
    }
}

/// One pass; `None` when another scheduler has the turn.
async fn sweep(ctx: &Ctx, stuck_after: chrono::Duration) -> Result<Option<(usize, usize)>, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let idle_since = Utc::now() - stuck_after;
    conn.transaction::<Option<(usize, usize)>, StoreError, _>(async |conn| {
        if !store::sweep::take_turn(conn, NAME).await? {
            return Ok(None);
        }
        let pending = store::sweep::pending_posts(conn, idle_since, PostAcceptedV1::TYPE, 500).await?;
        for p in &pending {
            enqueue_event(conn, &ctx.names, &PostAcceptedV1 { post_id: p.post_id, workspace_id: p.workspace_id })
                .await?;
            store::sweep::mark_post_redriven(conn, p.post_id).await?;
        }
        let open = store::sweep::settled_but_open(conn, idle_since, 500).await?;
        for p in &open {
            let status = p.status;
            enqueue_event(conn, &ctx.names, &DeliverySettledV1 { delivery_id: p.delivery_id, post_id: p.post_id, status })
                .await?;
        }
        for (kind, n) in [("lost post.accepted", pending.len()), ("lost delivery.settled", open.len())] {
            if n > 0 {
                metrics::counter!("postmantis_reconciled_total", "what" => kind).increment(n as u64);
            }
        }
        let found = json!({
            "pending_posts_reaccepted": pending.len(),
            "settled_posts_rechecked": open.len(),
            "post_ids": pending.iter().map(|p| p.post_id).chain(open.iter().map(|p| p.post_id)).take(20).collect::<Vec<_>>(),
        });
        store::sweep::record(conn, NAME, &found).await?;
        Ok(Some((pending.len(), open.len())))
    })
    .await
}
