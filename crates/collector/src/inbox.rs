//! The inbox: every active profile whose platform has one is polled every
//! `inbox_every_s` (or at once when a poll is asked for), after the cursors the last read
//! returned. What a read finds and its new cursors are stored in one transaction, and
//! items are known once per (profile, platform item): a poll repeated after a crash, or a
//! second replica's, stores nothing twice.

use std::sync::Arc;

use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::ProfileId;
use futures_util::StreamExt;
use store::StoreError;
use tokio::sync::Notify;

use crate::app::Ctx;

/// How many of an account's latest posts have their comments read (Graph API platforms).
const RECENT_POSTS: i64 = 25;

pub async fn run(ctx: Arc<Ctx>, stop: Arc<Notify>) {
    crate::rounds::repeat("inbox", &ctx.config, stop, || round(&ctx)).await;
}

async fn round(ctx: &Ctx) -> Result<usize, StoreError> {
    let lease = chrono::Duration::milliseconds(ctx.config.lease_ms);
    let with_inbox: Vec<&str> = ctx.providers.with_inbox().iter().map(|p| p.as_str()).collect();
    let due = {
        let mut conn = ctx.pool.get().await?;
        store::inbox::enroll(&mut conn, &with_inbox).await?;
        store::inbox::claim(&mut conn, ctx.config.batch, lease, None).await?
    };
    let n = due.len();
    futures_util::stream::iter(due)
        .for_each_concurrent(ctx.config.concurrency.max(1), |id| async move {
            if let Err(e) = poll(ctx, id).await {
                tracing::warn!(profile_id = %id, error = %e, "inbox poll");
            }
        })
        .await;
    Ok(n)
}

async fn poll(ctx: &Ctx, id: ProfileId) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    // A deleted profile took its poll with it.
    let Some(profile) = store::profiles::by_id(&mut conn, id).await? else { return Ok(()) };
    let Some(job) = store::inbox::poll_of(&mut conn, id).await? else { return Ok(()) };
    let posts = store::inbox::recent_posts(&mut conn, id, RECENT_POSTS).await?;
    drop(conn);
    let read = providers::InboxRead {
        cursors: job.cursors.as_object().cloned().unwrap_or_default(),
        posts: posts.into_iter().map(|(pid, url)| providers::Published::new(pid, url)).collect(),
    };
    let provider = profile.provider;
    let account = crate::caps::account(ctx, &profile);
    let result = crate::caps::held(ctx, provider, id, ctx.providers.inbox(provider, &account, &read)).await?;
    let mut conn = ctx.pool.get().await?;
    let Some(result) = result else { return store::inbox::unclaim(&mut conn, id).await };
    match result {
        Ok(page) => {
            let next = Utc::now() + chrono::Duration::seconds(ctx.config.inbox_every_s.max(1));
            let rows = posting::inbox::rows_of(&profile, &page.items, "poll");
            let cursors = serde_json::Value::Object(page.cursors);
            let stored = conn
                .transaction::<usize, StoreError, _>(async |conn| {
                    let new = store::inbox::ingest(conn, &rows).await?;
                    store::inbox::polled(conn, id, &cursors, next).await?;
                    Ok(new.len())
                })
                .await?;
            metrics::counter!("postmantis_inbox_items_total", "provider" => provider.as_str(), "source" => "poll")
                .increment(stored as u64);
            tracing::debug!(profile_id = %id, found = rows.len(), stored, "inbox polled");
        }
        Err(e) => {
            let failures = job.failures;
            store::inbox::poll_failed(&mut conn, id, &e.to_string(), crate::caps::retry_at(ctx, failures)).await?;
            metrics::counter!("postmantis_inbox_poll_failures_total", "provider" => provider.as_str()).increment(1);
        }
    }
    Ok(())
}
