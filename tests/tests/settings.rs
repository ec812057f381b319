//! Changing a setting never wedges delivery, and what cannot run says so: a worker whose
//! topology the broker refuses is not ready and tells why; a delivery queue with no
//! consumer shows on /api/health and Publishing health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{Options, Stack};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_with_another_retry_delay_joins_the_queues_of_an_earlier_one_and_delivers() {
    let mut s = Stack::start_with("retry-delay-change", Options { retry_delay_ms: 300, ..Options::default() }).await;
    let x = s.profile("x").await;
    // The queues exist, declared by the first worker with its delay; it goes away.
    s.kill("delivery-worker").await;
    let worker = s.start_worker_with(&[("POSTMANTIS_BUS__RETRY_DELAY_MS", "1500")]).await;
    s.wait_ready(&worker).await;
    s.fault("demo-x", json!({"mode": "error", "times": 1})).await;
    let p = s.create(Stack::json_post("delivered after a changed setting", &[&x])).await;
    let started = std::time::Instant::now();
    let done = s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(20), |p| p["status"] == "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    // The new delay applies: attempt 2 came after about 1.5 s, not 0.3 s.
    let calls = s.calls_for_delivery(done["deliveries"][0]["id"].as_str().unwrap()).await;
    assert_eq!(calls.len(), 2);
    let at = |c: &Value| chrono::DateTime::parse_from_rfc3339(c["at"].as_str().unwrap()).unwrap();
    let gap = at(&calls[1]) - at(&calls[0]);
    assert!(gap >= chrono::Duration::milliseconds(1400), "retried after {gap}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_the_broker_refuses_is_not_ready_and_an_unconsumed_queue_is_reported() {
    let mut s = Stack::start("topology-refused").await;
    let x = s.profile("x").await;
    s.kill("delivery-worker").await;
    // Another queue type for queues that exist: the broker refuses the declaration.
    let worker = s.start_worker_with(&[("POSTMANTIS_BUS__QUEUE_TYPE", "quorum")]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let reason = loop {
        let r = s.http.get(format!("{worker}/readyz")).send().await.unwrap();
        assert_ne!(r.status().as_u16(), 200, "a worker that cannot declare its queues said it was ready");
        let v: Value = r.json().await.unwrap();
        let reason = v["reason"].as_str().unwrap_or("").to_owned();
        if reason.contains("PRECONDITION_FAILED") {
            break reason;
        }
        assert!(std::time::Instant::now() < deadline, "no reason given: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(reason.contains("x-queue-type"), "{reason}");

    // Posts are still accepted; the operator sees that nothing delivers them.
    let p = s.create(Stack::json_post("waiting for a worker", &[&x])).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let health = loop {
        let (_, h) = s.get("/api/health").await;
        if h["consumers"]["deliveries.x"] == 0 && h["queues"]["deliveries.x"].as_u64() >= Some(1) {
            break h;
        }
        assert!(std::time::Instant::now() < deadline, "{h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let warnings: Vec<&str> = health["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|w| w.contains("no delivery worker consumes deliveries.x")), "{warnings:?}");
    let dash = e2e::dashboard::Dashboard::new(&s.gateway);
    dash.sign_in(&s.login.0, &s.login.1).await;
    let page = dash.get("/dashboard/health").await;
    assert!(page.body.contains("no delivery worker consumes deliveries.x"), "Publishing health does not say it");

    // A worker with the installation's settings takes the waiting post.
    s.start_worker().await;
    let done = s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(20), |p| p["status"] == "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
}
