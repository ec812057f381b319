//! The providers' endpoints the adapters call, one module per provider (mirroring
//! `providers::adapters`), with the request and response shapes of
//! the real APIs. Each publish step goes through `Sim::publish_step` (faults, the call
//! record, idempotent replay where the real API has it).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::sim::{SimData, Step, authorized, bad_request, header};

mod bluesky;
mod dribbble;
mod graph;
mod linkedin;
mod mastodon;
mod metrics;
mod openai;
mod pinterest;
mod reddit;
mod tiktok;
mod x;
mod youtube;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg
        // The assistant's model server (OpenAI-compatible)
        .route("/v1/chat/completions", web::post().to(openai::chat))
        .route("/v1/images/generations", web::post().to(openai::images))
        .route("/_sim/assistant/requests", web::get().to(openai::requests))
        .route("/_sim/assistant/images/{name}", web::get().to(openai::image_file))
        // X
        .route("/2/media/upload", web::post().to(x::x_media_upload))
        .route("/2/media/metadata", web::post().to(x::x_media_metadata))
        .route("/2/tweets", web::post().to(x::x_tweets))
        .route("/2/users/{id}/tweets", web::get().to(x::x_user_tweets))
        // Inboxes: mentions, messages and notifications in each platform's shape
        .route("/2/users/{id}/mentions", web::get().to(x::x_mentions))
        .route("/2/dm_events", web::get().to(x::x_dm_events))
        .route("/api/v1/notifications", web::get().to(mastodon::masto_notifications))
        .route("/xrpc/app.bsky.notification.listNotifications", web::get().to(bluesky::bsky_notifications))
        .route("/{comment}/replies", web::post().to(graph::graph_comment))
        // Metrics, in each platform's shape
        .route("/2/tweets/{id}", web::get().to(metrics::x_tweet))
        .route("/rest/socialActions/{urn}", web::get().to(metrics::li_social_actions))
        .route("/youtube/v3/videos", web::get().to(metrics::yt_videos))
        .route("/v2/video/query/", web::post().to(metrics::tt_query))
        .route("/v5/pins/{id}/analytics", web::get().to(metrics::pin_analytics))
        .route("/xrpc/app.bsky.feed.getPosts", web::get().to(metrics::bsky_get_posts))
        .route("/api/v1/statuses/{id}", web::get().to(metrics::masto_status_get))
        .route("/api/info", web::get().to(metrics::reddit_info))
        .route("/v2/shots/{id}", web::get().to(metrics::dribbble_shot))
        .route("/{id}/insights", web::get().to(metrics::graph_insights))
        // Account figures, in each platform's shape
        .route("/2/users/me", web::get().to(metrics::x_me))
        .route("/rest/networkSizes/{urn}", web::get().to(metrics::li_network_size))
        .route("/rest/memberFollowersCount", web::get().to(metrics::li_member_followers))
        .route("/youtube/v3/channels", web::get().to(metrics::yt_channels))
        .route("/v2/user/info/", web::get().to(metrics::tt_user_info))
        .route("/v5/user_account", web::get().to(metrics::pin_user_account))
        .route("/api/v1/accounts/verify_credentials", web::get().to(metrics::masto_verify_credentials))
        .route("/api/v1/me", web::get().to(metrics::reddit_me))
        .route("/v2/user", web::get().to(metrics::dribbble_user))
        .route("/{user}/threads_insights", web::get().to(metrics::th_user_insights))
        // Listings the adapters read before retrying after a lost answer
        .route("/rest/posts", web::get().to(linkedin::li_list))
        .route("/youtube/v3/search", web::get().to(youtube::yt_search))
        .route("/v5/boards/{board}/pins", web::get().to(pinterest::pin_list))
        .route("/v2/video/list/", web::post().to(tiktok::tt_list))
        .route("/user/{username}/submitted", web::get().to(reddit::reddit_list))
        .route("/{user}/media", web::get().to(graph::ig_list))
        .route("/{user}/threads", web::get().to(graph::th_list))
        .route("/{user}/replies", web::get().to(graph::th_replies))
        // Comments: LinkedIn social actions, Graph API objects, YouTube comment threads, Reddit
        .route("/rest/socialActions/{urn}/comments", web::post().to(linkedin::li_comment))
        .route("/rest/socialActions/{urn}/comments", web::get().to(linkedin::li_comments))
        .route("/youtube/v3/commentThreads", web::post().to(youtube::yt_comment))
        .route("/youtube/v3/commentThreads", web::get().to(youtube::yt_comments))
        .route("/api/comment", web::post().to(reddit::reddit_comment))
        .route("/user/{username}/comments", web::get().to(reddit::reddit_comments))
        .route("/{object}/comments", web::post().to(graph::graph_comment))
        .route("/{object}/comments", web::get().to(graph::graph_comments))
        .route("/{page}/feed", web::get().to(graph::fb_list))
        // LinkedIn
        .route("/rest/images", web::post().to(linkedin::li_images))
        .route("/rest/videos", web::post().to(linkedin::li_videos))
        .route("/rest/posts", web::post().to(linkedin::li_posts))
        // YouTube
        .route("/upload/youtube/v3/videos", web::post().to(youtube::yt_start))
        .route("/upload/youtube/v3/thumbnails/set", web::post().to(youtube::yt_thumbnail))
        .route("/_upload/yt/{session}", web::put().to(youtube::yt_bytes))
        // generic upload targets (LinkedIn, Pinterest)
        .route("/_upload/{id}", web::put().to(put_upload))
        // Pinterest
        .route("/v5/media", web::post().to(pinterest::pin_media))
        .route("/v5/pins", web::post().to(pinterest::pin_pins))
        // TikTok
        .route("/v2/post/publish/video/init/", web::post().to(tiktok::tt_init))
        .route("/v2/post/publish/status/fetch/", web::post().to(tiktok::tt_status))
        // Bluesky
        .route("/xrpc/com.atproto.repo.uploadBlob", web::post().to(bluesky::bsky_blob))
        .route("/xrpc/com.atproto.repo.createRecord", web::post().to(bluesky::bsky_record))
        .route("/xrpc/com.atproto.repo.getRecord", web::get().to(bluesky::bsky_get_record))
        // Mastodon
        .route("/api/v2/media", web::post().to(mastodon::masto_media))
        .route("/api/v1/statuses", web::post().to(mastodon::masto_status))
        // Reddit
        .route("/api/submit", web::post().to(reddit::reddit_submit))
        // Dribbble
        .route("/v2/shots", web::post().to(dribbble::shots))
        .route("/v2/user/shots", web::get().to(dribbble::user_shots))
        // Graph APIs (Instagram, Threads, Facebook): path segments after the account id
        .route("/{user}/media", web::post().to(graph::ig_container))
        .route("/{user}/media_publish", web::post().to(graph::ig_publish))
        .route("/{user}/threads", web::post().to(graph::th_container))
        .route("/{user}/threads_publish", web::post().to(graph::th_publish))
        .route("/{page}/feed", web::post().to(graph::fb_feed))
        .route("/{page}/photos", web::post().to(graph::fb_photos))
        .route("/{id}", web::get().to(graph::graph_object));
}

type Reply = Result<HttpResponse, HttpResponse>;

fn done(r: Reply) -> HttpResponse {
    r.unwrap_or_else(|e| e)
}

/// The publish request as the call record shows it.
fn request_record(req: &HttpRequest, body: Value) -> Value {
    let mut headers = serde_json::Map::new();
    for h in ["content-type", "linkedin-version", "x-restli-protocol-version", "idempotency-key"] {
        if let Some(v) = header(req, h) {
            headers.insert(h.to_owned(), Value::String(v));
        }
    }
    json!({"method": req.method().as_str(), "path": req.uri().to_string(), "headers": headers, "body": body})
}

/// A multipart form read whole: text fields and files (content type, bytes).
async fn read_form(
    mut form: Multipart,
) -> Result<(serde_json::Map<String, Value>, Vec<(String, String, Vec<u8>)>), HttpResponse> {
    let mut texts = serde_json::Map::new();
    let mut files = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| bad_request(&format!("bad multipart: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        let is_file = field.content_disposition().and_then(|cd| cd.get_filename()).is_some();
        let ct = field.content_type().map(|m| m.to_string()).unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            bytes.extend_from_slice(&chunk.map_err(|e| bad_request(&format!("bad multipart: {e}")))?);
        }
        if is_file || name == "media" {
            files.push((name, ct, bytes));
        } else {
            texts.insert(name, Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok((texts, files))
}

async fn put_upload(sim: SimData, req: HttpRequest, id: web::Path<String>, bytes: web::Bytes) -> HttpResponse {
    let ct = header(&req, "content-type").unwrap_or_else(|| "application/octet-stream".into());
    let mut st = sim.state.lock();
    match st.uploads.get_mut(id.as_str()) {
        Some(u) => {
            u.size = bytes.len();
            u.sha256 = crate::sim::sha256(&bytes);
            if !ct.is_empty() {
                u.content_type = ct;
            }
            HttpResponse::Created().insert_header(("etag", format!("\"{}\"", &u.sha256[..16]))).finish()
        }
        None => HttpResponse::NotFound().json(json!({"error": {"message": "unknown upload"}})),
    }
}

fn list(sim: &SimData, req: &HttpRequest, provider: &str) -> Result<Vec<crate::sim::Publish>, HttpResponse> {
    let account = authorized(req)?;
    Ok(sim.recent(provider, &account, page_size(req)))
}

/// Like the real list endpoints: a page of 10 unless asked for more, at most 100. Each
/// platform names the parameter its own way.
fn page_size(req: &HttpRequest) -> usize {
    let q: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    ["max_results", "count", "limit", "maxResults", "page_size", "max_count"]
        .iter()
        .find_map(|k| q.get(*k).and_then(|v| v.parse::<usize>().ok()))
        .unwrap_or(10)
        .clamp(1, 100)
}
