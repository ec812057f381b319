//! Delivery outcomes: partial failure, retries of attempts that throw, rejections that
//! settle at once, and profiles that went away.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use e2e::{Options, Stack};
use serde_json::{Value, json};

fn delivery<'a>(p: &'a Value, provider: &str) -> &'a Value {
    p["deliveries"].as_array().unwrap().iter().find(|d| d["provider"] == provider).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failure_completes_the_post_with_one_published_and_one_failed() {
    let s = Stack::start("partial").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    s.fault("demo-linkedin", json!({"mode": "reject", "message": "Duplicate content is not allowed."})).await;
    let p = s.create(Stack::json_post("mixed results", &[&x, &li])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;

    let ok = delivery(&done, "x");
    assert_eq!(ok["status"], "published");
    assert!(ok["url"].is_string() && ok["provider_post_id"].is_string() && ok["published_at"].is_string());
    let bad = delivery(&done, "linkedin");
    assert_eq!(bad["status"], "failed");
    assert!(bad["failed_at"].is_string());
    assert_eq!(bad["url"], Value::Null);
    let msg = bad["error_message"].as_str().unwrap();
    assert!(msg.contains("Duplicate content is not allowed."), "{msg}");
    // An explicit rejection is final: exactly one call, no retry waiting anywhere.
    s.wait_quiet().await;
    assert_eq!(s.calls("demo-linkedin").await.len(), 1);
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={}", p["id"].as_str().unwrap())).await;
    let kinds: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"delivery.failed") && kinds.contains(&"delivery.published") && kinds.contains(&"post.queued"),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_that_throws_is_retried_and_succeeds_on_attempt_two() {
    let s = Stack::start("retry-ok").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "error", "times": 1})).await;
    let started = Instant::now();
    let p = s.create(Stack::json_post("second time lucky", &[&x])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    let calls = s.calls("demo-x").await;
    let outcomes: Vec<&str> = calls.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["error", "published"]);
    // Both attempts carry the delivery id as idempotency key.
    assert_eq!(calls[0]["idempotency_key"], done["deliveries"][0]["id"]);
    assert_eq!(calls[1]["idempotency_key"], done["deliveries"][0]["id"]);
    // The retry waited for the configured delay (1 s here, 60 s by default).
    assert!(started.elapsed() >= Duration::from_millis(1000));
    // Retry attempts are not publish-log rows.
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={}", p["id"].as_str().unwrap())).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 2, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thrown_attempts_settle_failed_with_exactly_three_calls() {
    let s = Stack::start("retry-exhausted").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "error"})).await;
    let p = s.create(Stack::json_post("never makes it", &[&x])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    let d = &done["deliveries"][0];
    assert_eq!(d["status"], "failed");
    let msg = d["error_message"].as_str().unwrap();
    assert!(msg.contains("HTTP 500") && msg.contains("3 attempts"), "{msg}");
    s.wait_quiet().await;
    assert_eq!(s.calls("demo-x").await.len(), 3);
    // Each thrown attempt gave its slots back with its outcome.
    assert_eq!(s.sql("SELECT count(*) FROM delivery_leases"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_counts_as_a_thrown_attempt() {
    let s =
        Stack::start_with("timeout", Options { retry_delay_ms: 500, provider_timeout_ms: 500, ..Options::default() })
            .await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "timeout", "times": 1, "delay_ms": 3000})).await;
    let p = s.create(Stack::json_post("slow provider", &[&x])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    let outcomes: Vec<String> =
        s.calls("demo-x").await.iter().map(|c| c["outcome"].as_str().unwrap().to_owned()).collect();
    assert_eq!(outcomes, vec!["timeout", "published"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_attempt_is_retried() {
    let s = Stack::start("rate-limit").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "rate_limit", "times": 1, "retry_after_s": 1})).await;
    let p = s.create(Stack::json_post("busy provider", &[&x])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    assert_eq!(s.calls("demo-x").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_to_a_disconnected_profile_fail_with_a_clear_message_and_history_stays() {
    let s = Stack::start("disconnect").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    // One post published before the disconnect: history must stay readable.
    let before = s.create(Stack::json_post("before", &[&li])).await;
    s.wait_status(before["id"].as_str().unwrap(), "completed").await;
    let when = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let later =
        s.create(json!({"post": {"body": "after", "scheduled_at": when.to_rfc3339()}, "profiles": [x, li]})).await;
    s.wait_status(later["id"].as_str().unwrap(), "scheduled").await;

    let (status, _) = s.call(reqwest::Method::POST, &format!("/api/profiles/{li}/disconnect"), None).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let (_, prof) = s.get(&format!("/api/profiles/{li}")).await;
    assert_eq!(prof["data"]["status"], "disconnected");
    assert_eq!(prof["data"]["posts_count"], 2);

    let done = s.wait_status(later["id"].as_str().unwrap(), "completed").await;
    assert_eq!(delivery(&done, "x")["status"], "published");
    let gone = delivery(&done, "linkedin");
    assert_eq!(gone["status"], "failed");
    assert!(gone["error_message"].as_str().unwrap().contains("disconnected"), "{gone}");
    assert_eq!(s.calls("demo-linkedin").await.len(), 1, "only the post from before the disconnect was sent");
    assert_eq!(s.post_by_id(before["id"].as_str().unwrap()).await["deliveries"][0]["status"], "published");
    // New posts to it are refused at acceptance, naming the field.
    let (status, v) = s.post("/api/posts", Stack::json_post("no", &[&li])).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(v["errors"][0]["field"], "profiles[0]");
}
