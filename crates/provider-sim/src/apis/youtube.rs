//! YouTube: resumable upload, thumbnails, search.

use super::*;

pub(super) async fn yt_start(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let q = req.query_string();
        if !q.contains("uploadType=resumable") || !q.contains("part=snippet,status") {
            return Err(bad_request("expected uploadType=resumable&part=snippet,status"));
        }
        if body.pointer("/snippet/title").and_then(Value::as_str).is_none() {
            return Err(bad_request("snippet.title is required"));
        }
        let ct = header(&req, "x-upload-content-type").unwrap_or_default();
        let meta = json!({"request": request_record(&req, body.0.clone()), "delivery": header(&req, "x-postmantis-delivery-id")});
        let id = sim.store_upload(&account, &ct, &[], meta);
        Ok(HttpResponse::Ok().insert_header(("Location", format!("{}/_upload/yt/{id}", sim.base_url))).finish())
    }
    .await)
}

pub(super) async fn yt_bytes(
    sim: SimData,
    req: HttpRequest,
    session: web::Path<String>,
    bytes: web::Bytes,
) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let up = sim.upload(&session).ok_or_else(|| bad_request("unknown upload session"))?;
        let media = vec![json!({"content_type": header(&req, "content-type"), "size": bytes.len(), "sha256": crate::sim::sha256(&bytes)})];
        let request = up.meta["request"].clone();
        let text = request.pointer("/body/snippet/description").and_then(Value::as_str).map(str::to_owned);
        let title = request.pointer("/body/snippet/title").and_then(Value::as_str).map(str::to_owned);
        let step = Step { kind: "post", parent: None,  provider: "youtube", account: &account, req: &req, request: request.clone(), text, media, key: None, title };
        let post = sim.publish_step(step).await?.post();
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#video", "id": post.id, "snippet": request["body"]["snippet"], "status": request["body"]["status"]})))
    }
    .await)
}

#[derive(serde::Deserialize)]
pub(super) struct VideoId {
    #[serde(rename = "videoId")]
    video_id: String,
}

pub(super) async fn yt_thumbnail(
    sim: SimData,
    req: HttpRequest,
    q: web::Query<VideoId>,
    bytes: web::Bytes,
) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let ct = header(&req, "content-type").unwrap_or_default();
        sim.store_upload(&account, &ct, &bytes, json!({"thumbnail_for": q.video_id}));
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": "https://i.ytimg.com/vi/x/default.jpg"}}]})))
    }
    .await)
}

pub(super) async fn yt_search(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "youtube").map(|ps| {
        let items: Vec<Value> = ps
            .iter()
            .map(|p| json!({"id": {"kind": "youtube#video", "videoId": p.id}, "snippet": {"title": p.title, "description": p.text, "publishedAt": p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}}))
            .collect();
        HttpResponse::Ok().json(json!({"kind": "youtube#searchListResponse", "items": items}))
    }))
}

/// `POST /youtube/v3/commentThreads?part=snippet`: a top-level comment on a video.
pub(super) async fn yt_comment(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let video = body
                .pointer("/snippet/videoId")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("snippet.videoId is required"))?
                .to_owned();
            let text = body
                .pointer("/snippet/topLevelComment/snippet/textOriginal")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| bad_request("snippet.topLevelComment.snippet.textOriginal is required"))?;
            let step = Step {
                kind: "comment",
                parent: Some(video.clone()),
                provider: "youtube",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: Some(text),
                media: vec![],
                key: None,
                title: None,
            };
            let made = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Ok().json(yt_thread(&video, &made)))
        }
        .await,
    )
}

fn yt_thread(video: &str, c: &crate::sim::Publish) -> Value {
    json!({"kind": "youtube#commentThread", "id": c.id, "snippet": {"videoId": video, "topLevelComment": {"kind": "youtube#comment", "id": c.id,
        "snippet": {"videoId": video, "textOriginal": c.text, "textDisplay": c.text, "publishedAt": c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}}}})
}

#[derive(serde::Deserialize)]
pub(super) struct ByVideo {
    #[serde(rename = "videoId")]
    video_id: String,
}

/// `GET /youtube/v3/commentThreads?videoId=…`.
pub(super) async fn yt_comments(sim: SimData, req: HttpRequest, q: web::Query<ByVideo>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let items: Vec<Value> = sim
            .recent_of("youtube", &account, "comment", 100)
            .iter()
            .filter(|c| c.parent.as_deref() == Some(q.video_id.as_str()))
            .take(page_size(&req))
            .map(|c| yt_thread(&q.video_id, c))
            .collect();
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#commentThreadListResponse", "items": items})))
    })())
}
