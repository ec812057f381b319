//! Media: every input becomes an owned, verified asset before a post is accepted; the
//! provider receives the owned bytes; bad input is refused and leaves nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::files::{FileServer, jpeg, mp4, png, sha256};
use e2e::{Options, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Starts an upload session and returns its `data`.
async fn start_upload(s: &Stack, content_type: &str, size: usize) -> (StatusCode, Value) {
    s.post("/api/uploads", json!({"filename": "card.png", "content_type": content_type, "size_bytes": size})).await
}

async fn put_bytes(s: &Stack, upload: &Value, bytes: Vec<u8>) -> StatusCode {
    s.http.put(upload["upload_url"].as_str().unwrap()).body(bytes).send().await.unwrap().status()
}

async fn complete(s: &Stack, asset_id: &str) -> (StatusCode, Value) {
    s.call(Method::POST, &format!("/api/uploads/{asset_id}/complete"), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_session_becomes_an_asset_that_a_post_attaches_by_asset_id() {
    let s = Stack::start("upload").await;
    let x = s.profile("x").await;
    let bytes = png(1080, 1350);
    let (status, v) = start_upload(&s, "image/png", bytes.len()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let up = v["data"].clone();
    assert_eq!(up["status"], "pending");
    assert_eq!(up["upload_method"], "PUT");
    assert_eq!(up["upload_headers"]["Content-Type"], "image/png");
    assert_eq!(up["url"], Value::Null);
    assert!(up["expires_at"].is_string());
    let id = up["asset_id"].as_str().unwrap().to_owned();

    // Completing before the bytes arrived is 409 upload_not_ready.
    let (status, v) = complete(&s, &id).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::CONFLICT, Some("upload_not_ready")));

    assert_eq!(put_bytes(&s, &up, bytes.clone()).await, StatusCode::OK);
    let (status, v) = complete(&s, &id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "completed");
    assert_eq!(v["data"]["upload_url"], Value::Null);
    assert!(v["data"]["completed_at"].is_string());
    // No post uses it yet: its workspace's key reads it (anyone may once a post does).
    let served = s.http.get(v["data"]["url"].as_str().unwrap()).bearer_auth(&s.key).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(
        s.sql(&format!("SELECT kind, width, height, origin FROM media_assets WHERE id = '{id}'")),
        "image|1080|1350|upload"
    );

    let p = s
        .create(
            json!({"post": {"body": "with an upload"}, "profiles": [x], "media": [{"asset_id": id, "alt": "a card"}]}),
        )
        .await;
    assert_eq!(p["media"][0]["asset_id"], id.as_str());
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    let call = &s.calls("demo-x").await[0];
    assert_eq!(call["media"][0]["sha256"], sha256(&bytes), "the provider received the owned bytes");
    assert_eq!(call["media"][0]["alt"], "a card", "alt text went with the media");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_url_is_imported_and_the_provider_gets_the_owned_copy() {
    let s = Stack::start("import").await;
    let files = FileServer::start().await;
    let x = s.profile("threads").await;
    let p = s.create(json!({"post": {"body": "imported"}, "profiles": [x], "media": [{"url": files.url("/hop/2")}, {"url": files.url("/clip.mp4")}]})).await;
    let asset = p["media"][0]["asset_id"].as_str().unwrap().to_owned();
    assert!(p["media"][0]["url"].as_str().unwrap().starts_with(&s.gateway), "media are served from owned storage");
    assert_eq!(p["media"][1]["content_type"], "video/mp4");
    let video = p["media"][1]["asset_id"].as_str().unwrap();
    assert_eq!(
        s.sql(&format!("SELECT kind, duration_ms, origin FROM media_assets WHERE id = '{video}'")),
        "video|12500|import"
    );
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    let call = &s.calls("demo-threads").await[0];
    assert_eq!(call["media"][0]["sha256"], sha256(&png(10, 10)));
    assert_eq!(call["media"][1]["sha256"], sha256(&mp4(12_500)));
    assert!(
        call["media"][0]["url"].as_str().unwrap().contains(&asset),
        "the provider fetched our copy, not the source"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_post_with_two_files_and_a_cover() {
    let s = Stack::start("multipart").await;
    // A Threads carousel takes a video and an image; the YouTube cover is stored with the
    // post's options like any other.
    let yt = s.profile("threads").await;
    let form = reqwest::multipart::Form::new()
        .text("post[body]", "two files and a cover")
        .text("profiles[]", yt.clone())
        .text("provider_options[youtube][title]", "Launch")
        .text("media[0][alt]", "the clip")
        .part("media[0][file]", reqwest::multipart::Part::bytes(mp4(30_000)).file_name("clip.mp4"))
        .part("media[1][file]", reqwest::multipart::Part::bytes(jpeg(640, 480)).file_name("photo.jpg"))
        .part(
            "provider_options[youtube][cover][file]",
            reqwest::multipart::Part::bytes(png(1280, 720)).file_name("cover.png"),
        );
    let resp =
        s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).multipart(form).send().await.unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let p = &v["data"];
    assert_eq!(p["body"], "two files and a cover");
    assert_eq!(p["media"].as_array().unwrap().len(), 2);
    assert_eq!(p["media"][0]["content_type"], "video/mp4");
    assert_eq!(p["media"][0]["alt"], "the clip");
    assert_eq!(p["media"][1]["content_type"], "image/jpeg");
    assert_eq!(p["provider_options"]["youtube"]["title"], "Launch");
    let cover = p["provider_options"]["youtube"]["cover"]["asset_id"].as_str().unwrap();
    assert_eq!(
        s.sql(&format!("SELECT content_type, width, height, origin FROM media_assets WHERE id = '{cover}'")),
        "image/png|1280|720|multipart"
    );
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    let call = &s.calls("demo-threads").await[0];
    assert_eq!(call["media"][0]["sha256"], sha256(&mp4(30_000)));
    assert_eq!(call["media"][1]["sha256"], sha256(&jpeg(640, 480)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_status_reads_pending_then_processed() {
    let s = Stack::start("media-status").await;
    let files = FileServer::start().await;
    let x = s.profile("x").await;
    let draft = s
        .create(
            json!({"post": {"body": "d", "draft": true}, "profiles": [x], "media": [{"url": files.url("/card.png")}]}),
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["media"][0]["status"], "pending");
    assert_eq!(draft["media"][0]["error_message"], Value::Null);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.post_by_id(&id).await["media"][0]["status"], "pending", "a draft's media stay pending");
    let (status, _) = s.call(Method::POST, &format!("/api/posts/{id}/publish"), None).await;
    assert_eq!(status, StatusCode::OK);
    let done = s.wait_post(&id, Duration::from_secs(15), |p| p["media"][0]["status"] == "processed").await;
    assert!(["scheduled", "completed"].contains(&done["status"].as_str().unwrap()));
}

/// Each bad input: the status, the field named, and nothing left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_media_inputs_are_refused_clearly_and_leave_nothing_behind() {
    let s = Stack::start_with("bad-media", Options { remote_allow_hosts: "", ..Options::default() }).await;
    let files = FileServer::start().await;
    let x = s.profile("x").await;
    let assets_before = s.sql("SELECT count(*) FROM media_assets");
    let files_before = s.stored_files();
    let post_with = |media: Value| json!({"post": {"body": "b"}, "profiles": [x], "media": media});

    // A loopback URL with the allow-list empty (this stack's media-ingest allows no private host).
    let (status, v) = s.post("/api/posts", post_with(json!([{"url": files.url("/card.png")}]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("media[0].url")), "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("loopback"), "{v}");
    // Two sources in one item; an unknown asset id.
    let (status, v) =
        s.post("/api/posts", post_with(json!([{"url": "https://example.com/a.png", "asset_id": x}]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("media[0]")));
    let (status, v) =
        s.post("/api/posts", post_with(json!([{"asset_id": "0b9f3e4e-8a55-4c3a-9d59-3c1f1b0e2a11"}]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("media[0].asset_id")));
    // Two sources in one multipart item.
    let form = reqwest::multipart::Form::new()
        .text("post[body]", "b")
        .text("profiles[]", x.clone())
        .text("media[0][url]", "https://example.com/a.png")
        .part("media[0][file]", reqwest::multipart::Part::bytes(png(2, 2)).file_name("a.png"));
    let resp =
        s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).multipart(form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "media[0]");

    // Upload sessions: HTML declared as PNG, a size mismatch, 0 bytes, over the limit, too many bytes.
    let html = b"<!doctype html><html><body>hi</body></html>".to_vec();
    let (_, up) = start_upload(&s, "image/png", html.len()).await;
    put_bytes(&s, &up["data"], html).await;
    let (status, v) = complete(&s, up["data"]["asset_id"].as_str().unwrap()).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("upload")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("not a supported image"), "{v}");
    let (_, up) = start_upload(&s, "image/png", 5000).await;
    put_bytes(&s, &up["data"], png(4, 4)).await;
    let (status, v) = complete(&s, up["data"]["asset_id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["detail"].as_str().unwrap().contains("declared 5000"), "{v}");
    let (_, up) = start_upload(&s, "image/jpeg", 40).await;
    put_bytes(&s, &up["data"], png(4, 4)[..40].to_vec()).await;
    let (status, v) = complete(&s, up["data"]["asset_id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["detail"].as_str().unwrap().contains("declared image/jpeg but the bytes are image/png"), "{v}");
    let (status, v) = start_upload(&s, "image/png", 0).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("size_bytes")));
    let (status, v) = start_upload(&s, "image/png", 2 * 1024 * 1024 * 1024).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("size_bytes")));
    let (status, v) = start_upload(&s, "text/html", 10).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("content_type")));
    let (_, up) = start_upload(&s, "image/png", 10).await;
    assert_eq!(put_bytes(&s, &up["data"], png(4, 4)).await, StatusCode::PAYLOAD_TOO_LARGE);
    // Another workspace's asset is not this workspace's to use.
    let other_key = s.other_workspace().await;
    let (_, up) = s
        .call_as(
            &other_key,
            Method::POST,
            "/api/uploads",
            Some(json!({"filename": "o.png", "content_type": "image/png", "size_bytes": png(3, 3).len()})),
        )
        .await;
    put_bytes(&s, &up["data"], png(3, 3)).await;
    let other_asset = up["data"]["asset_id"].as_str().unwrap().to_owned();
    let (status, _) = s.call_as(&other_key, Method::POST, &format!("/api/uploads/{other_asset}/complete"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = s.post("/api/posts", post_with(json!([{"asset_id": other_asset}]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("media[0].asset_id")));
    let (status, v) = complete(&s, &other_asset).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("upload_not_found")));

    // Nothing was written by any refusal: the only new asset is the other workspace's.
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "0");
    assert_eq!(s.sql(&format!("SELECT count(*) FROM media_assets WHERE id <> '{other_asset}'")), assets_before);
    let leftover: Vec<String> =
        s.stored_files().into_iter().filter(|f| !files_before.contains(f) && !f.contains(&other_asset)).collect();
    assert!(leftover.is_empty(), "objects left behind: {leftover:?}");
}

/// URL imports that fail, beside one that succeeds: the whole post is refused and the
/// asset already imported for it is removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_remote_imports_refuse_the_post_and_discard_what_was_imported() {
    let s = Stack::start("bad-urls").await;
    let files = FileServer::start().await;
    let x = s.profile("x").await;
    for (path, expected) in [
        ("/missing.png", "HTTP 404"),
        ("/hop/10", "more than 5 redirects"),
        ("/empty.png", "empty"),
        ("/fake.png", "not a supported image"),
    ] {
        let body = json!({"post": {"body": "b"}, "profiles": [x], "media": [{"url": files.url("/card.png")}, {"url": files.url(path)}]});
        let (status, v) = s.post("/api/posts", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["errors"][0]["field"], "media[1].url", "{path}");
        assert!(v["errors"][0]["message"].as_str().unwrap().contains(expected), "{path}: {v}");
    }
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "0");
    assert_eq!(s.sql("SELECT count(*) FROM media_assets"), "0", "the good imports were discarded");
    assert!(s.stored_files().is_empty(), "{:?}", s.stored_files());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_and_unused_imports_are_cleaned_up() {
    let s = Stack::start_with("janitor", Options { upload_ttl_s: 1, orphan_grace_s: 1, ..Options::default() }).await;
    let files = FileServer::start().await;
    let x = s.profile("x").await;
    let bytes = png(8, 8);
    let (_, up) = start_upload(&s, "image/png", bytes.len()).await;
    assert_eq!(put_bytes(&s, &up["data"], bytes).await, StatusCode::OK);
    let id = up["data"]["asset_id"].as_str().unwrap().to_owned();
    assert!(s.stored_files().iter().any(|f| f.ends_with(&format!("staging/{id}"))));
    // An import whose post was refused for another reason (a profile that does not exist).
    let (status, _) = s.post("/api/posts", json!({"post": {"body": "b"}, "profiles": [x, "0b9f3e4e-8a55-4c3a-9d59-3c1f1b0e2a11"], "media": [{"url": files.url("/card.png")}]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !s.stored_files().is_empty() || s.sql("SELECT count(*) FROM uploads") != "0" {
        assert!(std::time::Instant::now() < deadline, "left behind: {:?}", s.stored_files());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, v) = complete(&s, &id).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("upload_not_found")));
    assert_eq!(s.sql("SELECT count(*) FROM media_assets"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_whose_file_is_gone_fail_with_a_message_and_so_does_the_delivery() {
    let s = Stack::start("media-failed").await;
    let files = FileServer::start().await;
    let x = s.profile("x").await;
    let draft = s
        .create(
            json!({"post": {"body": "d", "draft": true}, "profiles": [x], "media": [{"url": files.url("/card.png")}]}),
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let asset = draft["media"][0]["asset_id"].as_str().unwrap().to_owned();
    let file = s.stored_files().into_iter().find(|f| f.ends_with(&format!("assets/{asset}"))).unwrap();
    std::fs::remove_file(file).unwrap();
    s.call(Method::POST, &format!("/api/posts/{id}/publish"), None).await;
    let done = s
        .wait_post(&id, Duration::from_secs(15), |p| p["status"] == "completed" && p["media"][0]["status"] != "pending")
        .await;
    assert_eq!(done["media"][0]["status"], "failed");
    assert!(done["media"][0]["error_message"].as_str().unwrap().contains("could not be prepared"), "{done}");
    assert_eq!(done["deliveries"][0]["status"], "failed");
    assert!(done["deliveries"][0]["error_message"].as_str().unwrap().contains("404"), "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_more_files_than_a_post_takes_is_refused_before_anything_is_stored() {
    let s = Stack::start("multipart-flood").await;
    let x = s.profile("x").await;
    let send = |form: reqwest::multipart::Form| {
        let (http, url, key) = (s.http.clone(), format!("{}/api/posts", s.gateway), s.key.clone());
        async move {
            let r = http.post(url).bearer_auth(key).multipart(form).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    // The same slot again and again: each part used to be staged.
    let mut form = reqwest::multipart::Form::new().text("post[body]", "flood").text("profiles[]", x.clone());
    for _ in 0..40 {
        form = form.part("media[0][file]", reqwest::multipart::Part::bytes(png(8, 8)).file_name("a.png"));
    }
    let (status, v) = send(form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errors"][0]["field"], "media[0][file]", "{v}");
    // More slots than a post has.
    let mut form = reqwest::multipart::Form::new().text("post[body]", "flood").text("profiles[]", x.clone());
    for i in 0..20 {
        form = form.part(format!("media[{i}][file]"), reqwest::multipart::Part::bytes(png(8, 8)).file_name("a.png"));
    }
    for p in ["youtube", "instagram", "pinterest"] {
        form = form.part(
            format!("provider_options[{p}][cover][file]"),
            reqwest::multipart::Part::bytes(png(8, 8)).file_name("c.png"),
        );
    }
    form = form.part("media[20][file]", reqwest::multipart::Part::bytes(png(8, 8)).file_name("a.png"));
    let (status, v) = send(form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(s.stored_files().is_empty(), "staged files were left: {:?}", s.stored_files());
    assert_eq!(s.sql("SELECT count(*) FROM media_assets"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_anywhere_is_a_400_naming_the_field() {
    let s = Stack::start("nul").await;
    let x = s.profile("x").await;
    for (body, field) in [
        (json!({"post": {"body": "a\u{0}b"}, "profiles": [x]}), "post.body"),
        (
            json!({"post": {"body": "ok"}, "profiles": [x], "media": [{"url": "https://example.com/a.png", "alt": "\u{0}"}]}),
            "media[0].alt",
        ),
        (
            json!({"post": {"body": "ok"}, "profiles": [x], "provider_options": {"x": {"reply_settings": "\u{0}"}}}),
            "provider_options.x.reply_settings",
        ),
    ] {
        let (status, v) = s.post("/api/posts", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }
    let (status, v) = s.post("/api/webhooks", json!({"url": "https://example.com/\u{0}"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let form = reqwest::multipart::Form::new().text("post[body]", "a\u{0}b").text("profiles[]", x.clone());
    let r = s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let draft = s.create(json!({"post": {"body": "draft", "draft": true}, "profiles": [x]})).await;
    let (status, v) = s
        .call(
            Method::PATCH,
            &format!("/api/posts/{}", draft["id"].as_str().unwrap()),
            Some(json!({"post": {"body": "\u{0}"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errors"][0]["field"], "post.body");
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_no_post_uses_is_served_only_with_a_key_of_its_workspace() {
    let s = Stack::start("media-private").await;
    let x = s.profile("x").await;
    let bytes = png(4, 4);
    let (_, v) = start_upload(&s, "image/png", bytes.len()).await;
    put_bytes(&s, &v["data"], bytes).await;
    let asset = v["data"]["asset_id"].as_str().unwrap().to_owned();
    assert_eq!(complete(&s, &asset).await.0, StatusCode::OK);
    let url = format!("{}/media/{asset}", s.gateway);
    let anonymous = s.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND, "an unattached upload was served without a key");
    let other = s.other_workspace().await;
    assert_eq!(s.http.get(&url).bearer_auth(&other).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let own = s.http.get(&url).bearer_auth(&s.key).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.headers()["x-content-type-options"], "nosniff");
    // Once a post uses it, providers fetch it by its link, without a key.
    s.create(json!({"post": {"body": "with the upload", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x], "media": [{"asset_id": asset}]})).await;
    let public = s.http.get(&url).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");
}
