//! `POST /api/posts/{id}/rewrite`: a draft rewritten by the assistant after review
//! feedback, asynchronously (the scheduler runs the job); `GET …/rewrites` shows each job's
//! outcome.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::PostId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::{
        assistant::Fields,
        request::{path_id, small_json},
    },
    views::{Envelope, NoMeta, Page},
};

/// A rewrite job and what came of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rewrite {
    pub id: uuid::Uuid,
    pub post_id: PostId,
    pub feedback: Vec<String>,
    /// `queued | running | done | failed`
    pub status: String,
    pub attempts: i32,
    pub body_before: Option<String>,
    pub body_after: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn view(j: store::rewrites::RewriteJob) -> Rewrite {
    Rewrite {
        id: j.id,
        post_id: j.post_id,
        feedback: j.feedback,
        status: j.status,
        attempts: j.attempts,
        body_before: j.body_before,
        body_after: j.body_after,
        error: j.error,
        created_at: j.created_at,
        finished_at: j.finished_at,
    }
}

#[utoipa::path(
    post, path = "/api/posts/{id}/rewrite", operation_id = "rewrite_draft", tag = "assistant", params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = crate::openapi::RewriteBody),
    responses((status = 202, description = "The job is queued; the draft's body changes when it is done", body = Envelope<Rewrite>), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not a draft", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn request(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    crate::routes::assistant::spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let f = Fields::of(&body, &["feedback"])?;
    f.done()?;
    let feedback: Vec<String> = match body.get("feedback") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::field(format!("feedback[{i}]"), "must be a string"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(ApiError::field("feedback", "is required: the reviewers' comments, as an array of strings")),
    };
    let job = state.posting.request_rewrite(&caller, id, feedback).await?;
    Ok(HttpResponse::Accepted().json(Envelope::of(view(job))))
}

#[utoipa::path(
    get, path = "/api/posts/{id}/rewrites", operation_id = "list_rewrites", tag = "assistant", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "The post's rewrite jobs, newest first", body = Page<Rewrite, NoMeta>), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let jobs = state.posting.rewrites(&caller, id).await?;
    Ok(HttpResponse::Ok().json(Page { data: jobs.into_iter().map(view).collect::<Vec<_>>(), meta: NoMeta {} }))
}
