use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    models::{AssetRow, NewAsset},
    schema::{media_assets, post_media},
};

pub async fn insert_asset(conn: &mut Conn, a: &NewAsset) -> StoreResult<()> {
    diesel::insert_into(media_assets::table).values(a).execute(conn).await?;
    Ok(())
}

pub async fn asset(conn: &mut Conn, id: Uuid) -> StoreResult<Option<AssetRow>> {
    Ok(media_assets::table.find(id).select(AssetRow::as_select()).first(conn).await.optional()?)
}

/// The assets among `ids` that belong to the workspace.
pub async fn assets_in_workspace(conn: &mut Conn, workspace_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<AssetRow>> {
    Ok(media_assets::table
        .filter(media_assets::workspace_id.eq(workspace_id))
        .filter(media_assets::id.eq_any(ids.to_vec()))
        .select(AssetRow::as_select())
        .load(conn)
        .await?)
}

/// pending → processed for a post's media; returns how many changed.
pub async fn mark_processed(conn: &mut Conn, post_id: Uuid) -> StoreResult<usize> {
    Ok(diesel::update(post_media::table.filter(post_media::post_id.eq(post_id).and(post_media::status.eq("pending"))))
        .set((post_media::status.eq("processed"), post_media::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?)
}
