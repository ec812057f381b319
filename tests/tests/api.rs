//! The contract around the lifecycle: errors, wrong states, edits, lists, keys, health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const NOBODY: &str = "0b9f3e4e-8a55-4c3a-9d59-3c1f1b0e2a11";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_404_problems_on_every_endpoint() {
    let s = Stack::start("not-found").await;
    let cases = [
        (Method::GET, format!("/api/posts/{NOBODY}"), "post_not_found"),
        (Method::GET, "/api/posts/not-a-uuid".to_owned(), "post_not_found"),
        (Method::PATCH, format!("/api/posts/{NOBODY}"), "post_not_found"),
        (Method::DELETE, format!("/api/posts/{NOBODY}"), "post_not_found"),
        (Method::POST, format!("/api/posts/{NOBODY}/publish"), "post_not_found"),
        (Method::POST, format!("/api/posts/{NOBODY}/cancel"), "post_not_found"),
        (Method::GET, format!("/api/profiles/{NOBODY}"), "profile_not_found"),
        (Method::POST, format!("/api/profiles/{NOBODY}/disconnect"), "profile_not_found"),
        (Method::GET, format!("/api/v1/posts/{NOBODY}"), "post_not_found"),
        (Method::GET, "/api/nothing-here".to_owned(), "not_found"),
    ];
    for (method, path, code) in cases {
        let body = (method == Method::PATCH).then(|| json!({"post": {"body": "x"}}));
        let (status, v) = s.call(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {v}");
        assert_eq!(v["code"], code, "{method} {path}");
        assert_eq!(v["status"], 404);
        assert!(
            v["type"].as_str().unwrap().starts_with("/problems/") && v["title"].is_string() && v["detail"].is_string()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_publish_and_cancel_in_the_wrong_state_are_409() {
    let s = Stack::start("wrong-state").await;
    let x = s.profile("x").await;
    let done = s.create(Stack::json_post("finished", &[&x])).await;
    let done_id = done["id"].as_str().unwrap().to_owned();
    s.wait_status(&done_id, "completed").await;
    let draft = s.create(json!({"post": {"body": "a draft", "draft": true}, "profiles": [x]})).await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();

    for (method, path) in [
        (Method::DELETE, format!("/api/posts/{done_id}")),
        (Method::POST, format!("/api/posts/{done_id}/publish")),
        (Method::POST, format!("/api/posts/{done_id}/cancel")),
        (Method::POST, format!("/api/posts/{draft_id}/cancel")),
        (Method::PATCH, format!("/api/posts/{done_id}")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"post": {"body": "late edit"}}));
        let (status, v) = s.call(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{method} {path}: {v}");
        assert_eq!(v["code"], "conflict");
    }
    // The completed post is untouched; the draft can be deleted for good.
    assert_eq!(s.post_by_id(&done_id).await["status"], "completed");
    let (status, _) = s.call(Method::DELETE, &format!("/api/posts/{draft_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get(&format!("/api/posts/{draft_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::DELETE, &format!("/api/posts/{draft_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let s = Stack::start("bad-input").await;
    let x = s.profile("x").await;
    let cases = [
        (
            json!({"post": {"body": "b", "draft": true, "scheduled_at": "2030-01-01T00:00:00Z"}, "profiles": [x]}),
            "post.scheduled_at",
        ),
        (json!({"post": {"body": "b"}}), "profiles"),
        (json!({"post": {"body": "b"}, "profiles": [NOBODY]}), "profiles[0]"),
        (json!({"post": {"body": "b", "scheduled_at": "next tuesday"}, "profiles": [x]}), "post.scheduled_at"),
        (
            json!({"post": {"body": "b"}, "profiles": [x], "provider_options": {"myspace": {}}}),
            "provider_options.myspace",
        ),
        (json!({"post": {"body": "b"}, "profiles": [x], "media": [{"asset_id": NOBODY}]}), "media[0].asset_id"),
        (
            json!({"post": {"body": "b"}, "profiles": [x], "media": [{"url": format!("{}/_sim/media/page.html", s.sim)}]}),
            "media[0].url",
        ),
        (json!({"post": {"body": "b"}, "profiles": [x], "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let (status, v) = s.post("/api/posts", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["code"], "invalid_request");
        let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "expected {field} in {fields:?}");
    }
    let resp = s
        .http
        .post(format!("{}/api/posts", s.gateway))
        .bearer_auth(&s.key)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, v) = s.post("/api/posts", json!({"post": {"body": "x".repeat(2_000_000)}, "profiles": [x]})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    // Nothing was written by any of the refusals.
    let (_, list) = s.get("/api/posts").await;
    assert_eq!(list["meta"]["total"], 0, "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_edits_drafts_and_reschedules_scheduled_posts() {
    let s = Stack::start("patch").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let draft = s.create(json!({"post": {"body": "v1", "draft": true}, "profiles": [x]})).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let (status, v) = s
        .call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"body": "v2"}, "profiles": [x, li]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["body"], "v2");
    assert_eq!(v["data"]["deliveries"].as_array().unwrap().len(), 2);
    let (status, v) = s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty PATCH changes nothing: {v}");

    // A scheduled post: change its body, then `scheduled_at: null` publishes it now.
    let when = Utc::now() + chrono::Duration::hours(1);
    let later =
        s.create(json!({"post": {"body": "old words", "scheduled_at": when.to_rfc3339()}, "profiles": [x]})).await;
    let lid = later["id"].as_str().unwrap().to_owned();
    s.wait_status(&lid, "scheduled").await;
    let (status, v) = s.call(Method::PATCH, &format!("/api/posts/{lid}"), Some(json!({"profiles": [li]}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "profiles of a scheduled post are fixed: {v}");
    let (status, v) =
        s.call(Method::PATCH, &format!("/api/posts/{lid}"), Some(json!({"post": {"body": "new words"}}))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["body"], "new words");
    assert_eq!(v["data"]["status"], "scheduled");
    let (status, v) =
        s.call(Method::PATCH, &format!("/api/posts/{lid}"), Some(json!({"post": {"scheduled_at": null}}))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let done = s.wait_status(&lid, "completed").await;
    assert_eq!(done["scheduled_at"], Value::Null);
    let delivery_id = done["deliveries"][0]["id"].as_str().unwrap();
    assert_eq!(s.calls_for_delivery(delivery_id).await[0]["text"], "new words");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_and_paginate_with_a_total() {
    let s = Stack::start("list").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let soon = Utc::now() + chrono::Duration::hours(1);
    let later = Utc::now() + chrono::Duration::hours(5);
    s.create(json!({"post": {"body": "d", "draft": true}, "profiles": [x]})).await;
    s.create(json!({"post": {"body": "s1", "scheduled_at": soon.to_rfc3339()}, "profiles": [x]})).await;
    let s2 = s.create(json!({"post": {"body": "s2", "scheduled_at": later.to_rfc3339()}, "profiles": [li]})).await;
    s.wait_status(s2["id"].as_str().unwrap(), "scheduled").await;

    let total = |v: &Value| v["meta"]["total"].as_i64().unwrap();
    let (_, all) = s.get("/api/posts").await;
    assert_eq!(total(&all), 3);
    assert_eq!(all["meta"]["page"], 0);
    assert_eq!(all["meta"]["per_page"], 20);
    assert_eq!(all["data"][0]["body"], "s2", "newest first");
    let (_, drafts) = s.get("/api/posts?status=draft").await;
    assert_eq!(total(&drafts), 1);
    let (_, by_provider) = s.get("/api/posts?providers=linkedin").await;
    assert_eq!(total(&by_provider), 1);
    let (_, by_profile) = s.get(&format!("/api/posts?profile_ids={x}&profile_ids={li}")).await;
    assert_eq!(total(&by_profile), 3);
    let (_, comma) = s.get(&format!("/api/posts?profile_ids={x},{li}")).await;
    assert_eq!(total(&comma), 3);
    let window = format!(
        "/api/posts?scheduled_after={}&scheduled_before={}",
        urlencode(&(soon - chrono::Duration::minutes(1)).to_rfc3339()),
        urlencode(&(soon + chrono::Duration::minutes(1)).to_rfc3339())
    );
    let (_, in_window) = s.get(&window).await;
    assert_eq!(total(&in_window), 1, "{in_window}");
    let (_, page) = s.get("/api/posts?per_page=2&page=1").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(total(&page), 3);
    let (status, v) = s.get("/api/posts?per_page=101").await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("per_page")));
    let (status, v) = s.get("/api/posts?status=settled").await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")));
    // The same handlers answer under /api/v1.
    let (_, v1) = s.get("/api/v1/posts").await;
    assert_eq!(total(&v1), 3);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_required_and_read_keys_cannot_write() {
    let s = Stack::start("keys").await;
    let x = s.profile("x").await;
    let (status, v) = s.call_as("pm_not_a_key", Method::GET, "/api/profiles", None).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let resp = s.http.get(format!("{}/api/posts", s.gateway)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let read_key = s.create_key(&["--permission", "read"]).await;
    let (status, v) = s.call_as(&read_key, Method::GET, "/api/profiles", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"].as_array().unwrap().len(), 12);
    let (status, v) = s.call_as(&read_key, Method::POST, "/api/posts", Some(Stack::json_post("no", &[&x]))).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));

    // A key limited to one provider sees only that provider's profiles and posts.
    let x_only = s.create_key(&["--providers", "x"]).await;
    let (_, v) = s.call_as(&x_only, Method::GET, "/api/profiles", None).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let li = s.profile("linkedin").await;
    let both = s.create(Stack::json_post("two providers", &[&x, &li])).await;
    let (status, _) =
        s.call_as(&x_only, Method::GET, &format!("/api/posts/{}", both["id"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "all-or-nothing visibility");
    let (status, v) = s.call_as(&x_only, Method::POST, "/api/posts", Some(Stack::json_post("no", &[&li]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("profiles[0]")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_public_and_a_key_adds_the_operator_figures() {
    let s = Stack::start("health").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "reject", "message": "nope"})).await;
    let p = s.create(Stack::json_post("fails", &[&x])).await;
    s.wait_status(p["id"].as_str().unwrap(), "completed").await;

    let anon: Value = s.http.get(format!("{}/api/health", s.gateway)).send().await.unwrap().json().await.unwrap();
    assert_eq!(anon["status"], "ok");
    assert_eq!(anon["checks"], json!({"database": "ok", "broker": "ok"}));
    assert!(anon.get("providers").is_none(), "no figures without a key");
    // Queue figures are a periodic reading: the first may predate the worker's queues.
    let mut full = Value::Null;
    for _ in 0..50 {
        full = s.get("/api/health").await.1;
        if !full["queues"]["deliveries.x"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(full["providers"]["x"]["failed_24h"], 1);
    assert_eq!(full["queues"]["deliveries.x"], 0, "{full}");
    assert_eq!(full["stale"]["pending_posts"], 0);
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_scheduled_post_runs_every_check_a_create_runs() {
    let s = Stack::start("patch-checks").await;
    let (x, reddit) = (s.profile("x").await, s.profile("reddit").await);
    let when = Utc::now() + chrono::Duration::hours(1);
    let p = s
        .create(json!({
            "post": {"body": "fits", "scheduled_at": when.to_rfc3339()},
            "profiles": [x, reddit],
            "provider_options": {"reddit": {"subreddit": "rust", "title": "A title"}}
        }))
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    s.wait_status(&id, "scheduled").await;
    let path = format!("/api/posts/{id}");
    // Over X's limit.
    let (status, v) = s.call(Method::PATCH, &path, Some(json!({"post": {"body": "x".repeat(281)}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("280"), "{v}");
    // Options that drop what Reddit requires.
    let (status, v) =
        s.call(Method::PATCH, &path, Some(json!({"provider_options": {"reddit": {"subreddit": "rust"}}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("title"), "{v}");
    // A cover that is not this workspace's asset.
    let foreign = uuid::Uuid::new_v4();
    let (status, v) = s
        .call(
            Method::PATCH,
            &path,
            Some(json!({"provider_options": {"reddit": {"subreddit": "rust", "title": "T"}, "youtube": {"cover": {"asset_id": foreign}}}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // Nothing changed.
    let now = s.post_by_id(&id).await;
    assert_eq!(now["body"], "fits");
    assert_eq!(now["provider_options"]["reddit"]["title"], "A title");
    assert_eq!(now["status"], "scheduled");
}
