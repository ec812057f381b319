//! Every media status change, and only here (media-ingest owns the media layer; see
//! `store::transitions`): a post's media become processed once the post is scheduled,
//! or failed when their stored bytes are gone.

use domain::PostId;
use store::transitions::media as media_status;

use crate::app::Ctx;

/// Media whose bytes are still in storage become processed; any whose bytes are gone
/// fail with a message the post read shows.
pub async fn prepare(ctx: &Ctx, post_id: PostId) -> anyhow::Result<()> {
    let mut conn = ctx.pool.get().await?;
    let pending = store::media::pending_of_post(&mut conn, post_id).await?;
    // Most posts have no media, or none left pending: nothing to write.
    if pending.is_empty() {
        return Ok(());
    }
    for (media_id, asset_id) in pending {
        if ctx.storage.size(&storage::asset_key(&asset_id.to_string())).await?.is_none() {
            tracing::error!(%post_id, %asset_id, "a post's media file is missing from storage");
            media_status::mark_failed(
                &mut conn,
                media_id,
                "Media could not be prepared for publishing: its stored file is missing.",
            )
            .await?;
        }
    }
    media_status::mark_processed(&mut conn, post_id).await?;
    Ok(())
}
