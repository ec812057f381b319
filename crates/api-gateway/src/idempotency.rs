//! `Idempotency-Key` on POST, PATCH and DELETE, with Stripe's semantics: the first
//! response to a key (per workspace) is stored for 24 h and replayed byte for byte; the
//! same key with a different request is 422; concurrent duplicates wait for the first
//! and get its response. A first request that fails on our side (5xx) frees the key.
//!
//! Keys are namespaced by the API key that sent them, and only a write key claims one:
//! a replay never hands one key's answer to another. A first request runs within a
//! deadline; a claim left with no answer past it (the gateway died, the request was
//! dropped) is free again. A create records its key on the post, so a retry after a
//! commit whose answer was never stored finds that post instead of making another.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::idempotency::{self, Claim};

use crate::{app::AppState, auth, error::ApiError};

const HEADER: &str = "idempotency-key";
/// Bodies an idempotent request may carry (larger files go through upload sessions).
const MAX_BODY: usize = 10 * 1024 * 1024;
/// How long a duplicate waits for the first request to finish.
const WAIT: Duration = Duration::from_secs(30);
/// Past the deadline, how much longer a claim is kept before it counts as abandoned.
const STALE_MARGIN: Duration = Duration::from_secs(5);

/// The namespaced Idempotency-Key of the request that claimed it, for the handler to
/// record on what it creates.
#[derive(Debug, Clone)]
pub struct IdempotentCreate(pub String);

/// The refusal in the surface's own shape: the agency surface's envelope under
/// `/api/v1/social`, problem+json elsewhere.
fn problem(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    let path = req.path();
    if path.starts_with("/api/v1/social")
        || path.starts_with("/api/v1/portal/")
        || path.starts_with("/api/v1/campaigns")
    {
        let answer = crate::agency::envelope::AgencyError::from(e).error_response();
        return req.into_response(answer);
    }
    req.into_response(e.error_response())
}

pub async fn middleware(mut req: ServiceRequest, next: Next<BoxBody>) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = match req.headers().get(HEADER) {
        Some(v) if matches!(*req.method(), Method::POST | Method::PATCH | Method::DELETE) => {
            v.to_str().unwrap_or("").to_owned()
        }
        _ => return next.call(req).await,
    };
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Ok(problem(req, ApiError::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else { return next.call(req).await };
    // Without a valid key the handler answers 401 itself; keys are per workspace.
    let Some(token) = auth::bearer(req.request()) else { return next.call(req).await };
    let Ok(caller) = auth::authenticate(&state, &token).await else { return next.call(req).await };
    // A read-only key gets its 403 from the handler, never a stored answer.
    if !caller.can_write {
        return next.call(req).await;
    }
    let workspace = caller.scope.workspace_id;
    let key = format!("{}:{key}", caller.actor.id());
    let deadline = Duration::from_millis(state.config.idempotency_deadline_ms);
    let stale_after = chrono::Duration::from_std(deadline + STALE_MARGIN).unwrap_or(chrono::Duration::hours(1));

    let mut body = web::BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_BODY {
            let e = ApiError::PayloadTooLarge(format!(
                "Requests with an Idempotency-Key carry at most {MAX_BODY} bytes; send files through upload sessions."
            ));
            return Ok(problem(req, e));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.uri().to_string().as_bytes());
    h.update(b"\n");
    h.update(&body);
    let fingerprint = hex::encode(h.finalize());
    req.set_payload(Payload::from(body));

    let started = Instant::now();
    loop {
        let claim = {
            let mut conn = match state.pool.get().await {
                Ok(c) => c,
                Err(e) => return Ok(problem(req, e.into())),
            };
            match idempotency::claim(&mut conn, workspace, &key, &fingerprint, stale_after).await {
                Ok(c) => c,
                Err(e) => return Ok(problem(req, e.into())),
            }
        };
        match claim {
            Claim::First => {
                req.extensions_mut().insert(IdempotentCreate(key.clone()));
                return run_first(req, next, &state, workspace, &key, deadline).await;
            }
            Claim::Existing { fingerprint: fp, .. } if fp != fingerprint => {
                return Ok(problem(req, ApiError::IdempotencyKeyReused));
            }
            Claim::Existing { response: Some((status, headers, bytes)), .. } => {
                return Ok(req.into_response(replay(status, &headers, bytes)));
            }
            Claim::Existing { response: None, .. } if started.elapsed() < WAIT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Claim::Existing { response: None, .. } => {
                return Ok(problem(
                    req,
                    ApiError::Conflict("A request with this Idempotency-Key is still being processed.".into()),
                ));
            }
        }
    }
}

async fn run_first(
    req: ServiceRequest,
    next: Next<BoxBody>,
    state: &AppState,
    workspace: domain::WorkspaceId,
    key: &str,
    deadline: Duration,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = tokio::time::timeout(deadline, next.call(req)).await;
    let free = || async {
        if let Ok(mut conn) = state.pool.get().await {
            let _ = idempotency::release(&mut conn, workspace, key).await;
        }
    };
    let res = match res {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            free().await;
            return Err(e);
        }
        Err(_) => {
            free().await;
            // Answered from the error (the request went into the dropped handler).
            return Err(ApiError::Unavailable(format!(
                "The request took longer than {} s and was stopped; retry it with the same Idempotency-Key.",
                deadline.as_secs()
            ))
            .into());
        }
    };
    if res.status().is_server_error() {
        free().await;
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = match res.into_body().try_into_bytes() {
        Ok(b) => b,
        Err(body) => actix_web::body::to_bytes(body).await.unwrap_or_default(),
    };
    let kept: serde_json::Map<String, Value> = [header::CONTENT_TYPE, header::LOCATION, header::RETRY_AFTER]
        .iter()
        .filter_map(|h| headers.get(h).and_then(|v| v.to_str().ok()).map(|v| (h.as_str().to_owned(), json!(v))))
        .collect();
    if let Ok(mut conn) = state.pool.get().await {
        let _ = idempotency::finish(
            &mut conn,
            workspace,
            key,
            status.as_u16() as i32,
            &Value::Object(kept.clone()),
            &bytes,
        )
        .await;
    }
    let mut rebuilt = HttpResponse::build(status);
    for (name, value) in headers.iter() {
        rebuilt.append_header((name.clone(), value.clone()));
    }
    Ok(ServiceResponse::new(req, rebuilt.body(bytes)))
}

fn replay(status: i32, headers: &Value, bytes: Vec<u8>) -> HttpResponse {
    let mut r = HttpResponse::build(StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK));
    for (name, value) in headers.as_object().into_iter().flatten() {
        if let Some(v) = value.as_str() {
            r.insert_header((name.as_str(), v));
        }
    }
    r.insert_header(("Idempotent-Replayed", "true"));
    r.body(bytes)
}
