//! From staged bytes to an owned asset: the type proven by the bytes (and matching what
//! was declared), the size as declared, inspection stored with the asset, then the bytes
//! promoted to their final key. Anything refused is removed from staging.

use domain::WorkspaceId;
use store::models::NewAsset;
use uuid::Uuid;

use crate::app::Ctx;

/// What an upload session promised.
pub struct Declared<'a> {
    pub content_type: &'a str,
    pub size: u64,
}

/// The asset's row, or why the bytes cannot be one.
pub type Verdict = Result<NewAsset, String>;

fn same_type(declared: &str, actual: &str) -> bool {
    let declared = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    declared == actual || (declared == "image/jpg" && actual == "image/jpeg")
}

/// Verifies the staged bytes of `id` and promotes them to the asset `id`. Infrastructure
/// failures are `Err` (the request is retried); refusals are `Ok(Err(reason))`.
pub async fn make_asset(
    ctx: &Ctx,
    workspace_id: WorkspaceId,
    id: Uuid,
    origin: &str,
    source_url: Option<String>,
    declared: Option<Declared<'_>>,
) -> anyhow::Result<Verdict> {
    let staged = storage::staging_key(&id.to_string());
    let Some(size) = ctx.storage.size(&staged).await? else {
        return Ok(Err("no bytes were received".into()));
    };
    let refuse = |reason: String| async {
        ctx.storage.delete(&staged).await?;
        Ok::<Verdict, anyhow::Error>(Err(reason))
    };
    if size == 0 {
        return refuse("the file is empty (0 bytes)".into()).await;
    }
    if let Some(d) = &declared
        && d.size != size
    {
        return refuse(format!("received {size} bytes but size_bytes declared {}", d.size)).await;
    }
    let Some(found) = ctx.storage.inspect(&staged, size).await? else {
        return refuse("the bytes are not a supported image or video (PNG, JPEG, GIF, WebP, MP4, MOV)".into()).await;
    };
    if let Some(d) = &declared
        && !same_type(d.content_type, found.content_type)
    {
        return refuse(format!("declared {} but the bytes are {}", d.content_type, found.content_type)).await;
    }
    let digest = ctx.storage.digest(&staged).await?;
    ctx.storage.promote(&staged, &storage::asset_key(&id.to_string())).await?;
    Ok(Ok(NewAsset {
        id,
        workspace_id,
        storage_key: storage::asset_key(&id.to_string()).to_string(),
        content_type: found.content_type.to_owned(),
        size_bytes: size as i64,
        sha256: digest.sha256,
        source_url,
        kind: found.kind.as_str().to_owned(),
        width: found.width.map(|w| w as i32),
        height: found.height.map(|h| h as i32),
        duration_ms: found.duration_ms.map(|d| d as i64),
        origin: origin.to_owned(),
    }))
}
