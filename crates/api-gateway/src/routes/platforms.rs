//! `GET /api/platforms` and the acceptance checks: both read `domain::platforms`.

use actix_web::{HttpResponse, web};
use domain::{
    Provider,
    input::FieldError,
    platforms::{self, MediaFacts},
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
};

#[utoipa::path(
    get, path = "/api/platforms", operation_id = "list_platforms", tag = "platforms",
    responses((status = 200, description = "Every platform's limits and options", body = crate::openapi::PlatformList))
)]
pub async fn list(_caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(json!({"data": platforms::catalogue()}))
}

#[utoipa::path(
    get, path = "/api/platforms/{provider}", operation_id = "get_platform", tag = "platforms", params(("provider" = String, Path)),
    responses((status = 200, description = "One platform", body = crate::openapi::PlatformEnvelope), (status = 404, description = "Unknown platform", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(_caller: Caller, provider: web::Path<String>) -> ApiResult<HttpResponse> {
    let p: Provider = provider
        .parse()
        .map_err(|_| ApiError::NotFound { code: "not_found", detail: format!("Unknown platform: {provider}") })?;
    Ok(HttpResponse::Ok().json(json!({"data": platforms::get(p)})))
}

/// A post checked against the platform of every profile it goes to. Profiles are
/// (provider, display name); media are asset ids in post order.
pub async fn check_post(
    conn: &mut store::Conn,
    workspace_id: Uuid,
    body: Option<&str>,
    media: &[Uuid],
    options: &Map<String, Value>,
    profiles: &[(Provider, String)],
) -> ApiResult<()> {
    let assets = store::media::assets_in_workspace(conn, workspace_id, media).await?;
    let facts: Vec<MediaFacts> = media
        .iter()
        .filter_map(|id| assets.iter().find(|a| a.id == *id))
        .map(|a| MediaFacts {
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes as u64,
            duration_ms: a.duration_ms.map(|d| d as u64),
        })
        .collect();
    let mut errors: Vec<FieldError> = Vec::new();
    for (provider, name) in profiles {
        errors.extend(platforms::check(&platforms::get(*provider), name, body, &facts, options));
    }
    // Options for providers no profile goes to: their shape is still checked (a typo is a
    // mistake), but nothing there is required.
    for (key, value) in options {
        let Ok(p) = key.parse::<Provider>() else { continue };
        if profiles.iter().any(|(q, _)| *q == p) {
            continue;
        }
        let platform = platforms::get(p);
        errors.extend(
            platforms::check_options(&platform, value.as_object())
                .into_iter()
                .filter(|e| !e.message.starts_with("is required")),
        );
    }
    // Cover assets must be this workspace's.
    let mut covers = Vec::new();
    for (key, value) in options {
        if let Some(id) = value.pointer("/cover/asset_id").and_then(Value::as_str) {
            match Uuid::parse_str(id) {
                Ok(uid) => covers.push((key.clone(), uid)),
                Err(_) => errors.push(FieldError::new(
                    format!("provider_options.{key}.cover.asset_id"),
                    "must be an asset id (uuid)",
                )),
            }
        }
    }
    if !covers.is_empty() {
        let ids: Vec<Uuid> = covers.iter().map(|(_, id)| *id).collect();
        let found = store::media::assets_in_workspace(conn, workspace_id, &ids).await?;
        for (key, id) in covers {
            match found.iter().find(|a| a.id == id) {
                None => errors.push(FieldError::new(
                    format!("provider_options.{key}.cover.asset_id"),
                    "no completed upload with this asset id",
                )),
                Some(a) if !a.content_type.starts_with("image/") => {
                    errors.push(FieldError::new(format!("provider_options.{key}.cover"), "a cover must be an image"))
                }
                Some(_) => {}
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert((e.field.clone(), e.message.clone())));
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}
