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
        let step = Step { provider: "youtube", account: &account, req: &req, request: request.clone(), text, media, key: None, title };
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
