//! Removes what was never used: expired upload sessions with their staged bytes, and
//! imported or multipart assets that no post took within the grace period.

use std::sync::Arc;
use std::time::Duration;

use crate::app::Ctx;

pub async fn run(ctx: Arc<Ctx>) {
    let every = Duration::from_millis(ctx.config.janitor_interval_ms);
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = sweep(&ctx).await {
            tracing::warn!(error = %e, "media janitor");
        }
    }
}

async fn sweep(ctx: &Ctx) -> anyhow::Result<()> {
    let mut conn = ctx.pool.get().await?;
    let expired = store::media::take_expired_uploads(&mut conn, 500).await?;
    for id in &expired {
        ctx.storage.delete(&storage::staging_key(&id.to_string())).await?;
    }
    let grace = chrono::Duration::seconds(ctx.config.orphan_grace_s);
    let orphans = store::media::take_orphans(&mut conn, grace, None).await?;
    for a in &orphans {
        ctx.storage.delete(&storage::asset_key(&a.id.to_string())).await?;
    }
    // Staged bytes nobody will complete: not a live upload session's.
    let mut stale = 0;
    for id in ctx.storage.staged_before(chrono::Utc::now() - grace).await? {
        let live = match uuid::Uuid::parse_str(&id) {
            Ok(uid) => store::media::upload(&mut conn, uid)
                .await?
                .is_some_and(|u| u.status == "pending" && u.expires_at > chrono::Utc::now()),
            Err(_) => false,
        };
        if !live {
            ctx.storage.delete(&storage::staging_key(&id)).await?;
            stale += 1;
        }
    }
    if !expired.is_empty() || !orphans.is_empty() || stale > 0 {
        tracing::info!(
            expired_uploads = expired.len(),
            orphan_assets = orphans.len(),
            stale_staged = stale,
            "removed unused media"
        );
    }
    Ok(())
}
