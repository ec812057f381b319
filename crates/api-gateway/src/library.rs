//! The workspace's media library: files kept until deleted (origin `library`), each an
//! owned asset verified and stored by media-ingest. The agency surface's uploads and
//! registrations and the assistant's images land here.

use std::time::Duration;

use domain::WorkspaceId;
use domain::messages::{MediaCommandV1, MediaReplyV1};
use store::models::AssetRow;
use uuid::Uuid;

use crate::{app::AppState, error::ApiError};

/// What the library takes (the seed's list).
pub const MIME_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime"];

/// Has media-ingest own a file; `field` names it in a refusal.
pub async fn ingest(state: &AppState, cmd: MediaCommandV1, field: &str) -> Result<Uuid, ApiError> {
    let timeout = Duration::from_millis(state.config.ingest_timeout_ms);
    let reply = state.rpc.call::<_, MediaReplyV1>(&state.names.media_rpc(), &cmd, timeout).await?;
    match reply {
        MediaReplyV1::Ingested { asset_id, .. } => Ok(asset_id),
        MediaReplyV1::Refused { message } | MediaReplyV1::NotReady { detail: message } => {
            Err(ApiError::field(field, format!("the file was refused: {message}")))
        }
        MediaReplyV1::Done => Err(ApiError::field(field, "the file was not stored")),
    }
}

/// Keeps a new asset in the library if it is of a type the library takes; else discards it.
pub async fn keep(
    state: &AppState,
    workspace: WorkspaceId,
    id: Uuid,
    alt: Option<&str>,
    filename: Option<&str>,
    field: &str,
) -> Result<AssetRow, ApiError> {
    let mut conn = state.pool.get().await?;
    let asset = store::media::asset_in(&mut conn, workspace, id).await?;
    if asset.as_ref().is_none_or(|a| !MIME_TYPES.contains(&a.content_type.as_str())) {
        drop(conn);
        let mut staged = posting::Staged::default();
        staged.push(id);
        state.posting.discard(staged).await;
        let found = asset.map(|a| a.content_type).unwrap_or_default();
        return Err(ApiError::field(
            field,
            format!("file type {found} is not allowed; allowed: {}", MIME_TYPES.join(", ")),
        ));
    }
    store::media::keep_in_library(&mut conn, workspace, id, alt, filename)
        .await?
        .ok_or(ApiError::NotFound(crate::error::Missing::MediaAsset))
}

/// A file from a URL (media-ingest's guarded import), kept in the library.
pub async fn import(
    state: &AppState,
    workspace: WorkspaceId,
    url: &str,
    alt: Option<&str>,
    filename: Option<&str>,
    field: &str,
) -> Result<AssetRow, ApiError> {
    let id =
        ingest(state, MediaCommandV1::IngestRemote { workspace_id: workspace, url: url.to_owned() }, field).await?;
    keep(state, workspace, id, alt, filename, field).await
}

/// Bytes in hand (an image a model returned inline), staged, verified and kept.
pub async fn store_bytes(
    state: &AppState,
    workspace: WorkspaceId,
    bytes: Vec<u8>,
    filename: &str,
    field: &str,
) -> Result<AssetRow, ApiError> {
    let staged_id = Uuid::now_v7();
    let key = storage::staging_key(&staged_id.to_string());
    let chunks = futures_util::stream::iter([Ok::<_, String>(bytes::Bytes::from(bytes))]);
    state.storage.write_stream(&key, chunks, state.config.max_upload_bytes).await?;
    let cmd = MediaCommandV1::IngestStaged { workspace_id: workspace, staged_id, filename: Some(filename.to_owned()) };
    let id = match ingest(state, cmd, field).await {
        Ok(id) => id,
        Err(e) => {
            let _ = state.storage.delete(&key).await;
            return Err(e);
        }
    };
    keep(state, workspace, id, None, Some(filename), field).await
}
