//! Prometheus metrics on every service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::Stack;
use serde_json::json;

async fn scrape(s: &Stack, base: &str) -> String {
    s.http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap()
}

/// The value of the first sample whose line starts with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_reports_its_work_as_prometheus_metrics() {
    let s = Stack::start("metrics").await;
    let x = s.profile("x").await;
    let when = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    let p = s.create(json!({"post": {"body": "measured", "scheduled_at": when.to_rfc3339()}, "profiles": [x]})).await;
    s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(15), |p| p["status"] == "completed").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let worker = scrape(&s, &s.health["delivery-worker"]).await;
    assert_eq!(
        sample(&worker, r#"postmantis_deliveries_total{provider="x",outcome="published"}"#),
        Some(1.0),
        "{worker}"
    );
    assert!(sample(&worker, r#"postmantis_provider_call_seconds_count{provider="x"}"#).is_some_and(|n| n >= 1.0));
    assert!(worker.contains("postmantis_messages_consumed_total"));

    let scheduler = scrape(&s, &s.health["scheduler"]).await;
    assert_eq!(sample(&scheduler, "postmantis_dispatch_lateness_seconds_count"), Some(1.0), "{scheduler}");
    assert!(scheduler.contains(r#"postmantis_dispatch_lateness_seconds_bucket{le="1"}"#), "lateness is a histogram");
    assert_eq!(sample(&scheduler, "postmantis_posts_completed_total"), Some(1.0));

    let gateway = scrape(&s, &s.gateway).await;
    assert!(
        sample(
            &gateway,
            r#"postmantis_http_request_duration_seconds_count{method="POST",route="/api/posts",status="201"}"#
        ) == Some(1.0),
        "{gateway}"
    );
    assert!(gateway.contains(r#"route="/api/posts/{id}""#), "routes are patterns, not raw paths");
    // Every service relays the outbox and whichever claims a row first publishes it, so the
    // confirmed publishes are counted somewhere among them, not always at the gateway.
    let mut relays = vec![gateway.clone()];
    for svc in ["scheduler", "delivery-worker", "media-ingest"] {
        relays.push(scrape(&s, &s.health[svc]).await);
    }
    assert!(relays.iter().any(|m| m.contains("postmantis_messages_published_total")), "no relay counted a publish");
    assert!(gateway.contains(r#"postmantis_queue_depth{queue="deliveries.x"} 0"#), "queue depths are gauges");
    assert!(gateway.contains("postmantis_outbox_backlog 0"), "the outbox backlog is a gauge");
    // A post without media sends media-ingest nothing while it is scheduled and completed;
    // a cancel always does.
    let consumed = "postmantis_messages_consumed_total";
    assert!(!scrape(&s, &s.health["media-ingest"]).await.contains(consumed), "no message for a post without media");
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let q = s.create(json!({"post": {"body": "withdrawn", "scheduled_at": later.to_rfc3339()}, "profiles": [x]})).await;
    let q = q["id"].as_str().unwrap();
    s.wait_post(q, Duration::from_secs(15), |p| p["status"] == "scheduled").await;
    let (status, _) = s.post(&format!("/api/posts/{q}/cancel"), json!({})).await;
    assert!(status.is_success(), "{status}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !scrape(&s, &s.health["media-ingest"]).await.contains(consumed) {
        assert!(std::time::Instant::now() < deadline, "media-ingest never counted the cancel it consumed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_live_on_an_internal_address_only_and_queue_figures_come_from_the_watch() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let internal = format!("127.0.0.1:{port}");
    let opts = e2e::Options { gateway_env: vec![("POSTMANTIS_METRICS_ADDR", internal.clone())], ..Default::default() };
    let s = Stack::start_with("metrics-internal", opts).await;
    let public = s.http.get(format!("{}/metrics", s.gateway)).send().await.unwrap();
    assert_eq!(public.status().as_u16(), 404, "metrics are still on the public listener");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = scrape(&s, &format!("http://{internal}")).await;
        // The worker's consumers attach a moment after it is ready: wait for the watch to see them.
        if sample(&text, "postmantis_queue_consumers{queue=\"deliveries.x\"}").is_some_and(|n| n >= 1.0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no queue figures on the internal address: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
