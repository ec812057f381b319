//! The providers' endpoints the adapters call, with the request and response shapes of
//! the real APIs. Each publish step goes through `Sim::publish_step` (faults, the call
//! record, idempotent replay where the real API has it).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::sim::{SimData, Step, authorized, bad_request, header};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg
        // X
        .route("/2/media/upload", web::post().to(x_media_upload))
        .route("/2/media/metadata", web::post().to(x_media_metadata))
        .route("/2/tweets", web::post().to(x_tweets))
        .route("/2/users/{id}/tweets", web::get().to(x_user_tweets))
        // Listings the adapters read before retrying after a lost answer
        .route("/rest/posts", web::get().to(li_list))
        .route("/youtube/v3/search", web::get().to(yt_search))
        .route("/v5/boards/{board}/pins", web::get().to(pin_list))
        .route("/v2/video/list/", web::post().to(tt_list))
        .route("/user/{username}/submitted", web::get().to(reddit_list))
        .route("/{user}/media", web::get().to(ig_list))
        .route("/{user}/threads", web::get().to(th_list))
        .route("/{page}/feed", web::get().to(fb_list))
        // LinkedIn
        .route("/rest/images", web::post().to(li_images))
        .route("/rest/videos", web::post().to(li_videos))
        .route("/rest/posts", web::post().to(li_posts))
        // YouTube
        .route("/upload/youtube/v3/videos", web::post().to(yt_start))
        .route("/upload/youtube/v3/thumbnails/set", web::post().to(yt_thumbnail))
        .route("/_upload/yt/{session}", web::put().to(yt_bytes))
        // generic upload targets (LinkedIn, Pinterest)
        .route("/_upload/{id}", web::put().to(put_upload))
        // Pinterest
        .route("/v5/media", web::post().to(pin_media))
        .route("/v5/pins", web::post().to(pin_pins))
        // TikTok
        .route("/v2/post/publish/video/init/", web::post().to(tt_init))
        .route("/v2/post/publish/status/fetch/", web::post().to(tt_status))
        // Bluesky
        .route("/xrpc/com.atproto.repo.uploadBlob", web::post().to(bsky_blob))
        .route("/xrpc/com.atproto.repo.createRecord", web::post().to(bsky_record))
        .route("/xrpc/com.atproto.repo.getRecord", web::get().to(bsky_get_record))
        // Mastodon
        .route("/api/v2/media", web::post().to(masto_media))
        .route("/api/v1/statuses", web::post().to(masto_status))
        // Reddit
        .route("/api/submit", web::post().to(reddit_submit))
        // Graph APIs (Instagram, Threads, Facebook): path segments after the account id
        .route("/{user}/media", web::post().to(ig_container))
        .route("/{user}/media_publish", web::post().to(ig_publish))
        .route("/{user}/threads", web::post().to(th_container))
        .route("/{user}/threads_publish", web::post().to(th_publish))
        .route("/{page}/feed", web::post().to(fb_feed))
        .route("/{page}/photos", web::post().to(fb_photos))
        .route("/{id}", web::get().to(graph_object));
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

// ---- X ----

async fn x_media_upload(sim: SimData, req: HttpRequest, form: Multipart) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let (texts, files) = read_form(form).await?;
            let (_, ct, bytes) =
                files.into_iter().find(|(n, _, _)| n == "media").ok_or_else(|| bad_request("media is required"))?;
            let category = texts.get("media_category").and_then(Value::as_str).unwrap_or("tweet_image");
            let id = sim.store_upload(&account, &ct, &bytes, json!({"media_category": category}));
            Ok(HttpResponse::Ok()
                .json(json!({"data": {"id": id, "media_key": format!("3_{id}"), "expires_after_secs": 86400}})))
        }
        .await,
    )
}

async fn x_media_metadata(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            authorized(&req)?;
            let id = body["id"].as_str().ok_or_else(|| bad_request("id is required"))?.to_owned();
            let alt = body.pointer("/metadata/alt_text/text").and_then(Value::as_str).map(str::to_owned);
            match sim.state.lock().uploads.get_mut(&id) {
                Some(u) => u.alt = alt,
                None => return Err(bad_request("unknown media id")),
            }
            Ok(HttpResponse::Ok().json(json!({"data": {"associated_metadata": true}})))
        }
        .await,
    )
}

async fn x_tweets(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let text = body["text"].as_str().map(str::to_owned);
            let ids: Vec<String> = body
                .pointer("/media/media_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let media = ids.iter().map(|i| sim.upload_facts(i)).collect();
            let step = Step {
                provider: "x",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: text.clone(),
                media,
                key: None,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Created().json(json!({"data": {"id": post.id, "text": text}})))
        }
        .await,
    )
}

async fn x_user_tweets(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done(
        async {
            authorized(&req)?;
            let st = sim.state.lock();
            let mine: Vec<Value> = st
                .publishes
                .iter()
                .rev()
                .filter(|p| p.provider == "x" && p.account == *id)
                .take(page_size(&req))
                .map(|p| {
                    json!({"id": p.id, "text": p.text.as_deref().map(x_stored_text), "created_at": p.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)})
                })
                .collect();
            Ok(HttpResponse::Ok().json(json!({"data": mine, "meta": {"result_count": mine.len()}})))
        }
        .await,
    )
}

/// X keeps a post's text trimmed, with every link wrapped as a t.co link.
fn x_stored_text(text: &str) -> String {
    text.trim()
        .split_inclusive(char::is_whitespace)
        .map(|w| {
            let bare = w.trim_end();
            if bare.starts_with("http://") || bare.starts_with("https://") {
                let wrapped = &crate::sim::sha256(bare.as_bytes())[..10];
                format!("https://t.co/{wrapped}{}", &w[bare.len()..])
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// Graph API time stamps: `2026-12-01T12:00:05+0000`.
fn graph_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

// ---- LinkedIn ----

fn li_headers(req: &HttpRequest) -> Result<(), HttpResponse> {
    if header(req, "linkedin-version").is_none() || header(req, "x-restli-protocol-version").as_deref() != Some("2.0.0")
    {
        return Err(bad_request("LinkedIn-Version and X-Restli-Protocol-Version: 2.0.0 are required"));
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Action {
    action: Option<String>,
}

async fn li_images(sim: SimData, req: HttpRequest, q: web::Query<Action>, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            li_headers(&req)?;
            if q.action.as_deref() != Some("initializeUpload")
                || body.pointer("/initializeUploadRequest/owner").is_none()
            {
                return Err(bad_request("expected action=initializeUpload with initializeUploadRequest.owner"));
            }
            let id = sim.store_upload(&account, "", &[], json!({"kind": "image"}));
            Ok(HttpResponse::Ok().json(json!({"value": {
                "uploadUrlExpiresAt": 0,
                "uploadUrl": format!("{}/_upload/{id}", sim.base_url),
                "image": format!("urn:li:image:{id}"),
            }})))
        }
        .await,
    )
}

async fn li_videos(sim: SimData, req: HttpRequest, q: web::Query<Action>, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        li_headers(&req)?;
        match q.action.as_deref() {
            Some("initializeUpload") => {
                let size = body.pointer("/initializeUploadRequest/fileSizeBytes").and_then(Value::as_u64).unwrap_or(0);
                let id = sim.store_upload(&account, "", &[], json!({"kind": "video"}));
                Ok(HttpResponse::Ok().json(json!({"value": {
                    "uploadUrlsExpireAt": 0,
                    "video": format!("urn:li:video:{id}"),
                    "uploadInstructions": [{"uploadUrl": format!("{}/_upload/{id}", sim.base_url), "firstByte": 0, "lastByte": size.saturating_sub(1)}],
                    "uploadToken": "",
                }})))
            }
            Some("finalizeUpload") => Ok(HttpResponse::Ok().json(json!({}))),
            _ => Err(bad_request("unknown action")),
        }
    }
    .await)
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

async fn li_posts(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            li_headers(&req)?;
            for f in ["author", "commentary", "visibility", "distribution", "lifecycleState"] {
                if body.get(f).is_none() {
                    return Err(bad_request(&format!("{f} is required")));
                }
            }
            let urns: Vec<String> =
                match (body.pointer("/content/media/id"), body.pointer("/content/multiImage/images")) {
                    (Some(Value::String(u)), _) => vec![u.clone()],
                    (_, Some(Value::Array(a))) => {
                        a.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect()
                    }
                    _ => vec![],
                };
            let media = urns.iter().map(|u| sim.upload_facts(u.rsplit(':').next().unwrap_or(""))).collect();
            let text = body["commentary"].as_str().map(str::to_owned);
            let step = Step {
                provider: "linkedin",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text,
                media,
                key: None,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Created().insert_header(("x-restli-id", format!("urn:li:share:{}", post.id))).finish())
        }
        .await,
    )
}

// ---- YouTube ----

async fn yt_start(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
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

async fn yt_bytes(sim: SimData, req: HttpRequest, session: web::Path<String>, bytes: web::Bytes) -> HttpResponse {
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
struct VideoId {
    #[serde(rename = "videoId")]
    video_id: String,
}

async fn yt_thumbnail(sim: SimData, req: HttpRequest, q: web::Query<VideoId>, bytes: web::Bytes) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let ct = header(&req, "content-type").unwrap_or_default();
        sim.store_upload(&account, &ct, &bytes, json!({"thumbnail_for": q.video_id}));
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": "https://i.ytimg.com/vi/x/default.jpg"}}]})))
    }
    .await)
}

// ---- Pinterest ----

async fn pin_media(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["media_type"] != "video" {
            return Err(bad_request("media_type must be video"));
        }
        let id = sim.store_upload(&account, "", &[], json!({"kind": "video"}));
        Ok(HttpResponse::Created().json(json!({"media_id": id, "media_type": "video", "upload_url": format!("{}/_upload/{id}", sim.base_url), "upload_parameters": {}})))
    }
    .await)
}

async fn pin_pins(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["board_id"].as_str().is_none() {
            return Err(bad_request("board_id is required"));
        }
        let media = match body.pointer("/media_source/source_type").and_then(Value::as_str) {
            Some("image_url") => sim.fetch_all(&[body.pointer("/media_source/url").and_then(Value::as_str).unwrap_or("").to_owned()]).await?,
            Some("video_id") => vec![sim.upload_facts(body.pointer("/media_source/media_id").and_then(Value::as_str).unwrap_or(""))],
            _ => return Err(bad_request("media_source is required")),
        };
        let text = body["description"].as_str().map(str::to_owned);
        let step = Step { provider: "pinterest", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: None, title: None };
        let post = sim.publish_step(step).await?.post();
        Ok(HttpResponse::Created().json(json!({"id": post.id, "board_id": body["board_id"], "title": body["title"], "description": body["description"]})))
    }
    .await)
}

// ---- TikTok ----

async fn tt_init(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body.pointer("/source_info/source").and_then(Value::as_str) != Some("PULL_FROM_URL") {
            return Err(bad_request("source_info.source must be PULL_FROM_URL"));
        }
        let url = body.pointer("/source_info/video_url").and_then(Value::as_str).unwrap_or("").to_owned();
        let media = sim.fetch_all(&[url]).await?;
        let text = body.pointer("/post_info/title").and_then(Value::as_str).map(str::to_owned);
        let step = Step { provider: "tiktok", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: None, title: None };
        let post = sim.publish_step(step).await?.post();
        Ok(HttpResponse::Ok().json(json!({"data": {"publish_id": format!("v_pub_url~{}", post.id)}, "error": {"code": "ok", "message": "", "log_id": "sim"}})))
    }
    .await)
}

async fn tt_status(req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        authorized(&req)?;
        let id = body["publish_id"].as_str().and_then(|p| p.strip_prefix("v_pub_url~")).ok_or_else(|| bad_request("unknown publish_id"))?;
        Ok(HttpResponse::Ok().json(json!({"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [id]}, "error": {"code": "ok", "message": ""}})))
    }
    .await)
}

// ---- Bluesky ----

async fn bsky_blob(sim: SimData, req: HttpRequest, bytes: web::Bytes) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let ct = header(&req, "content-type").unwrap_or_default();
        let id = sim.store_upload(&account, &ct, &bytes, json!({}));
        Ok(HttpResponse::Ok().json(json!({"blob": {"$type": "blob", "ref": {"$link": format!("bafkrei{id}")}, "mimeType": ct, "size": bytes.len()}})))
    }
    .await)
}

async fn bsky_record(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["collection"] != "app.bsky.feed.post" || body.pointer("/record/$type").and_then(Value::as_str) != Some("app.bsky.feed.post") {
            return Err(bad_request("expected an app.bsky.feed.post record"));
        }
        let rkey = body["rkey"].as_str().map(str::to_owned);
        if let Some(k) = &rkey {
            // Record keys are unique within one repository, as on a real PDS.
            let exists = sim.state.lock().publishes.iter().any(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(k));
            if exists {
                return Err(HttpResponse::BadRequest().json(json!({"error": "InvalidRequest", "message": "Record already exists"})));
            }
        }
        let blobs: Vec<String> = body
            .pointer("/record/embed/images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.pointer("/image/ref/$link").and_then(Value::as_str).and_then(|l| l.strip_prefix("bafkrei")).map(str::to_owned))
            .collect();
        let media = blobs.iter().map(|b| sim.upload_facts(b)).collect();
        let text = body.pointer("/record/text").and_then(Value::as_str).map(str::to_owned);
        let step = Step { provider: "bluesky", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: rkey.clone(), title: None };
        let post = sim.publish_step(step).await?.post();
        let repo = body["repo"].as_str().unwrap_or("");
        Ok(HttpResponse::Ok().json(json!({"uri": format!("at://{repo}/app.bsky.feed.post/{}", rkey.unwrap_or(post.id.clone())), "cid": format!("bafyrei{}", post.id)})))
    }
    .await)
}

#[derive(serde::Deserialize)]
struct RecordKey {
    repo: String,
    collection: String,
    rkey: String,
}

/// `com.atproto.repo.getRecord`: one record of the caller's repository by its key.
async fn bsky_get_record(sim: SimData, req: HttpRequest, q: web::Query<RecordKey>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let found = sim
            .state
            .lock()
            .publishes
            .iter()
            .find(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(q.rkey.as_str()))
            .cloned();
        match found {
            Some(p) if q.collection == "app.bsky.feed.post" => Ok(HttpResponse::Ok().json(json!({
                "uri": format!("at://{}/app.bsky.feed.post/{}", q.repo, q.rkey),
                "cid": format!("bafyrei{}", p.id),
                "value": {"$type": "app.bsky.feed.post", "text": p.text, "createdAt": p.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)},
            }))),
            _ => Err(HttpResponse::BadRequest().json(json!({"error": "RecordNotFound", "message": "Record not found"}))),
        }
    }
    .await)
}

// ---- Mastodon ----

async fn masto_media(sim: SimData, req: HttpRequest, form: Multipart) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let (texts, files) = read_form(form).await?;
            let (_, ct, bytes) =
                files.into_iter().find(|(n, _, _)| n == "file").ok_or_else(|| bad_request("file is required"))?;
            let id = sim.store_upload(&account, &ct, &bytes, json!({}));
            let alt = texts.get("description").and_then(Value::as_str).map(str::to_owned);
            if let Some(u) = sim.state.lock().uploads.get_mut(&id) {
                u.alt = alt.clone();
            }
            Ok(HttpResponse::Ok().json(
                json!({"id": id, "type": if ct.starts_with("video/") { "video" } else { "image" }, "description": alt}),
            ))
        }
        .await,
    )
}

async fn masto_status(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let ids: Vec<String> = body["media_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let media = ids.iter().map(|i| sim.upload_facts(i)).collect();
            let text = body["status"].as_str().map(str::to_owned);
            let key = header(&req, "idempotency-key");
            let step = Step {
                provider: "mastodon",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: text.clone(),
                media,
                key,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Ok().json(json!({
                "id": post.id,
                "url": format!("https://mastodon.example/@{account}/{}", post.id),
                "content": text,
                "visibility": body["visibility"],
            })))
        }
        .await,
    )
}

// ---- Reddit ----

async fn reddit_submit(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| bad_request("expected a form body"))?;
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("api_type").as_deref() != Some("json") || get("sr").is_none() || get("title").is_none() {
                return Ok(HttpResponse::Ok().json(
                    json!({"json": {"errors": [["BAD_REQUEST", "api_type=json, sr and title are required", "sr"]]}}),
                ));
            }
            let media = match get("kind").as_deref() {
                Some("link") => sim.fetch_all(&[get("url").unwrap_or_default()]).await?,
                _ => vec![],
            };
            let record: serde_json::Map<String, Value> =
                form.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            let step = Step {
                provider: "reddit",
                account: &account,
                req: &req,
                request: request_record(&req, Value::Object(record)),
                text: get("text"),
                media,
                key: None,
                title: get("title"),
            };
            let post = match sim.publish_step(step).await {
                Ok(s) => s.post(),
                // Reddit answers refusals inside a 200 `json.errors`.
                Err(resp) if resp.status() == actix_web::http::StatusCode::BAD_REQUEST => {
                    return Ok(HttpResponse::Ok().json(
                        json!({"json": {"errors": [["SUBMIT_VALIDATION", "The post was rejected.", "title"]]}}),
                    ));
                }
                Err(resp) => return Err(resp),
            };
            let sr = get("sr").unwrap_or_default();
            Ok(HttpResponse::Ok().json(json!({"json": {"errors": [], "data": {
                "url": format!("https://www.reddit.com/r/{sr}/comments/{}/", post.id),
                "id": post.id,
                "name": format!("t3_{}", post.id),
            }}})))
        }
        .await,
    )
}

// ---- Instagram, Threads, Facebook (Graph API) ----

/// A container waiting to be published.
fn container(
    sim: &SimData,
    account: &str,
    provider: &str,
    body: &Value,
    req: &HttpRequest,
    media: Vec<Value>,
) -> String {
    let meta = json!({"provider": provider, "request": request_record(req, body.clone()), "media": media});
    sim.store_upload(account, "container", &[], meta)
}

async fn graph_container(sim: SimData, req: HttpRequest, user: String, body: Value, provider: &str) -> Reply {
    let account = authorized(&req)?;
    if user != account {
        return Err(bad_request("the token does not belong to this account"));
    }
    let mut urls = Vec::new();
    for key in ["image_url", "video_url"] {
        if let Some(u) = body[key].as_str() {
            urls.push(u.to_owned());
        }
    }
    let mut media = sim.fetch_all(&urls).await?;
    if let Some(children) = body["children"].as_str() {
        for c in children.split(',') {
            if let Some(up) = sim.upload(c) {
                media.extend(up.meta["media"].as_array().cloned().unwrap_or_default());
            }
        }
    }
    let id = container(&sim, &account, provider, &body, &req, media);
    Ok(HttpResponse::Ok().json(json!({"id": id})))
}

async fn graph_publish(sim: SimData, req: HttpRequest, body: Value, provider: &str) -> Reply {
    let account = authorized(&req)?;
    let cid = body["creation_id"].as_str().ok_or_else(|| bad_request("creation_id is required"))?;
    let c =
        sim.upload(cid).filter(|c| c.content_type == "container").ok_or_else(|| bad_request("unknown creation_id"))?;
    let request = c.meta["request"].clone();
    let text = request
        .pointer("/body/caption")
        .or_else(|| request.pointer("/body/text"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let media = c.meta["media"].as_array().cloned().unwrap_or_default();
    let step = Step { provider, account: &account, req: &req, request, text, media, key: None, title: None };
    let post = sim.publish_step(step).await?.post();
    Ok(HttpResponse::Ok().json(json!({"id": post.id})))
}

async fn ig_container(sim: SimData, req: HttpRequest, user: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    done(graph_container(sim, req, user.into_inner(), body.0, "instagram").await)
}

async fn ig_publish(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(graph_publish(sim, req, body.0, "instagram").await)
}

async fn th_container(sim: SimData, req: HttpRequest, user: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    done(graph_container(sim, req, user.into_inner(), body.0, "threads").await)
}

async fn th_publish(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(graph_publish(sim, req, body.0, "threads").await)
}

async fn fb_post(sim: SimData, req: HttpRequest, page: String, body: Value, photo: bool) -> Reply {
    let account = authorized(&req)?;
    if page != account {
        return Err(bad_request("the token does not belong to this page"));
    }
    let media = match body["url"].as_str() {
        Some(u) if photo => sim.fetch_all(&[u.to_owned()]).await?,
        _ => vec![],
    };
    let text = body["message"].as_str().or_else(|| body["caption"].as_str()).map(str::to_owned);
    let step = Step {
        provider: "facebook",
        account: &account,
        req: &req,
        request: request_record(&req, body.clone()),
        text,
        media,
        key: None,
        title: None,
    };
    let post = sim.publish_step(step).await?.post();
    let post_id = format!("{page}_{}", post.id);
    Ok(HttpResponse::Ok().json(if photo { json!({"id": post.id, "post_id": post_id}) } else { json!({"id": post_id}) }))
}

async fn fb_feed(sim: SimData, req: HttpRequest, page: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    done(fb_post(sim, req, page.into_inner(), body.0, false).await)
}

async fn fb_photos(sim: SimData, req: HttpRequest, page: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    done(fb_post(sim, req, page.into_inner(), body.0, true).await)
}

/// `GET /{id}?fields=permalink` for published Instagram and Threads media.
async fn graph_object(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done(
        async {
            authorized(&req)?;
            let st = sim.state.lock();
            let p = st.publishes.iter().find(|p| p.id == *id).ok_or_else(|| {
                HttpResponse::NotFound().json(json!({"error": {"message": "Unsupported get request"}}))
            })?;
            let permalink = match p.provider.as_str() {
                "threads" => format!("https://www.threads.net/@{}/post/{}", p.account, p.id),
                _ => format!("https://www.instagram.com/p/{}/", p.id),
            };
            Ok(HttpResponse::Ok().json(json!({"id": p.id, "permalink": permalink})))
        }
        .await,
    )
}

// ---- listings (look-ups after a lost answer) ----

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

async fn li_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "linkedin").map(|ps| {
        let elements: Vec<Value> =
            ps.iter().map(|p| json!({"id": format!("urn:li:share:{}", p.id), "commentary": p.text, "createdAt": p.at.timestamp_millis()})).collect();
        HttpResponse::Ok().json(json!({"elements": elements, "paging": {"count": elements.len()}}))
    }))
}

async fn yt_search(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "youtube").map(|ps| {
        let items: Vec<Value> = ps
            .iter()
            .map(|p| json!({"id": {"kind": "youtube#video", "videoId": p.id}, "snippet": {"title": p.title, "description": p.text, "publishedAt": p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}}))
            .collect();
        HttpResponse::Ok().json(json!({"kind": "youtube#searchListResponse", "items": items}))
    }))
}

async fn pin_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "pinterest").map(|ps| {
        let items: Vec<Value> = ps.iter().map(|p| json!({"id": p.id, "description": p.text, "created_at": p.at.format("%Y-%m-%dT%H:%M:%S").to_string()})).collect();
        HttpResponse::Ok().json(json!({"items": items, "bookmark": null}))
    }))
}

async fn tt_list(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let max = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["max_count"].as_u64()).unwrap_or(10);
    done(authorized(&req).map(|account| sim.recent("tiktok", &account, max.clamp(1, 20) as usize)).map(|ps| {
        let videos: Vec<Value> =
            ps.iter().map(|p| json!({"id": p.id, "title": p.text, "create_time": p.at.timestamp()})).collect();
        HttpResponse::Ok()
            .json(json!({"data": {"videos": videos, "has_more": false}, "error": {"code": "ok", "message": ""}}))
    }))
}

async fn reddit_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "reddit").map(|ps| {
        let children: Vec<Value> = ps
            .iter()
            .map(|p| json!({"kind": "t3", "data": {"id": p.id, "name": format!("t3_{}", p.id), "title": p.title, "selftext": p.text, "url": format!("https://www.reddit.com/comments/{}/", p.id), "created_utc": p.at.timestamp() as f64}}))
            .collect();
        HttpResponse::Ok().json(json!({"kind": "Listing", "data": {"children": children}}))
    }))
}

fn graph_list(sim: &SimData, req: &HttpRequest, provider: &str, text_key: &str) -> Reply {
    list(sim, req, provider).map(|ps| {
        let data: Vec<Value> = ps
            .iter()
            .map(|p| {
                let permalink = match provider {
                    "threads" => format!("https://www.threads.net/@{}/post/{}", p.account, p.id),
                    "facebook" => format!("https://www.facebook.com/{}_{}", p.account, p.id),
                    _ => format!("https://www.instagram.com/p/{}/", p.id),
                };
                let id = if provider == "facebook" { format!("{}_{}", p.account, p.id) } else { p.id.clone() };
                let at_key = if provider == "facebook" { "created_time" } else { "timestamp" };
                json!({"id": id, text_key: p.text, "permalink": permalink, at_key: graph_time(&p.at)})
            })
            .collect();
        HttpResponse::Ok().json(json!({"data": data}))
    })
}

async fn ig_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "instagram", "caption"))
}

async fn th_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "threads", "text"))
}

async fn fb_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "facebook", "message"))
}
