//! The platform catalogue, served and enforced from one source.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::Stack;
use e2e::files::FileServer;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// A value the option table says is valid, for required options.
fn valid_option(spec: &Value) -> Value {
    match spec["type"].as_str().unwrap() {
        "choice" => spec["values"][0].clone(),
        "flag" => json!(true),
        "url" => json!("https://example.com"),
        _ => json!("ok"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_is_served_and_its_limits_are_the_ones_enforced() {
    let s = Stack::start("platforms").await;
    let files = FileServer::start().await;
    let (status, list) = s.get("/api/platforms").await;
    assert_eq!(status, StatusCode::OK);
    let list = list["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 12);
    let (status, v) = s.get("/api/platforms/myspace").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["detail"], "Unknown platform: myspace");

    for p in &list {
        let provider = p["platform"].as_str().unwrap();
        let (_, one) = s.get(&format!("/api/platforms/{provider}")).await;
        assert_eq!(&one["data"], p);
        let profile = s.profile(provider).await;
        let mut options = Map::new();
        for spec in p["options"].as_array().unwrap().iter().filter(|o| o["required"] == true) {
            options.insert(spec["name"].as_str().unwrap().to_owned(), valid_option(spec));
        }
        let media = if p["requires_video"] == true {
            json!([{"url": files.url("/clip.mp4")}])
        } else if p["requires_media"] == true {
            let ct = p["supported_media_types"][0].as_str().unwrap();
            json!([{"url": files.url(if ct == "image/jpeg" { "/photo.jpg" } else { "/card.png" })}])
        } else {
            json!([])
        };
        let max = p["max_characters"].as_u64().unwrap() as usize;
        let body = |n: usize| json!({"post": {"body": "a".repeat(n), "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [profile], "media": media, "provider_options": {provider: options}});
        let (status, v) = s.post("/api/posts", body(max)).await;
        assert_eq!(status, StatusCode::CREATED, "{provider} at its limit: {v}");
        let (status, v) = s.post("/api/posts", body(max + 1)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{provider} over its limit: {v}");
        assert_eq!(v["errors"][0]["field"], "post.body");
        let msg = v["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains(p["name"].as_str().unwrap()) && msg.contains(&max.to_string()), "{msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_breaks_one_profiles_rules_is_refused_naming_the_rule_and_the_profile() {
    let s = Stack::start("rules").await;
    let files = FileServer::start().await;
    let (x, bsky, ig, yt, pin) = (
        s.profile("x").await,
        s.profile("bluesky").await,
        s.profile("instagram").await,
        s.profile("youtube").await,
        s.profile("pinterest").await,
    );

    // X counts a URL as 23: 260 letters + a long URL fit; Bluesky counts graphemes.
    let text = format!("{} https://example.com/{}", "a".repeat(256), "p".repeat(100));
    let (status, v) = s.post("/api/posts", json!({"post": {"body": text}, "profiles": [x]})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, v) = s.post("/api/posts", json!({"post": {"body": text}, "profiles": [x, bsky]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("Bluesky") && msg.contains("Demo Bluesky") && msg.contains("300"), "{msg}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "X is fine with it: {v}");

    // Instagram takes exactly one JPEG.
    let (status, v) = s
        .post(
            "/api/posts",
            json!({"post": {"body": "c"}, "profiles": [ig], "media": [{"url": files.url("/card.png")}]}),
        )
        .await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("media[0]")), "{v}");
    let (status, v) = s
        .post(
            "/api/posts",
            json!({"post": {"body": "c"}, "profiles": [ig], "media": [{"url": files.url("/photo.jpg")}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    // YouTube needs a video and a title; wrong enum values are named.
    let (status, v) = s.post("/api/posts", json!({"post": {"body": "d"}, "profiles": [yt], "provider_options": {"youtube": {"privacy_status": "everyone"}}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["media", "provider_options.youtube.title", "provider_options.youtube.privacy_status"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    // Pinterest needs a board; unknown options are refused.
    let (status, v) = s.post("/api/posts", json!({"post": {"body": "e"}, "profiles": [pin], "media": [{"url": files.url("/card.png")}], "provider_options": {"pinterest": {"boards": "b"}}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"provider_options.pinterest.board_id")
            && fields.contains(&"provider_options.pinterest.boards"),
        "{fields:?}"
    );
    // A cover must be an image of this workspace.
    let (status, v) = s.post("/api/posts", json!({"post": {"body": "f"}, "profiles": [yt], "media": [{"url": files.url("/clip.mp4")}], "provider_options": {"youtube": {"title": "t", "cover": {"asset_id": "0b9f3e4e-8a55-4c3a-9d59-3c1f1b0e2a11"}}}})).await;
    assert_eq!(
        (status, v["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("provider_options.youtube.cover.asset_id")),
        "{v}"
    );

    // A draft may break the rules until it is published.
    let draft = s.create(json!({"post": {"body": "a".repeat(400), "draft": true}, "profiles": [x]})).await;
    let (status, v) =
        s.call(Method::POST, &format!("/api/posts/{}/publish", draft["id"].as_str().unwrap()), None).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("post.body")), "{v}");
    assert_eq!(s.post_by_id(draft["id"].as_str().unwrap()).await["status"], "draft");
}
