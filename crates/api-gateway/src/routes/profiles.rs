use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::path_id,
    views,
};

pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let rows = store::profiles::list(&mut conn, &caller.scope).await?;
    let data: Vec<_> = rows.iter().map(|(p, n)| views::profile(p, *n)).collect();
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id, ApiError::profile_not_found)?;
    let mut conn = state.pool.get().await?;
    let (p, n) = store::profiles::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::profile_not_found)?;
    Ok(HttpResponse::Ok().json(json!({"data": views::profile(&p, n)})))
}

/// Stops future use of a profile; its posts and deliveries stay readable. Deliveries
/// already scheduled to it settle failed with a message saying so.
pub async fn disconnect(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = path_id(&id, ApiError::profile_not_found)?;
    let mut conn = state.pool.get().await?;
    store::profiles::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::profile_not_found)?;
    store::profiles::disconnect(&mut conn, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(serde::Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where a provider sends the browser back after the user approved (or refused).
pub async fn connect_callback(state: web::Data<AppState>, q: web::Query<Callback>) -> ApiResult<HttpResponse> {
    if let Some(e) = &q.error {
        return Err(ApiError::field(
            "error",
            format!("the provider refused: {}", q.error_description.as_deref().unwrap_or(e)),
        ));
    }
    let (Some(code), Some(flow)) = (q.code.as_deref(), q.state.as_deref()) else {
        return Err(ApiError::field("code", "code and state are required"));
    };
    let mut conn = state.pool.get().await?;
    let c = &state.config;
    let row = crate::connect::complete(&mut conn, &state.http, &c.providers, &state.secrets, &c.public_url, flow, code)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"data": views::profile(&row, 0)})))
}
