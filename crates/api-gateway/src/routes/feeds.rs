//! Feeds that auto-post, over HTTP: subscriptions (created, read with their newest items
//! and each item's fate, changed, removed) and their actions (check now, pause, resume).
//! The collector fetches them; new items become posts through the application layer.

use actix_web::{HttpRequest, HttpResponse, web};
use posting::feeds::FeedAction;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult, Missing},
    routes::request::{path_id, small_json},
    views::{Envelope, NoMeta, Page},
};

fn feed_id(raw: &str) -> ApiResult<uuid::Uuid> {
    path_id(raw, || ApiError::NotFound(Missing::Feed))
}

#[utoipa::path(
    get, path = "/api/feeds", operation_id = "list_feeds", tag = "feeds",
    responses((status = 200, description = "The workspace's feeds, with their state and item counts", body = Page<posting::feeds::FeedView, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let data = state.posting.feeds(&caller).await?;
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    post, path = "/api/feeds", operation_id = "create_feed", tag = "feeds",
    request_body(content = crate::openapi::FeedBody),
    responses((status = 201, description = "The feed; the collector checks it at once", body = Envelope<posting::feeds::FeedView>), (status = 400, description = "A field is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = small_json(&req, payload).await?;
    let input = domain::feeds::parse(&body, true).map_err(ApiError::Validation)?;
    let feed = state.posting.create_feed(&caller, input).await?;
    Ok(HttpResponse::Created().json(Envelope::of(feed)))
}

#[utoipa::path(
    get, path = "/api/feeds/{id}", operation_id = "get_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 200, description = "The feed and its newest items, each with its fate (posted with its post, or skipped and why)", body = Envelope<posting::feeds::FeedView>), (status = 404, description = "No such feed", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.feed(&caller, feed_id(&id)?).await?)))
}

#[utoipa::path(
    patch, path = "/api/feeds/{id}", operation_id = "update_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    request_body(content = crate::openapi::FeedBody),
    responses((status = 200, description = "The feed", body = Envelope<posting::feeds::FeedView>), (status = 400, description = "A field is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = feed_id(&id)?;
    let body = small_json(&req, payload).await?;
    let input = domain::feeds::parse(&body, false).map_err(ApiError::Validation)?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.update_feed(&caller, id, input).await?)))
}

#[utoipa::path(
    delete, path = "/api/feeds/{id}", operation_id = "delete_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 204, description = "Removed with its items; the posts it made stay"), (status = 404, description = "No such feed", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.posting.delete_feed(&caller, feed_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn act(state: &AppState, caller: &Caller, raw: &str, action: FeedAction) -> ApiResult<HttpResponse> {
    let feed = state.posting.feed_action(caller, feed_id(raw)?, action).await?;
    let status = if action == FeedAction::Check {
        actix_web::http::StatusCode::ACCEPTED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(Envelope::of(feed)))
}

#[utoipa::path(
    post, path = "/api/feeds/{id}/check", operation_id = "check_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 202, description = "Due now: the collector checks it within its poll interval; read it back for the items", body = Envelope<posting::feeds::FeedView>), (status = 409, description = "The feed is paused", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn check(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &caller, &id, FeedAction::Check).await
}

#[utoipa::path(
    post, path = "/api/feeds/{id}/pause", operation_id = "pause_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 200, description = "Paused: not checked until resumed", body = Envelope<posting::feeds::FeedView>))
)]
pub async fn pause(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &caller, &id, FeedAction::Pause).await
}

#[utoipa::path(
    post, path = "/api/feeds/{id}/resume", operation_id = "resume_feed", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 200, description = "Active again, its error count cleared, checked at once", body = Envelope<posting::feeds::FeedView>))
)]
pub async fn resume(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &caller, &id, FeedAction::Resume).await
}
