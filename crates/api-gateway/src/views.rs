//! The public JSON shapes: snake_case, optional fields present as `null` (contract [A]).

use serde_json::{Value, json};
use store::{models::*, posts::PostView};

pub fn post(v: &PostView, media_base: &str) -> Value {
    let p = &v.post;
    json!({
        "id": p.id,
        "body": p.body,
        "status": p.status,
        "draft": p.status == "draft",
        "scheduled_at": p.scheduled_at,
        "canceled_at": p.canceled_at,
        "completed_at": p.completed_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "provider_options": p.provider_options,
        "media": v.media.iter().map(|(m, a)| media(m, a, media_base)).collect::<Vec<_>>(),
        "deliveries": v.deliveries.iter().map(|(d, name)| delivery(d, name, p)).collect::<Vec<_>>(),
    })
}

fn media(m: &PostMediaRow, a: &AssetRow, media_base: &str) -> Value {
    json!({
        "id": m.id,
        "status": m.status,
        "content_type": a.content_type,
        "url": format!("{}/media/{}", media_base.trim_end_matches('/'), a.id),
        "asset_id": a.id,
        "alt": m.alt,
        "error_message": m.error_message,
    })
}

fn delivery(d: &DeliveryRow, profile_name: &str, p: &PostRow) -> Value {
    json!({
        "id": d.id,
        "profile_id": d.profile_id,
        "provider": d.provider,
        "profile_name": profile_name,
        "status": d.status,
        "scheduled_at": p.scheduled_at,
        "published_at": d.published_at,
        "failed_at": d.failed_at,
        "provider_post_id": d.provider_post_id,
        "url": d.url,
        "error_message": d.error_message,
    })
}

pub fn profile(p: &ProfileRow, posts_count: i64) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "provider": p.provider,
        "status": p.status,
        "username": p.username,
        "picture_url": p.picture_url,
        "expires_at": p.expires_at,
        "posts_count": posts_count,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

pub fn log_entry(e: &PublishLogRow) -> Value {
    json!({
        "id": e.id.to_string(),
        "kind": e.kind,
        "post_id": e.post_id,
        "delivery_id": e.delivery_id,
        "profile_id": e.profile_id,
        "provider": e.provider,
        "message": e.message,
        "url": e.url,
        "occurred_at": e.occurred_at,
    })
}
