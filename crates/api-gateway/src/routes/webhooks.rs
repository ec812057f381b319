//! Webhook endpoints of a workspace: create (the signing secret is shown once), list,
//! see send attempts, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde_json::Value;
use store::webhooks::Endpoint;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::{path_id, small_json},
    views::{self, Envelope, NoMeta, Page},
};

fn not_found() -> ApiError {
    ApiError::NotFound(crate::error::Missing::Webhook)
}

#[utoipa::path(
    post, path = "/api/webhooks", operation_id = "create_webhook", tag = "events", params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::NewWebhook),
    responses((status = 201, description = "The endpoint, with its secret shown this once", body = views::Envelope<views::Webhook>), (status = 403, description = "The key is read-only, or scoped to some providers or profiles", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    caller.require_whole_workspace()?;
    let body = small_json(&req, payload).await?;
    let events = match &body["events"] {
        Value::Null => None,
        Value::Array(items) => {
            let kinds: Vec<String> = items.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            if kinds.len() != items.len() {
                return Err(ApiError::field("events", "must be an array of event kinds"));
            }
            Some(kinds)
        }
        _ => return Err(ApiError::field("events", "must be an array of event kinds")),
    };
    let (e, secret) = create_endpoint(&state, &caller, body["url"].as_str().unwrap_or(""), events).await?;
    // Shown once: only its encryption is kept.
    Ok(HttpResponse::Created().json(Envelope::of(views::webhook(&e, Some(secret)))))
}

/// Validates and stores an endpoint; returns it with its signing secret (shown once).
pub async fn create_endpoint(
    state: &AppState,
    caller: &Caller,
    url: &str,
    events: Option<Vec<String>>,
) -> ApiResult<(Endpoint, String)> {
    caller.require_write()?;
    caller.require_whole_workspace()?;
    let mut errors = Vec::new();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2048 || url::Url::parse(url).is_err()
    {
        errors.push(domain::input::FieldError::new("url", "must be an http(s) URL"));
    } else if let Err(why) = egress::check_url(&egress::Guard::new(&state.config.common.webhook_allow_hosts), url).await
    {
        errors.push(domain::input::FieldError::new("url", why));
    }
    if events.iter().flatten().any(|k| !domain::events::is_kind(k)) {
        errors.push(domain::input::FieldError::new(
            "events",
            format!("each must be one of {}", domain::events::all().join(", ")),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut raw = [0u8; 24];
    rand::rng().fill_bytes(&mut raw);
    let secret = format!("whsec_{}", STANDARD.encode(raw));
    let mut conn = state.pool.get().await?;
    let id = uuid::Uuid::now_v7();
    let e =
        store::webhooks::insert(&mut conn, id, caller.scope.workspace_id, url, &state.secrets.encrypt(&secret), events)
            .await?;
    Ok((e, secret))
}

#[utoipa::path(
    get, path = "/api/webhooks", operation_id = "list_webhooks", tag = "events",
    responses((status = 200, description = "The workspace's endpoints", body = views::Page<views::Webhook, views::NoMeta>), (status = 403, description = "The key is scoped to some providers or profiles", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    caller.require_whole_workspace()?;
    let mut conn = state.pool.get().await?;
    let rows = store::webhooks::list(&mut conn, caller.scope.workspace_id).await?;
    Ok(HttpResponse::Ok().json(Page { data: rows.iter().map(|e| views::webhook(e, None)).collect(), meta: NoMeta {} }))
}

async fn owned(state: &AppState, caller: &Caller, raw: &str) -> ApiResult<Endpoint> {
    caller.require_whole_workspace()?;
    let id = path_id(raw, not_found)?;
    let mut conn = state.pool.get().await?;
    store::webhooks::get(&mut conn, id)
        .await?
        .filter(|e| e.workspace_id == caller.scope.workspace_id)
        .ok_or_else(not_found)
}

#[utoipa::path(
    get, path = "/api/webhooks/{id}/attempts", operation_id = "list_webhook_attempts", tag = "events", params(("id" = Uuid, Path, description = "Endpoint id")),
    responses((status = 200, description = "Recent sends", body = views::WebhookAttempts), (status = 403, description = "The key is scoped to some providers or profiles", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such endpoint for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn attempts(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let e = owned(&state, &caller, &id).await?;
    let mut conn = state.pool.get().await?;
    let rows = store::webhooks::attempts(&mut conn, e.id, 100).await?;
    let data = rows.iter().map(views::webhook_attempt).collect();
    Ok(HttpResponse::Ok().json(views::WebhookAttempts { data, endpoint: views::webhook(&e, None) }))
}

#[utoipa::path(
    delete, path = "/api/webhooks/{id}", operation_id = "delete_webhook", tag = "events", params(("id" = Uuid, Path, description = "Endpoint id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 204, description = "Removed"), (status = 403, description = "The key is read-only, or scoped to some providers or profiles", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such endpoint for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    delete_endpoint(&state, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete_endpoint(state: &AppState, caller: &Caller, raw_id: &str) -> ApiResult<()> {
    caller.require_write()?;
    let e = owned(state, caller, raw_id).await?;
    let mut conn = state.pool.get().await?;
    store::webhooks::delete(&mut conn, caller.scope.workspace_id, e.id).await?;
    Ok(())
}
