//! Upload sessions (contract [A]): declare the file, PUT the bytes to `upload_url`,
//! complete. Completion is media-ingest's: it checks the size and the real type from the
//! bytes before the session's id becomes an asset.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use domain::messages::{MediaCommandV1, MediaReplyV1};
use store::models::UploadRow;
use uuid::Uuid;

use crate::{
    app::AppState,
    auth::{Caller, hash_key, mint_key},
    error::{ApiError, ApiResult},
    routes::request::{path_id, small_json},
    views::{self, Envelope},
};

pub const ACCEPTED_TYPES: &[&str] =
    &["image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/quicktime"];

/// `POST /api/uploads`: `{filename, content_type, size_bytes}`.
#[utoipa::path(
    post, path = "/api/uploads", operation_id = "create_media_asset", tag = "media", params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::NewUpload),
    responses((status = 201, description = "Where to PUT the bytes", body = views::Envelope<views::Upload>), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 413, description = "Larger than allowed", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON, or a type no platform takes", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let body = small_json(&req, payload).await?;
    let mut errors = Vec::new();
    let mut fail = |f: &str, m: String| errors.push(domain::input::FieldError::new(f, m));
    let known = ["filename", "content_type", "size_bytes"];
    if let Some(obj) = body.as_object() {
        for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            fail(k, format!("unknown field; allowed: {}", known.join(", ")));
        }
    }
    let filename = body["filename"].as_str().map(str::trim).unwrap_or("");
    if filename.is_empty() || filename.chars().count() > 255 || filename.contains(['/', '\\', '\0']) {
        fail("filename", "must be a file name of 1 to 255 characters without path separators".into());
    }
    let content_type = body["content_type"].as_str().unwrap_or("").to_ascii_lowercase();
    let content_type = if content_type == "image/jpg" { "image/jpeg".to_owned() } else { content_type };
    if !ACCEPTED_TYPES.contains(&content_type.as_str()) {
        fail("content_type", format!("must be one of {}", ACCEPTED_TYPES.join(", ")));
    }
    let max = state.config.max_upload_bytes;
    let size = body["size_bytes"].as_i64().unwrap_or(0);
    if size < 1 || size as u64 > max {
        fail("size_bytes", format!("must be an integer from 1 to {max}"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let id = Uuid::now_v7();
    let (token, _, token_hash) = mint_key();
    let ttl = state.config.upload_ttl_s;
    let row = UploadRow {
        id,
        workspace_id: caller.scope.workspace_id,
        filename: filename.to_owned(),
        content_type,
        size_bytes: size,
        token_hash,
        status: "pending".into(),
        expires_at: Utc::now() + chrono::Duration::seconds(ttl),
        created_at: Utc::now(),
        completed_at: None,
    };
    let staged = storage::staging_key(&id.to_string());
    let url = match state.storage.presigned_put(&staged, Duration::from_secs(ttl as u64)).await? {
        Some(presigned) => presigned,
        None => format!("{}/uploads/{id}?token={token}", state.config.public_url.trim_end_matches('/')),
    };
    let mut conn = state.pool.get().await?;
    store::media::insert_upload(&mut conn, &row).await?;
    Ok(HttpResponse::Created().json(Envelope::of(views::upload(&row, Some(url), &state.config.public_url))))
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `PUT /uploads/{id}?token=…`: the bytes, streamed to staging (local store; S3 takes
/// them at the presigned URL). The URL is the credential, as a presigned one would be.
#[utoipa::path(
    put, path = "/uploads/{id}", operation_id = "put_upload_bytes", tag = "media",
    params(("id" = Uuid, Path), ("token" = String, Query, description = "From `upload_url`")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "Bytes received", body = views::Envelope<views::Received>), (status = 404, description = "Unknown upload or token", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Already completed", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 413, description = "More than declared", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn receive(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<TokenQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id, ApiError::upload_not_found)?;
    let mut conn = state.pool.get().await?;
    let up = store::media::upload(&mut conn, id).await?.ok_or_else(ApiError::upload_not_found)?;
    drop(conn);
    if q.token.as_deref().map(hash_key).as_deref() != Some(up.token_hash.as_str()) || up.expires_at < Utc::now() {
        return Err(ApiError::upload_not_found());
    }
    if up.status == "completed" {
        return Err(ApiError::Conflict("This upload is already completed; its bytes cannot change.".into()));
    }
    let declared = up.size_bytes as u64;
    let sent =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if sent.is_some_and(|n| n > declared) {
        return Err(ApiError::PayloadTooLarge(format!("This upload declared {declared} bytes.")));
    }
    let written = state.storage.write_stream(&storage::staging_key(&id.to_string()), payload, declared).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(views::Received { asset_id: id, received_bytes: written.size as i64 })))
}

/// `POST /api/uploads/{id}/complete`.
#[utoipa::path(
    post, path = "/api/uploads/{id}/complete", operation_id = "complete_media_asset", tag = "media", params(("id" = Uuid, Path, description = "Upload id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 200, description = "Verified: an asset usable in posts", body = views::Envelope<views::Upload>), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such upload for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "The bytes have not arrived", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn complete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = path_id(&id, ApiError::upload_not_found)?;
    let mut conn = state.pool.get().await?;
    store::media::upload_in_workspace(&mut conn, caller.scope.workspace_id, id)
        .await?
        .ok_or_else(ApiError::upload_not_found)?;
    let timeout = Duration::from_millis(state.config.ingest_timeout_ms);
    let cmd = MediaCommandV1::CompleteUpload { upload_id: id };
    match state.rpc.call::<_, MediaReplyV1>(&state.names.media_rpc(), &cmd, timeout).await? {
        MediaReplyV1::Ingested { .. } | MediaReplyV1::Done => {}
        MediaReplyV1::NotReady { detail } => return Err(ApiError::UploadNotReady(detail)),
        MediaReplyV1::Refused { message } => return Err(ApiError::field("upload", message)),
    }
    let up = store::media::upload(&mut conn, id).await?.ok_or_else(ApiError::upload_not_found)?;
    Ok(HttpResponse::Ok().json(Envelope::of(views::upload(&up, None, &state.config.public_url))))
}
