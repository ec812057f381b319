//! A post's figures over HTTP: the history the collector keeps per published delivery,
//! and a refresh that asks the collector for a snapshot now.

use actix_web::{HttpResponse, web};
use domain::PostId;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::path_id,
    views::Envelope,
};

/// How long a refresh waits for the collector before answering 202.
const REFRESH_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[utoipa::path(
    get, path = "/api/posts/{id}/metrics", operation_id = "get_post_metrics", tag = "metrics", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "Per published delivery: the latest snapshot and every one before it (oldest first). A figure the platform does not give is null, never 0; `warnings` names what it stopped giving", body = Envelope<posting::metrics::PostMetrics>))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.metrics(&caller, id).await?)))
}

#[utoipa::path(
    post, path = "/api/posts/{id}/metrics/refresh", operation_id = "refresh_post_metrics", tag = "metrics", params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "Every published delivery read now", body = Envelope<posting::metrics::PostMetrics>),
        (status = 202, description = "Asked; the collector has not answered within 10 s (read GET /api/posts/{id}/metrics later)", body = Envelope<posting::metrics::PostMetrics>),
        (status = 409, description = "Nothing published yet", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Refreshed less than a minute ago (Retry-After)", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let since = state.posting.refresh_metrics(&caller, id).await?;
    let (m, fresh) = state.posting.metrics_since(&caller, id, since, REFRESH_WAIT).await?;
    let mut resp = if fresh { HttpResponse::Ok() } else { HttpResponse::Accepted() };
    Ok(resp.json(Envelope::of(m)))
}
