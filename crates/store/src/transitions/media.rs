//! The media layer's transitions: media-ingest's alone (feature `media-transitions`).

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::MediaStatus;
use domain::PostId;
use uuid::Uuid;

use crate::{Conn, StoreResult, schema::post_media};

const PROCESS: (MediaStatus, MediaStatus) = MediaStatus::edge(MediaStatus::Pending, MediaStatus::Processed);
const FAIL: (MediaStatus, MediaStatus) = MediaStatus::edge(MediaStatus::Pending, MediaStatus::Failed);

/// pending → failed, with the reason the media could not be prepared.
pub async fn mark_failed(conn: &mut Conn, media_id: Uuid, message: &str) -> StoreResult<bool> {
    let (from, to) = FAIL;
    let n = diesel::update(post_media::table.filter(post_media::id.eq(media_id).and(post_media::status.eq(from))))
        .set((post_media::status.eq(to), post_media::error_message.eq(message), post_media::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// pending → processed for a post's media; returns how many changed.
pub async fn mark_processed(conn: &mut Conn, post_id: PostId) -> StoreResult<usize> {
    let (from, to) = PROCESS;
    Ok(diesel::update(post_media::table.filter(post_media::post_id.eq(post_id).and(post_media::status.eq(from))))
        .set((post_media::status.eq(to), post_media::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?)
}
