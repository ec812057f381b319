//! The seed's AI helpers (`/ai/generate`, `/ai/hashtags`, `/ai/repurpose`, `/ai/image`,
//! `/ai/image-templates`) over the same assistant as the native `/api/assistant/*`, with
//! the seed's names. Their budget is the `/ai/*` one (20 a minute per key).

use actix_web::{HttpResponse, http::StatusCode, web};
use domain::Provider;
use serde_json::{Value, json};

use super::{
    auth::Org,
    envelope::{AgencyResult, Body, ok},
    names,
};
use crate::{app::AppState, routes::assistant::Fields};

fn seed_platform(p: &str) -> Option<Provider> {
    names::platform(p).ok()
}

pub async fn generate(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let mut f = Fields::of(
        &body,
        &["orgId", "prompt", "platform", "tone", "includeHashtags", "includeEmojis", "count", "context"],
    )?;
    let mut prompt = f.text("prompt", assistant::MAX_PROMPT_CHARS, true).unwrap_or_default();
    if let Some(context) = f.text("context", assistant::MAX_PROMPT_CHARS, false) {
        prompt = format!("{prompt}\n\nContext: {context}");
    }
    let r = assistant::CaptionRequest {
        prompt,
        provider: f.provider("platform", Provider::X, seed_platform),
        tone: f.one_of("tone", assistant::TONES, "professional"),
        count: f.int("count", 3, assistant::MAX_CAPTIONS),
        hashtags: f.flag("includeHashtags", true),
        emojis: f.flag("includeEmojis", false),
    };
    f.done()?;
    let captions = state.assistant.captions(&r).await.map_err(crate::error::ApiError::from)?;
    let shown: Vec<Value> = captions.iter().map(|c| json!({"text": c.text, "hashtags": c.hashtags})).collect();
    Ok(ok(StatusCode::OK, json!({"captions": shown})))
}

pub async fn hashtags(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let mut f = Fields::of(&body, &["orgId", "text", "platform", "count"])?;
    let text = f.text("text", assistant::MAX_TEXT_CHARS, true).unwrap_or_default();
    let provider = f.provider("platform", Provider::X, seed_platform);
    let count = f.int("count", 10, assistant::MAX_HASHTAGS);
    f.done()?;
    let tags = state.assistant.hashtags(&text, provider, count).await.map_err(crate::error::ApiError::from)?;
    Ok(ok(StatusCode::OK, json!({"hashtags": tags})))
}

pub async fn repurpose(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let mut f = Fields::of(&body, &["orgId", "text", "sourcePlatform", "targetPlatforms", "preserveTone"])?;
    let text = f.text("text", assistant::MAX_TEXT_CHARS, true).unwrap_or_default();
    let source = f.text("sourcePlatform", 50, false).unwrap_or_else(|| "text".into());
    let targets = f.providers("targetPlatforms", seed_platform);
    let preserve = f.flag("preserveTone", true);
    f.done()?;
    let versions =
        state.assistant.repurpose(&text, &source, &targets, preserve).await.map_err(crate::error::ApiError::from)?;
    let shown: Vec<Value> = versions
        .iter()
        .map(|v| json!({"platform": names::platform_name(v.provider), "text": v.text, "hashtags": v.hashtags}))
        .collect();
    Ok(ok(StatusCode::OK, json!({"versions": shown})))
}

/// The image becomes an owned file of the library: `url` is PostMantis's, stable, ready
/// for a post's `media`.
pub async fn image(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let mut f = Fields::of(&body, &["orgId", "prompt", "size"])?;
    let prompt = f.text("prompt", assistant::MAX_PROMPT_CHARS, true).unwrap_or_default();
    let size = f.one_of("size", assistant::IMAGE_SIZES, "1024x1024");
    f.done()?;
    let image = crate::routes::assistant::generate_image(&state, &org.caller, &prompt, &size).await?;
    Ok(ok(
        StatusCode::OK,
        json!({"id": image.asset_id, "url": image.url, "revisedPrompt": image.revised_prompt, "provider": "postmantis", "mimeType": image.content_type}),
    ))
}

/// `GET /x/reply-suggestions`: the workspace's X engagement topics (set with `PUT
/// /api/assistant/reply-topics`), in the seed's names.
pub async fn reply_suggestions(state: web::Data<AppState>, org: Org) -> AgencyResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let topics = store::reply_topics::list(&mut conn, org.org).await?;
    let shown: Vec<Value> = topics
        .iter()
        .map(|t| json!({"topic": t.topic, "searchQuery": t.search_query, "draftReply": t.draft_reply, "context": t.context}))
        .collect();
    Ok(ok(StatusCode::OK, shown))
}

/// No auth, as the seed says.
pub async fn image_templates() -> HttpResponse {
    ok(StatusCode::OK, assistant::IMAGE_TEMPLATES)
}
