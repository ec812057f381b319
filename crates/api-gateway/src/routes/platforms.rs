//! `GET /api/platforms`: the rules the acceptance check (`posting::check_post`) applies.

use actix_web::{HttpResponse, web};
use domain::{Provider, platforms};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    views::{Envelope, NoMeta, Page},
};

#[utoipa::path(
    get, path = "/api/platforms", operation_id = "list_platforms", tag = "platforms",
    responses((status = 200, description = "Every platform's limits and options", body = crate::views::Page<domain::platforms::Platform, crate::views::NoMeta>))
)]
pub async fn list(_caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(Page { data: platforms::catalogue(), meta: NoMeta {} })
}

#[utoipa::path(
    get, path = "/api/platforms/{provider}", operation_id = "get_platform", tag = "platforms", params(("provider" = String, Path)),
    responses((status = 200, description = "One platform", body = crate::views::Envelope<domain::platforms::Platform>), (status = 404, description = "Unknown platform", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(_caller: Caller, provider: web::Path<String>) -> ApiResult<HttpResponse> {
    let p: Provider =
        provider.parse().map_err(|_| ApiError::NotFound(crate::error::Missing::Platform(provider.to_string())))?;
    Ok(HttpResponse::Ok().json(Envelope::of(platforms::get(p))))
}
