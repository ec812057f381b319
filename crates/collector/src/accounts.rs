//! Account figures: every active profile has a job, due at once when it is connected and
//! then every `account_every_s` (a day). A read appends a snapshot of the account's
//! followers and posts; a failed one is tried again later, doubling, like post figures.

use std::sync::Arc;

use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::ProfileId;
use futures_util::StreamExt;
use store::StoreError;
use tokio::sync::Notify;

use crate::app::Ctx;

pub async fn run(ctx: Arc<Ctx>, stop: Arc<Notify>) {
    crate::rounds::repeat("accounts", &ctx.config, stop, || round(&ctx)).await;
}

async fn round(ctx: &Ctx) -> Result<usize, StoreError> {
    let lease = chrono::Duration::milliseconds(ctx.config.lease_ms);
    let due = {
        let mut conn = ctx.pool.get().await?;
        store::account_figures::enroll(&mut conn).await?;
        store::account_figures::claim(&mut conn, ctx.config.batch, lease).await?
    };
    let n = due.len();
    futures_util::stream::iter(due)
        .for_each_concurrent(ctx.config.concurrency.max(1), |id| async move {
            if let Err(e) = read(ctx, id).await {
                tracing::warn!(profile_id = %id, error = %e, "account figures read");
            }
        })
        .await;
    Ok(n)
}

async fn read(ctx: &Ctx, id: ProfileId) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    // A deleted profile took its job with it.
    let Some(profile) = store::profiles::by_id(&mut conn, id).await? else { return Ok(()) };
    drop(conn);
    let provider = profile.provider;
    let account = crate::caps::account(ctx, &profile);
    let result = crate::caps::held(ctx, provider, id, ctx.providers.account_metrics(provider, &account)).await?;
    let mut conn = ctx.pool.get().await?;
    let Some(result) = result else { return store::account_figures::unclaim(&mut conn, id).await };
    match result {
        Ok(snap) => {
            let next = Utc::now() + chrono::Duration::seconds(ctx.config.account_every_s.max(1));
            conn.transaction::<(), StoreError, _>(async |conn| {
                store::account_figures::record(conn, &profile, &snap, next).await
            })
            .await?;
            let kind = if snap.is_partial() { "partial" } else { "complete" };
            metrics::counter!("postmantis_account_snapshots_total", "provider" => provider.as_str(), "kind" => kind)
                .increment(1);
        }
        Err(e) => {
            let failures = store::account_figures::failures(&mut conn, id).await?;
            store::account_figures::failed(&mut conn, id, &e.to_string(), crate::caps::retry_at(ctx, failures)).await?;
            metrics::counter!("postmantis_metrics_read_failures_total", "provider" => provider.as_str()).increment(1);
        }
    }
    Ok(())
}
