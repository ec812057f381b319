//! The vault (content that passed final approval, published or not) and a post's download
//! bundle (`post-{id}.json`, the bare bundle, no envelope), on both surfaces.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{PostId, Provider};
use serde_json::{Value, json};
use store::posts::PostView;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::{QueryPairs, path_id},
    views::{self, NoMeta, Page},
};

/// A post as a portable bundle; `name` gives each platform its surface's name.
pub fn bundle(v: &PostView, public_url: &str, name: fn(Provider) -> &'static str) -> Value {
    let p = &v.post;
    let mut platforms: Vec<&str> = Vec::new();
    for (d, _) in &v.deliveries {
        let n = name(d.provider);
        if !platforms.contains(&n) {
            platforms.push(n);
        }
    }
    let media: Vec<Value> = v
        .media
        .iter()
        .map(|(m, a)| {
            json!({"url": format!("{}/media/{}", public_url.trim_end_matches('/'), a.id), "type": a.kind, "mimeType": a.content_type, "altText": m.alt.clone().unwrap_or_default()})
        })
        .collect();
    json!({
        "postId": p.id,
        "orgId": p.workspace_id,
        "content": {"text": p.body.clone().unwrap_or_default()},
        "hashtags": p.hashtags,
        "platforms": platforms,
        "media": media,
        "approvedAt": p.approved_at,
        "downloadFormat": "json",
        "generatedAt": chrono::Utc::now(),
    })
}

/// The bundle as a download.
pub fn attachment(id: PostId, bundle: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"post-{id}.json\"")))
        .body(bundle.to_string())
}

#[utoipa::path(
    get, path = "/api/vault", operation_id = "list_vault", tag = "review",
    params(
        ("provider" = Option<String>, Query), ("label" = Option<String>, Query),
        ("from" = Option<DateTime<Utc>>, Query, description = "Approved at or after"), ("to" = Option<DateTime<Utc>>, Query, description = "Approved at or before"),
    ),
    responses((status = 200, description = "Approved content, newest approval first", body = Page<views::Post, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["provider", "label", "from", "to"])?;
    let provider = q
        .one("provider")
        .map(|p| p.parse::<Provider>().map_err(|e| ApiError::field("provider", e.to_string())))
        .transpose()?;
    let posts = state.posting.vault(&caller, provider, q.one("label"), q.time("from")?, q.time("to")?).await?;
    Ok(HttpResponse::Ok().json(Page {
        data: posts.iter().map(|v| views::post(v, &state.config.public_url)).collect::<Vec<_>>(),
        meta: NoMeta {},
    }))
}

#[utoipa::path(
    get, path = "/api/posts/{id}/download", operation_id = "download_post", tag = "review", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "`post-{id}.json`: text, hashtags, platforms, owned media URLs, approval time", content_type = "application/json", body = Object), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn download(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let v = state.posting.get(&caller, id).await?;
    Ok(attachment(id, &bundle(&v, &state.config.public_url, |p| p.as_str())))
}
