//! Posting queues over HTTP: a profile's queues, one queue (with its next free slots and
//! what waits in it), edits (with `reshuffle`), removal. A post joins one with
//! `post.queue` on create.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult, Missing},
    routes::{
        assistant::Fields,
        request::{QueryPairs, path_id, small_json},
    },
    views::{Envelope, NoMeta, Page},
};

fn queue_id(raw: &str) -> ApiResult<uuid::Uuid> {
    path_id(raw, || ApiError::NotFound(Missing::Queue))
}

#[utoipa::path(
    get, path = "/api/profiles/{id}/queues", operation_id = "list_queues", tag = "queues",
    params(("id" = Uuid, Path, description = "Profile id")),
    responses((status = 200, description = "The profile's posting queues", body = Page<Object, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let profile = path_id(&id, || ApiError::NotFound(Missing::Profile))?;
    let data = state.posting.queues(&caller, profile).await?;
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    post, path = "/api/profiles/{id}/queues", operation_id = "create_queue", tag = "queues",
    params(("id" = Uuid, Path, description = "Profile id")),
    request_body(content = crate::openapi::QueueBody),
    responses((status = 201, description = "The queue", body = Envelope<Object>), (status = 400, description = "A field is wrong (named), e.g. an unknown timezone", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let profile = path_id(&id, || ApiError::NotFound(Missing::Profile))?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["name", "timezone", "slots"])?;
    let name = f.text("name", 100, true).unwrap_or_default();
    let timezone = f.text("timezone", 64, true).unwrap_or_default();
    let slots = f.raw("slots").cloned().unwrap_or(serde_json::Value::Null);
    f.done()?;
    let q = state.posting.create_queue(&caller, profile, &name, &timezone, &slots).await?;
    Ok(HttpResponse::Created().json(Envelope::of(q)))
}

#[utoipa::path(
    get, path = "/api/queues/{id}", operation_id = "get_queue", tag = "queues",
    params(("id" = Uuid, Path, description = "Queue id"), ("count" = Option<i64>, Query, description = "How many free slots to show (1–50, default 10)")),
    responses((status = 200, description = "The queue, its next free slots, and the posts waiting in it", body = Envelope<Object>), (status = 404, description = "No such queue", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = queue_id(&id)?;
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["count"])?;
    let count = q.int("count", 10, 1, posting::queues::MAX_PREVIEW as i64)?;
    let v = state.posting.queue_preview(&caller, id, usize::try_from(count).unwrap_or(10)).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(v)))
}

#[utoipa::path(
    patch, path = "/api/queues/{id}", operation_id = "update_queue", tag = "queues",
    params(("id" = Uuid, Path, description = "Queue id")),
    request_body(content = crate::openapi::QueueBody),
    responses((status = 200, description = "The queue", body = Envelope<Object>), (status = 409, description = "A queued post moved or started meanwhile: nothing was reshuffled", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = queue_id(&id)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["name", "timezone", "slots", "reshuffle"])?;
    let name = f.text("name", 100, false);
    let timezone = f.text("timezone", 64, false);
    let slots = f.raw("slots").cloned();
    let reshuffle = f.flag("reshuffle", false);
    f.done()?;
    let q = state
        .posting
        .update_queue(&caller, id, name.as_deref(), timezone.as_deref(), slots.as_ref(), reshuffle)
        .await?;
    Ok(HttpResponse::Ok().json(Envelope::of(q)))
}

#[utoipa::path(
    delete, path = "/api/queues/{id}", operation_id = "delete_queue", tag = "queues",
    params(("id" = Uuid, Path, description = "Queue id")),
    responses((status = 204, description = "Removed; its posts keep their times"), (status = 404, description = "No such queue", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.posting.delete_queue(&caller, queue_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
