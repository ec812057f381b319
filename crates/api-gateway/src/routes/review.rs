//! Review over HTTP: a step on a draft (`POST /api/posts/{id}/review`), comments, and the
//! workspace's review settings (`GET/PATCH /api/workspace`).

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{PostId, ReviewAction};
use serde_json::Value;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::{
        assistant::Fields,
        request::{path_id, small_json},
    },
    views::{self, Envelope, NoMeta, Page},
};

pub fn action(name: &str) -> Option<ReviewAction> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

#[utoipa::path(
    post, path = "/api/posts/{id}/review", operation_id = "review_post", tag = "review", params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = crate::openapi::ReviewBody),
    responses((status = 200, description = "The post after the step", body = Envelope<views::Post>), (status = 400, description = "The step does not apply to the post's state (named), or a rejection without a reason", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Another review step came first", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn step(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["action", "reason", "version"])?;
    let name = f.text("action", 40, true).unwrap_or_default();
    let reason = f.text("reason", posting::MAX_REASON_CHARS, false);
    let version = f.number("version", 1, i64::from(i32::MAX)).and_then(|v| i32::try_from(v).ok());
    f.done()?;
    let action = action(&name).ok_or_else(|| {
        ApiError::field(
            "action",
            "one of submit, qa_approve, qa_reject, client_approve, client_reject, approve, reject, regenerate",
        )
    })?;
    state.posting.review_version(&caller, id, action, reason, version).await?;
    let view = state.posting.get(&caller, id).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(views::post(&view, &state.config.public_url))))
}

#[utoipa::path(
    get, path = "/api/posts/{id}/comments", operation_id = "list_comments", tag = "review", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "Comments and rejection reasons, oldest first", body = Page<Object, NoMeta>))
)]
pub async fn comments(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let data = state.posting.comments(&caller, id).await?;
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    post, path = "/api/posts/{id}/comments", operation_id = "add_comment", tag = "review", params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = crate::openapi::CommentBody),
    responses((status = 201, description = "The comment", body = Envelope<Object>))
)]
pub async fn comment(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["text", "anchor"])?;
    let text = f.text("text", posting::MAX_REASON_CHARS, true).unwrap_or_default();
    let anchor = f.raw("anchor");
    f.done()?;
    let c = state.posting.comment_on(&caller, id, &text, anchor).await?;
    Ok(HttpResponse::Created().json(Envelope::of(c)))
}

fn comment_id(raw: &str) -> ApiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(crate::error::Missing::Comment))
}

#[utoipa::path(
    patch, path = "/api/posts/{id}/comments/{comment_id}", operation_id = "pick_up_comment", tag = "review",
    params(("id" = Uuid, Path, description = "Post id"), ("comment_id" = Uuid, Path, description = "Comment id")),
    responses((status = 200, description = "The comment, marked picked up by an agent (no body needed; the first time counts)", body = Envelope<Object>), (status = 404, description = "No such post or comment", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn pick_up(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&path.0, ApiError::post_not_found)?;
    let c = state.posting.pick_up_comment(&caller, id, comment_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(c)))
}

#[utoipa::path(
    delete, path = "/api/posts/{id}/comments/{comment_id}", operation_id = "delete_comment", tag = "review",
    params(("id" = Uuid, Path, description = "Post id"), ("comment_id" = Uuid, Path, description = "Comment id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such post or comment", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_comment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&path.0, ApiError::post_not_found)?;
    state.posting.delete_comment(&caller, id, comment_id(&path.1)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A version with what changed from the one before it.
#[derive(serde::Serialize)]
struct VersionView {
    #[serde(flatten)]
    version: store::versions::Version,
    changes: Vec<posting::diff::FieldChange>,
}

#[utoipa::path(
    get, path = "/api/posts/{id}/versions", operation_id = "list_versions", tag = "review", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "Every version of the post, oldest first, each with what changed from the one before (word runs for texts)", body = Page<Object, NoMeta>))
)]
pub async fn versions(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let all = state.posting.versions(&caller, id).await?;
    let mut data = Vec::with_capacity(all.len());
    let mut before = Value::Null;
    for v in all {
        let changes = if before.is_null() { Vec::new() } else { posting::diff::changes(&before, &v.content) };
        before = v.content.clone();
        data.push(VersionView { version: v, changes });
    }
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    get, path = "/api/workspace", operation_id = "get_workspace", tag = "review",
    responses((status = 200, description = "The workspace's review settings", body = Envelope<Object>))
)]
pub async fn settings(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.settings(&caller).await?)))
}

#[utoipa::path(
    patch, path = "/api/workspace", operation_id = "update_workspace", tag = "review",
    request_body(content = crate::openapi::WorkspaceBody),
    responses((status = 200, description = "The settings as stored", body = Envelope<Object>), (status = 403, description = "A read-only or scoped key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update_settings(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = small_json(&req, payload).await?;
    let mut s = state.posting.settings(&caller).await?;
    let mut f = Fields::of(&body, &["requires_qa_approval", "requires_client_approval", "delivery_mode", "timezone"])?;
    s.requires_qa_approval = f.flag("requires_qa_approval", s.requires_qa_approval);
    s.requires_client_approval = f.flag("requires_client_approval", s.requires_client_approval);
    if let Some(m) = f.text("delivery_mode", 20, false) {
        s.delivery_mode = m;
    }
    if let Some(tz) = f.text("timezone", 64, false) {
        s.timezone = tz;
    }
    f.done()?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.save_settings(&caller, s).await?)))
}
