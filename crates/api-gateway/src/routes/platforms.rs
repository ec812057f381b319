//! `GET /api/platforms`: the rules the acceptance check (`posting::check_post`) applies.

use actix_web::{HttpResponse, web};
use domain::{Provider, platforms};
use serde_json::json;

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
