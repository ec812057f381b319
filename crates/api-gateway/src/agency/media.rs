//! The media library: files uploaded (`POST /media/upload`) or registered from a URL
//! (`POST /media`), owned like every asset (verified and stored by media-ingest), kept
//! until deleted, and used in posts by their `url`.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::messages::MediaCommandV1;
use futures_util::StreamExt;
use serde_json::{Value, json};
use store::models::AssetRow;
use uuid::Uuid;

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok, page},
    query,
};
use crate::{app::AppState, error::ApiError, library};

pub use crate::library::MIME_TYPES;
/// The seed's size limit.
pub const MAX_BYTES: u64 = 512 * 1024 * 1024;
const MAX_ALT: usize = 1_000;

pub fn view(a: &AssetRow, public_url: &str) -> Value {
    json!({
        "id": a.id,
        "orgId": a.workspace_id,
        "url": format!("{}/media/{}", public_url.trim_end_matches('/'), a.id),
        "storagePath": a.storage_key,
        "mimeType": a.content_type,
        "type": a.kind,
        "altText": a.alt_text,
        "originalFilename": a.filename,
        "originalUrl": a.source_url,
        "size": a.size_bytes,
        "width": a.width,
        "height": a.height,
        "durationMs": a.duration_ms,
        "status": "ready",
        "createdAt": a.created_at,
    })
}

fn media_id(raw: &str) -> AgencyResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AgencyError::not_found("media not found"))
}

/// `POST /media/upload`: multipart `file` (required) and `altText`.
pub async fn upload(
    state: web::Data<AppState>,
    org: Org,
    mut form: actix_multipart::Multipart,
) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    let mut staged: Option<(Uuid, Option<String>)> = None;
    let mut alt: Option<String> = None;
    let limit = state.config.max_upload_bytes.min(MAX_BYTES);
    let result: AgencyResult<()> = async {
        while let Some(field) = form.next().await {
            let mut field = field
                .map_err(|e| AgencyError::bad_request(format!("Validation error: the form could not be read: {e}")))?;
            let name = field.name().unwrap_or("").to_owned();
            match name.as_str() {
                "file" if staged.is_none() => {
                    let declared = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
                    if !declared.is_empty()
                        && declared != "application/octet-stream"
                        && !MIME_TYPES.contains(&declared.as_str())
                    {
                        return Err(AgencyError::bad_request(format!(
                            "Validation error: file type {declared} is not allowed; allowed: {}",
                            MIME_TYPES.join(", ")
                        )));
                    }
                    let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
                    let id = Uuid::now_v7();
                    let key = storage::staging_key(&id.to_string());
                    staged = Some((id, filename));
                    state
                        .storage
                        .write_stream(&key, field.map(|c| c.map_err(|e| e.to_string())), limit)
                        .await
                        .map_err(|e| match e {
                            storage::StorageError::TooLarge { .. } => {
                                AgencyError::new(StatusCode::PAYLOAD_TOO_LARGE, "file exceeds the 512 MB limit")
                            }
                            other => ApiError::from(other).into(),
                        })?;
                }
                "file" => return Err(AgencyError::bad_request("Validation error: one file per upload")),
                _ => {
                    let mut bytes = Vec::new();
                    while let Some(chunk) = field.next().await {
                        let chunk =
                            chunk.map_err(|e| AgencyError::bad_request(format!("Validation error: {name}: {e}")))?;
                        if bytes.len() + chunk.len() > 16 * 1024 {
                            return Err(AgencyError::bad_request(format!("Validation error: {name} is too long")));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    if name == "altText" {
                        let text = String::from_utf8(bytes)
                            .map_err(|_| AgencyError::bad_request("Validation error: altText must be UTF-8"))?;
                        if text.chars().count() > MAX_ALT || text.contains('\0') {
                            return Err(AgencyError::bad_request(
                                "Validation error: altText must be at most 1000 characters",
                            ));
                        }
                        alt = Some(text).filter(|t| !t.trim().is_empty());
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    let discard_staged = |id: Uuid| {
        let state = state.clone();
        async move {
            let _ = state.storage.delete(&storage::staging_key(&id.to_string())).await;
        }
    };
    if let Err(e) = result {
        if let Some((id, _)) = staged {
            discard_staged(id).await;
        }
        return Err(e);
    }
    let Some((staged_id, filename)) = staged else {
        return Err(AgencyError::bad_request("Validation error: file is required (multipart field `file`)"));
    };
    let cmd = MediaCommandV1::IngestStaged { workspace_id: org.org, staged_id, filename: filename.clone() };
    let id = match library::ingest(&state, cmd, "file").await {
        Ok(id) => id,
        Err(e) => {
            discard_staged(staged_id).await;
            return Err(e.into());
        }
    };
    let asset = library::keep(&state, org.org, id, alt.as_deref(), filename.as_deref(), "file").await?;
    Ok(ok(StatusCode::CREATED, view(&asset, &state.config.public_url)))
}

/// `POST /media`: register from `originalUrl` (fetched through media-ingest's guarded import).
pub async fn register(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let url = body
        .get("originalUrl")
        .and_then(Value::as_str)
        .ok_or_else(|| AgencyError::bad_request("Validation error: originalUrl is required"))?;
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > 2048 {
        return Err(AgencyError::bad_request("Validation error: originalUrl must be an absolute http(s) URL"));
    }
    if let Some(t) = body.get("type").filter(|t| !t.is_null())
        && !matches!(t.as_str(), Some("image" | "video" | "gif"))
    {
        return Err(AgencyError::bad_request("Validation error: type must be image, video or gif"));
    }
    let alt = match body.get("altText") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_ALT => Some(s.as_str()),
        Some(_) => {
            return Err(AgencyError::bad_request(
                "Validation error: altText must be a string of at most 1000 characters",
            ));
        }
    };
    let filename = body.get("originalFilename").and_then(Value::as_str);
    let asset = library::import(&state, org.org, url, alt, filename, "originalUrl").await?;
    Ok(ok(StatusCode::CREATED, view(&asset, &state.config.public_url)))
}

pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let kind = q.one("type");
    if kind.is_some_and(|k| !["image", "video", "gif"].contains(&k)) {
        return Err(AgencyError::bad_request("Validation error: type must be image, video or gif"));
    }
    let (page_no, limit) = q.page(50)?;
    let status = q.one("status");
    if status.is_some_and(|s| !["uploading", "processing", "ready", "failed"].contains(&s)) {
        return Err(AgencyError::bad_request(
            "Validation error: status must be uploading, processing, ready or failed",
        ));
    }
    // Files enter the library once stored and verified: every one is ready.
    if status.is_some_and(|s| s != "ready") {
        return Ok(page(Vec::<Value>::new(), 0, page_no, limit));
    }
    let mut conn = state.pool.get().await?;
    let (rows, total) = store::media::library(&mut conn, org.org, kind, limit, (page_no - 1) * limit).await?;
    let data: Vec<Value> = rows.iter().map(|a| view(a, &state.config.public_url)).collect();
    Ok(page(data, total, page_no, limit))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let a = store::media::library_asset(&mut conn, org.org, media_id(&id)?)
        .await?
        .ok_or_else(|| AgencyError::not_found("media not found"))?;
    Ok(ok(StatusCode::OK, view(&a, &state.config.public_url)))
}

/// `DELETE /media/{id}`: refused while a post still to be delivered uses it.
pub async fn delete(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    let id = media_id(&id)?;
    let mut conn = state.pool.get().await?;
    store::media::library_asset(&mut conn, org.org, id)
        .await?
        .ok_or_else(|| AgencyError::not_found("media not found"))?;
    let users = store::media::open_posts_using(&mut conn, id).await?;
    if !users.is_empty() {
        let ids: Vec<String> = users.iter().map(ToString::to_string).collect();
        return Err(AgencyError::conflict(format!(
            "media is used by a post not yet delivered ({}); remove it from the post or delete the post first",
            ids.join(", ")
        )));
    }
    if let Some(gone) = store::media::remove_from_library(&mut conn, org.org, id).await? {
        drop(conn);
        if let Err(e) = state.storage.delete(&storage::asset_key(&gone.id.to_string())).await {
            tracing::warn!(error = %e, asset_id = %gone.id, "could not remove a deleted media file's bytes");
        }
    }
    Ok(ok(StatusCode::OK, json!({"id": id, "deleted": true})))
}
