//! Posts over HTTP: each handler reads the request, calls the application layer
//! (`posting`) and renders its answer. No rule about posts lives here.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{PostId, PostStatus, Provider, input};
use store::posts::PostFilter;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::{
        multipart,
        request::{QueryPairs, json_body, path_id, read_body, require_json},
    },
    views::{self, Envelope, Page, PageMeta},
};

fn post_id(raw: &str) -> ApiResult<PostId> {
    path_id(raw, ApiError::post_not_found)
}

async fn read_back(state: &AppState, caller: &Caller, id: PostId) -> ApiResult<HttpResponse> {
    let view = state.posting.get(caller, id).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(views::post(&view, &state.config.public_url))))
}

/// `POST /api/posts` (JSON or multipart): a draft, or a post accepted into `pending`.
#[utoipa::path(
    post, path = "/api/posts", operation_id = "create_post", tag = "posts",
    params(("dry_run" = Option<bool>, Query, description = "Check everything and show each provider request; store and send nothing"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::NewPost, description = "JSON; or multipart/form-data with the same fields and files"),
    responses(
        (status = 201, description = "Accepted (or stored as a draft), read back after commit", body = views::Envelope<views::Post>),
        (status = 200, description = "The dry run's result", body = views::Envelope<posting::DryRun>),
        (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 413, description = "Body or file too large", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON or multipart", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "Idempotency-Key reused with another request", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let dry_run = super::dry_run::requested(&req);
    let mut staged = posting::Staged::default();
    let body = if multipart::is_multipart(&req) {
        if dry_run {
            return Err(ApiError::UnsupportedMediaType(
                "A dry run takes a JSON body (files are only stored by a real create).".into(),
            ));
        }
        let form = actix_multipart::Multipart::new(req.headers(), payload);
        match multipart::read(&state, &caller, form, &mut staged, &[]).await {
            Ok((body, _)) => body,
            Err(e) => {
                state.posting.discard(staged).await;
                return Err(e);
            }
        }
    } else {
        require_json(&req, &read_body(payload, state.config.max_body_bytes).await?)?
    };
    let input = match input::parse_new_post(&body) {
        Ok(input) => input,
        Err(errors) => {
            state.posting.discard(staged).await;
            return Err(ApiError::Validation(errors));
        }
    };
    if dry_run {
        let result = state.posting.dry_run(&caller, input).await?;
        return Ok(HttpResponse::Ok().json(Envelope::of(result)));
    }
    let key =
        actix_web::HttpMessage::extensions(&req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let view = state.posting.create(&caller, input, key, staged).await?;
    let id = view.post.id;
    let body = Envelope::of(views::post(&view, &state.config.public_url));
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/posts/{id}"))).json(body))
}

#[utoipa::path(
    get, path = "/api/posts/{id}", operation_id = "get_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "The post with its deliveries and media", body = views::Envelope<views::Post>), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    read_back(&state, &caller, post_id(&id)?).await
}

#[utoipa::path(
    get, path = "/api/posts", operation_id = "list_posts", tag = "posts",
    params(
        ("status" = Option<String>, Query, description = "draft, pending, scheduled, completed or canceled"),
        ("profile_ids" = Option<String>, Query, description = "Comma-separated profile ids"),
        ("providers" = Option<String>, Query, description = "Comma-separated provider ids"),
        ("scheduled_after" = Option<DateTime<Utc>>, Query),
        ("scheduled_before" = Option<DateTime<Utc>>, Query),
        ("campaign" = Option<String>, Query, description = "Only this campaign's posts"),
        ("review" = Option<String>, Query, description = "Comma-separated review statuses (the review queue), e.g. qa_review,client_review"),
        ("page" = Option<i64>, Query, description = "Zero-based", minimum = 0),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 100),
    ),
    responses((status = 200, description = "Newest first, with the total", body = views::Page<views::Post, views::PageMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&[
        "status",
        "profile_ids",
        "providers",
        "scheduled_after",
        "scheduled_before",
        "campaign",
        "review",
        "page",
        "per_page",
    ])?;
    let reviews = q.many("review");
    if let Some(bad) = reviews.iter().flatten().find(|r| r.parse::<domain::ReviewStatus>().is_err()) {
        return Err(ApiError::field("review", format!("unknown review status {bad:?}")));
    }
    let status = q
        .one("status")
        .map(|s| s.parse::<PostStatus>())
        .transpose()
        .map_err(|_| ApiError::field("status", "one of: draft, pending, scheduled, completed, canceled"))?;
    let providers = q
        .many("providers")
        .map(|v| v.iter().map(|p| p.parse::<Provider>().map(|p| p.as_str().to_owned())).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|e| ApiError::field("providers", e.to_string()))?;
    let filter = PostFilter {
        ids: None,
        status,
        profile_ids: q.uuids("profile_ids")?,
        providers,
        scheduled_after: q.time("scheduled_after")?,
        scheduled_before: q.time("scheduled_before")?,
        campaign: q.one("campaign").map(str::to_owned),
        reviews,
    };
    let page = q.int("page", 0, 0, 1_000_000)?;
    let per_page = q.int("per_page", 20, 1, 100)?;
    let posting::Page { posts, total } = state.posting.list(&caller, &filter, per_page, page).await?;
    Ok(HttpResponse::Ok().json(Page {
        data: posts.iter().map(|v| views::post(v, &state.config.public_url)).collect(),
        meta: PageMeta { page, per_page, total },
    }))
}

/// `POST /api/posts/{id}/publish`: draft → pending, now or at `scheduled_at`.
#[utoipa::path(
    post, path = "/api/posts/{id}/publish", operation_id = "publish_draft", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = Option<crate::openapi::PublishBody>, description = "Optional: a future `scheduled_at`"),
    responses((status = 200, description = "The draft is accepted", body = views::Envelope<views::Post>), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not a draft", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = post_id(&id)?;
    let body = read_body(payload, state.config.max_body_bytes).await?;
    let scheduled_at = input::parse_publish(json_body(&req, &body)?.as_ref()).map_err(ApiError::Validation)?;
    state.posting.publish(&caller, id, scheduled_at).await?;
    read_back(&state, &caller, id).await
}

/// `POST /api/posts/{id}/cancel`: decided by the scheduler, so a cancel that races the
/// dispatch either wins (no provider call ever) or loses with 409.
#[utoipa::path(
    post, path = "/api/posts/{id}/cancel", operation_id = "cancel_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 200, description = "Canceled before any delivery started", body = views::Envelope<views::Post>), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Delivery has started, or the post is not scheduled", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn cancel(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = post_id(&id)?;
    state.posting.cancel(&caller, id).await?;
    read_back(&state, &caller, id).await
}

/// `DELETE /api/posts/{id}`: drafts only, gone for good.
#[utoipa::path(
    delete, path = "/api/posts/{id}", operation_id = "delete_draft", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 204, description = "The draft is gone"), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not a draft", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.posting.delete(&caller, post_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PATCH /api/posts/{id}` (contract decision 6): drafts are editable; a scheduled post
/// whose deliveries have not started may change its time, body, media and options.
#[utoipa::path(
    patch, path = "/api/posts/{id}", operation_id = "update_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::PostPatch),
    responses((status = 200, description = "The edited post", body = views::Envelope<views::Post>), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not editable in this state", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = post_id(&id)?;
    let body = read_body(payload, state.config.max_body_bytes).await?;
    let patch = input::parse_patch(&require_json(&req, &body)?).map_err(ApiError::Validation)?;
    state.posting.patch(&caller, id, patch).await?;
    read_back(&state, &caller, id).await
}
