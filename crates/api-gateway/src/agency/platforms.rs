//! `GET /social/platforms[/{platform}]`: the one platform catalogue in the seed's shape.

use actix_web::{HttpResponse, http::StatusCode, web};
use domain::platforms::{self, Platform};
use serde_json::{Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, ok},
    names,
};

pub fn view(p: &Platform) -> Value {
    let c = p.capabilities;
    json!({
        "platform": names::platform_name(p.platform),
        "name": p.name,
        "maxCharacters": p.max_characters,
        "maxMediaItems": p.max_media_items,
        "supportedMediaTypes": p.supported_media_types,
        "supportsThreads": p.supports_threads,
        "supportsHashtags": p.supports_hashtags,
        "supportsCarousel": p.supports_carousel,
        "supportsFirstComment": p.capabilities.first_comment,
        "maxThreadParts": p.max_thread_parts,
        "requiresMedia": p.requires_media,
        "active": p.active,
        "capabilities": {
            "threads": c.threads,
            "firstComment": c.first_comment,
            "carousel": c.carousel,
            "edit": c.edit,
            "delete": c.delete,
            "reply": c.reply,
            "metrics": c.metrics,
            "inbox": {"comments": c.inbox.comments, "mentions": c.inbox.mentions, "messages": c.inbox.messages},
        },
    })
}

pub async fn list(_org: Org) -> HttpResponse {
    let all: Vec<Value> = platforms::catalogue().iter().map(view).collect();
    ok(StatusCode::OK, all)
}

pub async fn get(_org: Org, name: web::Path<String>) -> AgencyResult<HttpResponse> {
    let p = names::platform(&name).map_err(|_| AgencyError::not_found(format!("Unknown platform: {name}")))?;
    Ok(ok(StatusCode::OK, view(&platforms::get(p))))
}
