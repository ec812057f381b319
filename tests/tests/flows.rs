//! Every row of the seed's "Use the flow that matches your intent" table, end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::Stack;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn all_published(p: &Value) -> bool {
    p["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "published")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_a_draft_only() {
    let s = Stack::start("draft").await;
    let x = s.profile("x").await;
    let draft = s.create(json!({"post": {"body": "just a draft", "draft": true}, "profiles": [x]})).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["draft"], true);
    assert_eq!(draft["scheduled_at"], Value::Null);
    assert_eq!(draft["deliveries"][0]["status"], "pending");
    // Stored only: no workflow starts.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let again = s.post_by_id(draft["id"].as_str().unwrap()).await;
    assert_eq!(again["status"], "draft");
    assert!(s.calls("demo-x").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_an_existing_draft_now() {
    let s = Stack::start("publish-now").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let draft = s.create(json!({"post": {"body": "draft then now", "draft": true}, "profiles": [x, li]})).await;
    let id = draft["id"].as_str().unwrap();
    let (status, v) = s.call(reqwest::Method::POST, &format!("/api/posts/{id}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Accepted into pending; a fast scheduler may already show scheduled.
    assert!(["pending", "scheduled"].contains(&v["data"]["status"].as_str().unwrap()), "{v}");
    let done = s.wait_status(id, "completed").await;
    assert!(all_published(&done), "{done}");
    for d in done["deliveries"].as_array().unwrap() {
        assert!(d["provider_post_id"].is_string() && d["url"].is_string() && d["published_at"].is_string(), "{d}");
        assert_eq!(d["error_message"], Value::Null);
    }
    assert_eq!(s.calls("demo-x").await.len(), 1);
    assert_eq!(s.calls("demo-linkedin").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_an_existing_draft_later() {
    let s = Stack::start("publish-later").await;
    let x = s.profile("x").await;
    let draft = s.create(json!({"post": {"body": "draft then later", "draft": true}, "profiles": [x]})).await;
    let id = draft["id"].as_str().unwrap();
    let when = Utc::now() + chrono::Duration::milliseconds(2500);
    let (status, v) = s.post(&format!("/api/posts/{id}/publish"), json!({"scheduled_at": when.to_rfc3339()})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sched = s.wait_status(id, "scheduled").await;
    assert_eq!(at(&sched["scheduled_at"]), chrono::SubsecRound::trunc_subsecs(when, 6));
    assert!(s.calls("demo-x").await.is_empty(), "nothing may be sent before the time");
    let done = s.wait_status(id, "completed").await;
    assert!(all_published(&done));
    let calls = s.calls("demo-x").await;
    assert_eq!(calls.len(), 1);
    let sent = at(&calls[0]["at"]);
    assert!(sent >= when, "sent {sent} before its time {when}");
    eprintln!("lateness of the provider call after scheduled_at: {} ms", (sent - when).num_milliseconds());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_publish_now() {
    let s = Stack::start("create-now").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let p = s.create(json!({"post": {"body": "right now"}, "profiles": [x, li], "provider_options": {"x": {"reply_settings": "following"}}})).await;
    assert!(["pending", "scheduled"].contains(&p["status"].as_str().unwrap()));
    assert_eq!(p["draft"], false);
    assert_eq!(p["deliveries"].as_array().unwrap().len(), 2);
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert!(all_published(&done));
    assert!(done["completed_at"].is_string());
    // provider_options reach the adapter for that provider only.
    let call = &s.calls("demo-x").await[0];
    assert_eq!(call["request"]["body"], json!({"text": "right now", "reply_settings": "following"}));
    assert_eq!(call["text"], "right now");
    assert_eq!(s.calls("demo-linkedin").await[0]["request"]["body"]["visibility"], "PUBLIC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_schedule_for_later() {
    let s = Stack::start("create-later").await;
    let x = s.profile("x").await;
    let when = Utc::now() + chrono::Duration::milliseconds(2500);
    let p = s.create(json!({"post": {"body": "later", "scheduled_at": when.to_rfc3339()}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap();
    assert!(["pending", "scheduled"].contains(&p["status"].as_str().unwrap()));
    let sched = s.wait_status(id, "scheduled").await;
    assert_eq!(sched["deliveries"][0]["scheduled_at"], sched["scheduled_at"]);
    assert!(s.calls("demo-x").await.is_empty());
    let done = s.wait_status(id, "completed").await;
    assert!(all_published(&done));
    let sent = at(&s.calls("demo-x").await[0]["at"]);
    assert!(sent >= when, "sent {sent} before its time {when}");
    eprintln!("lateness of the provider call after scheduled_at: {} ms", (sent - when).num_milliseconds());
    // The publish log says "scheduled" (waiting for a time), not "queued".
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={id}")).await;
    let kinds: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["delivery.published", "post.scheduled"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_a_scheduled_post() {
    let s = Stack::start("cancel").await;
    let x = s.profile("x").await;
    let when = Utc::now() + chrono::Duration::milliseconds(2000);
    let p = s.create(json!({"post": {"body": "never", "scheduled_at": when.to_rfc3339()}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap();
    s.wait_status(id, "scheduled").await;
    let (status, v) = s.call(reqwest::Method::POST, &format!("/api/posts/{id}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "canceled");
    assert!(v["data"]["canceled_at"].is_string());
    // Past its time, nothing was sent and the record stays readable.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(s.calls("demo-x").await.is_empty());
    let after = s.post_by_id(id).await;
    assert_eq!(after["status"], "canceled");
    assert_eq!(after["deliveries"][0]["status"], "pending");
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={id}&kind=post.canceled")).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
}
