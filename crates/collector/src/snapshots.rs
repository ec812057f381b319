//! Metrics snapshots: every published delivery gets a job (enrolled here), due on the
//! schedule (`domain::metrics::SnapshotSchedule`) or at once when a refresh asks. A job is
//! claimed, the platform read under the shared caps, and the snapshot appended with the
//! next due time in one transaction; a failed read is tried again later, doubling.

use std::sync::Arc;

use chrono::Utc;
use diesel_async::AsyncConnection;
use futures_util::StreamExt;
use store::{StoreError, metrics::Claimed};
use tokio::sync::Notify;

use crate::app::Ctx;

pub async fn run(ctx: Arc<Ctx>, stop: Arc<Notify>) {
    crate::rounds::repeat("metrics", &ctx.config, stop, || round(&ctx)).await;
}

/// One claim and its reads; how many jobs it took.
async fn round(ctx: &Ctx) -> Result<usize, StoreError> {
    let first = ctx.config.schedule.offsets_s.iter().min().copied().unwrap_or(ctx.config.schedule.every_s);
    let lease = chrono::Duration::milliseconds(ctx.config.lease_ms);
    let jobs = {
        let mut conn = ctx.pool.get().await?;
        let enrolled = store::metrics::enroll(&mut conn, chrono::Duration::seconds(first)).await?;
        if enrolled > 0 {
            tracing::debug!(enrolled, "published deliveries given a metrics schedule");
        }
        store::metrics::claim(&mut conn, ctx.config.batch, lease).await?
    };
    let n = jobs.len();
    futures_util::stream::iter(jobs)
        .for_each_concurrent(ctx.config.concurrency.max(1), |job| async move {
            if let Err(e) = read(ctx, &job).await {
                tracing::warn!(delivery_id = %job.delivery_id, error = %e, "metrics read");
            }
        })
        .await;
    Ok(n)
}

/// Reads one delivery's figures and records them (or the failure).
async fn read(ctx: &Ctx, job: &Claimed) -> Result<(), StoreError> {
    let id = domain::DeliveryId::from(job.delivery_id);
    let mut conn = ctx.pool.get().await?;
    // A deleted post took its deliveries and jobs with it.
    let Some(task) = store::deliveries::load_task(&mut conn, id).await? else { return Ok(()) };
    let d = &task.delivery;
    let (Some(post_id), Some(url), Some(published_at)) = (d.provider_post_id.clone(), d.url.clone(), d.published_at)
    else {
        return store::metrics::stop(&mut conn, id, "the delivery is not published").await;
    };
    drop(conn);
    let provider = d.provider;
    let account = crate::caps::account(ctx, &task.profile);
    let published = providers::Published::new(post_id, url);
    let read = async {
        let started = std::time::Instant::now();
        let result = ctx.providers.metrics(provider, &account, &published).await;
        metrics::histogram!("postmantis_metrics_read_seconds", "provider" => provider.as_str())
            .record(started.elapsed().as_secs_f64());
        result
    };
    let result = crate::caps::held(ctx, provider, task.profile.id, read).await?;
    let mut conn = ctx.pool.get().await?;
    // The profile or provider is at its cap (deliveries go first): next round.
    let Some(result) = result else { return store::metrics::unclaim(&mut conn, id).await };
    match result {
        Ok(snap) => {
            let now = Utc::now();
            let next = ctx.config.schedule.next_due(published_at, now);
            let of = store::metrics::Of {
                delivery_id: id,
                post_id: task.post.id,
                workspace_id: task.post.workspace_id,
                provider,
            };
            let on_demand = job.requested_at.is_some();
            conn.transaction::<(), StoreError, _>(async |conn| {
                store::metrics::record(conn, &of, &snap, on_demand, next).await
            })
            .await?;
            let kind = if snap.is_partial() { "partial" } else { "complete" };
            metrics::counter!("postmantis_metrics_snapshots_total", "provider" => provider.as_str(), "kind" => kind)
                .increment(1);
            Ok(())
        }
        // Past the end of its schedule, a read that keeps failing is given up, saying why.
        Err(e) if ctx.config.schedule.next_due(published_at, Utc::now()).is_none() => {
            store::metrics::stop(&mut conn, id, &e.to_string()).await?;
            metrics::counter!("postmantis_metrics_read_failures_total", "provider" => provider.as_str()).increment(1);
            Ok(())
        }
        Err(e) => {
            let failures = store::metrics::failures(&mut conn, id).await?;
            store::metrics::failed(&mut conn, id, &e.to_string(), crate::caps::retry_at(ctx, failures)).await?;
            metrics::counter!("postmantis_metrics_read_failures_total", "provider" => provider.as_str()).increment(1);
            Ok(())
        }
    }
}
