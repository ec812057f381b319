//! `POST /api/posts?dry_run=true`: everything a create checks, and per delivery the exact
//! requests the provider adapter would send — with nothing stored, fetched or queued.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use domain::{
    Provider,
    input::{FieldError, MediaSource, NewPost},
    platforms::{self, MediaFacts},
};
use providers::{Account, MediaItem, PublishRequest};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
};

pub async fn run(state: &AppState, caller: &Caller, input: NewPost) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let profiles = super::posts::check_profiles(&mut conn, caller, &input.profiles).await?;
    let asset_ids: Vec<Uuid> = input
        .media
        .iter()
        .filter_map(|m| if let MediaSource::Asset(id) = m.source { Some(id) } else { None })
        .collect();
    let assets = store::media::assets_in_workspace(&mut conn, caller.scope.workspace_id, &asset_ids).await?;
    let mut errors = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut items = Vec::new();
    let mut facts = Vec::new();
    for (i, m) in input.media.iter().enumerate() {
        match &m.source {
            MediaSource::Asset(id) => match assets.iter().find(|a| a.id == *id) {
                Some(a) => {
                    facts.push(MediaFacts {
                        content_type: a.content_type.clone(),
                        size_bytes: a.size_bytes as u64,
                        duration_ms: a.duration_ms.map(|d| d as u64),
                    });
                    items.push(MediaItem {
                        url: format!("{}/media/{}", state.config.public_url.trim_end_matches('/'), a.id),
                        content_type: a.content_type.clone(),
                        alt: m.alt.clone(),
                        size_bytes: a.size_bytes as u64,
                    });
                }
                None => errors
                    .push(FieldError::new(format!("media[{i}].asset_id"), "no completed upload with this asset id")),
            },
            MediaSource::Url(url) => {
                warnings.push(format!(
                    "media[{i}].url is fetched and checked only when the post is created; the preview shows its place with the remote URL"
                ));
                items.push(MediaItem {
                    url: url.clone(),
                    content_type: "application/octet-stream".into(),
                    alt: m.alt.clone(),
                    size_bytes: 0,
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // With every media item known, the platforms' rules are checked as a create would.
    if facts.len() == input.media.len() && !input.draft {
        let targets = super::posts::targets(&profiles);
        super::platforms::check_post(
            &mut conn,
            caller.scope.workspace_id,
            input.body.as_deref(),
            &asset_ids,
            &input.provider_options,
            &targets,
        )
        .await?;
    } else {
        let rules = platforms::catalogue();
        for p in &profiles {
            if let Some(platform) =
                p.provider.parse::<Provider>().ok().and_then(|prov| rules.iter().find(|r| r.platform == prov))
            {
                errors.extend(platforms::check_options(
                    platform,
                    input.provider_options.get(&p.provider).and_then(Value::as_object),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    if input.scheduled_at.is_some_and(|t| t < Utc::now()) {
        warnings.push("post.scheduled_at is in the past: the post would be sent at once".into());
    }
    let mut deliveries = Vec::new();
    for p in &profiles {
        let Ok(provider) = p.provider.parse::<Provider>() else { continue };
        if p.status == "reauth_required" {
            warnings.push(format!(
                "the profile \u{201c}{}\u{201d} needs to be reconnected; its delivery would fail",
                p.name
            ));
        }
        let options = input.provider_options.get(&p.provider).cloned().unwrap_or(json!({}));
        let cover =
            match options.pointer("/cover/asset_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()) {
                Some(id) => {
                    store::media::asset_in(&mut conn, caller.scope.workspace_id, id).await?.map(|a| MediaItem {
                        url: format!("{}/media/{}", state.config.public_url.trim_end_matches('/'), a.id),
                        content_type: a.content_type,
                        alt: None,
                        size_bytes: a.size_bytes as u64,
                    })
                }
                None => None,
            };
        let req = PublishRequest {
            delivery_id: Uuid::nil(),
            provider,
            account: Account { external_id: p.external_id.clone(), username: p.username.clone(), access_token: None },
            text: input.body.clone(),
            media: items.clone(),
            options,
            cover,
            recovery: None,
        };
        let requests =
            state.providers.preview(&req).await.map_err(|e| ApiError::field("provider_options", e.to_string()))?;
        deliveries
            .push(json!({"profile_id": p.id, "provider": p.provider, "profile_name": p.name, "requests": requests}));
    }
    Ok(HttpResponse::Ok()
        .json(json!({"data": {"dry_run": true, "valid": true, "deliveries": deliveries, "warnings": warnings}})))
}

/// `?dry_run=true` (or `1`).
pub fn requested(req: &actix_web::HttpRequest) -> bool {
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("dry_run").cloned())
        .is_some_and(|v| v == "true" || v == "1")
}
