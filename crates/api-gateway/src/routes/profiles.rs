use actix_web::{HttpResponse, web};

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::path_id,
    views::{self, Envelope, NoMeta, Page},
};

#[utoipa::path(
    get, path = "/api/profiles", operation_id = "list_profiles", tag = "profiles",
    responses((status = 200, description = "The profiles this key may see", body = views::Page<views::Profile, views::NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let rows = store::profiles::list(&mut conn, &caller.scope).await?;
    let data = rows.iter().map(|(p, n)| views::profile(p, *n)).collect();
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    get, path = "/api/profiles/{id}", operation_id = "get_profile", tag = "profiles", params(("id" = Uuid, Path, description = "Profile id")),
    responses((status = 200, description = "The profile", body = views::Envelope<views::Profile>), (status = 404, description = "No such profile for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id, ApiError::profile_not_found)?;
    let mut conn = state.pool.get().await?;
    let (p, n) = store::profiles::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::profile_not_found)?;
    Ok(HttpResponse::Ok().json(Envelope::of(views::profile(&p, n))))
}

/// Stops future use of a profile; its posts and deliveries stay readable. Deliveries
/// already scheduled to it settle failed with a message saying so.
#[utoipa::path(
    post, path = "/api/profiles/{id}/disconnect", operation_id = "disconnect_profile", tag = "profiles", params(("id" = Uuid, Path, description = "Profile id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 204, description = "Disconnected; history stays readable"), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such profile for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn disconnect(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id, ApiError::profile_not_found)?;
    disconnect_profile(&state, &caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Returns the profile's name.
pub async fn disconnect_profile(state: &AppState, caller: &Caller, id: domain::ProfileId) -> ApiResult<String> {
    caller.require_write()?;
    let mut conn = state.pool.get().await?;
    let (p, _) = store::profiles::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::profile_not_found)?;
    store::profiles::disconnect(&mut conn, id).await?;
    // Refused by this gateway's next post at once; the others hear of it when it commits.
    state.posting.profile_changed(id);
    Ok(p.name)
}

/// What a provider's redirect back carries (here and on the agency surface).
#[derive(serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where a provider sends the browser back after the user approved (or refused). A flow
/// started in the dashboard goes back there; one started from the CLI gets JSON.
pub async fn connect_callback(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    q: web::Query<Callback>,
) -> ApiResult<HttpResponse> {
    let browser = req.cookie(crate::connect::BINDING_COOKIE).map(|c| c.value().to_owned());
    let mut conn = state.pool.get().await?;
    if let Some(e) = &q.error {
        let message = format!("the provider refused: {}", q.error_description.as_deref().unwrap_or(e));
        let flow = match q.state.as_deref() {
            Some(s) => store::oauth::take_state(&mut conn, s).await?,
            None => None,
        };
        if let Some(to) = flow.and_then(|f| f.return_to) {
            return Ok(back_to(&to, "error", &message));
        }
        return Err(ApiError::field("error", message));
    }
    let (Some(code), Some(flow)) = (q.code.as_deref(), q.state.as_deref()) else {
        return Err(ApiError::field("code", "code and state are required"));
    };
    let c = &state.config;
    let done = crate::connect::complete(
        &mut conn,
        &state.http,
        &c.providers,
        &state.secrets,
        &c.public_url,
        crate::connect::Returned { state: flow, code, browser: browser.as_deref() },
    )
    .await?;
    let mut answer = match (done.outcome, done.return_to) {
        (crate::connect::Outcome::Connected(row), Some(to)) => back_to(&to, "connected", &row.name),
        (crate::connect::Outcome::Connected(row), None) => {
            HttpResponse::Ok().json(Envelope::of(views::profile(&row, 0)))
        }
        // Several destinations (pages, organisations): the dashboard offers the choice.
        (crate::connect::Outcome::Choose { nonce, .. }, Some(to)) => back_to(&to, "choose", &nonce),
        (crate::connect::Outcome::Choose { nonce, provider, options }, None) => HttpResponse::Ok().json(Envelope::of(
            serde_json::json!({"pending": true, "nonce": nonce, "provider": provider.as_str(), "options": options}),
        )),
    };
    if browser.is_some() {
        let _ = answer.add_removal_cookie(&binding_cookie(&state, String::new()));
    }
    Ok(answer)
}

/// The cookie binding a connect flow to the browser that started it: sent only to the
/// callback, Lax so it comes along on the provider's top-level redirect back.
pub fn binding_cookie(state: &AppState, value: String) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(crate::connect::BINDING_COOKIE, value)
        .path("/connect/callback")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(state.config.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::minutes(10))
        .finish()
}

/// A redirect to a dashboard page with one query parameter. Only local paths are stored
/// as `return_to`, so this never sends the browser elsewhere.
fn back_to(path: &str, key: &str, value: &str) -> HttpResponse {
    let path = if path.starts_with('/') && !path.starts_with("//") { path } else { "/" };
    let query = serde_urlencoded::to_string([(key, value)]).unwrap_or_default();
    HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, format!("{path}?{query}"))).finish()
}
