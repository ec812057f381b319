//! Review links over HTTP: made for a post or a campaign, listed, revoked. The link's URL
//! (with its secret) is in the answer to the create, once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult, Missing},
    routes::{
        assistant::Fields,
        request::{path_id, small_json},
    },
    views::{Envelope, NoMeta, Page},
};

#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    link: store::review_links::ReviewLink,
    /// Open it in a browser, no account needed; shown only in this answer.
    url: String,
}

pub fn link_url(state: &AppState, token: &str) -> String {
    format!("{}/review/{token}", state.config.public_url.trim_end_matches('/'))
}

#[utoipa::path(
    post, path = "/api/review-links", operation_id = "create_review_link", tag = "review",
    request_body(content = crate::openapi::ReviewLinkBody),
    responses((status = 201, description = "The link, with its URL (shown once)", body = Envelope<Object>), (status = 400, description = "A field is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["post_id", "campaign", "label", "expires_in_hours"])?;
    let post = f.text("post_id", 40, false);
    let campaign = f.text("campaign", 100, false);
    let label = f.text("label", 100, true).unwrap_or_default();
    let hours = f.number("expires_in_hours", 1, posting::MAX_LINK_HOURS);
    f.done()?;
    let target = match (post, campaign) {
        (Some(p), None) => posting::LinkTarget::Post(
            uuid::Uuid::parse_str(&p).map_err(|_| ApiError::field("post_id", "must be a post id"))?.into(),
        ),
        (None, Some(c)) => posting::LinkTarget::Campaign(c),
        _ => return Err(ApiError::field("post_id", "give exactly one of post_id and campaign")),
    };
    let (link, token) = state.posting.create_link(&caller, target, &label, hours).await?;
    let url = link_url(&state, &token);
    Ok(HttpResponse::Created().json(Envelope::of(Created { link, url })))
}

#[utoipa::path(
    get, path = "/api/review-links", operation_id = "list_review_links", tag = "review",
    responses((status = 200, description = "The workspace's links, newest first (revoked and expired included; no secrets)", body = Page<Object, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let data = state.posting.links(&caller).await?;
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    delete, path = "/api/review-links/{id}", operation_id = "revoke_review_link", tag = "review",
    params(("id" = Uuid, Path, description = "Link id")),
    responses((status = 204, description = "Revoked: the link opens nothing from now on"), (status = 404, description = "No such open link", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn revoke(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: uuid::Uuid = path_id(&id, || ApiError::NotFound(Missing::ReviewLink))?;
    if state.posting.revoke_link(&caller, id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(Missing::ReviewLink))
    }
}
