//! One trace per post across the services: the gateway's request, the scheduler, the
//! delivery worker and media-ingest all report spans with the same trace id to an OTLP
//! receiver, carried over HTTP headers and AMQP message headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use e2e::{Options, Stack, otlp::Receiver};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_one_trace_from_the_gateway_through_every_service() {
    let receiver = Receiver::start().await;
    let opts = Options { otlp_endpoint: Some(receiver.endpoint.clone()), ..Options::default() };
    let s = Stack::start_with("traces", opts).await;
    let x = s.profile("x").await;
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(300)).to_rfc3339();
    let body = json!({
        "post": {"body": "traced", "scheduled_at": soon},
        "profiles": [&x],
        "media": [{"url": format!("{}/_sim/media/dot.png", s.sim)}],
    });
    // The caller's own trace is continued, not replaced.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let r = s
        .http
        .post(format!("{}/api/posts", s.gateway))
        .bearer_auth(&s.key)
        .header("traceparent", format!("00-{caller_trace}-00f067aa0ba902b7-01"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let done = s.wait_status(&id, "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");

    let want: BTreeSet<&str> = ["api-gateway", "scheduler", "delivery-worker", "media-ingest"].into();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let spans = receiver.spans();
        let in_trace: Vec<_> = spans.iter().filter(|s| s.trace_id == caller_trace).collect();
        let services: BTreeSet<&str> = in_trace.iter().map(|s| s.service.as_str()).collect();
        if want.is_subset(&services) {
            let names: BTreeSet<&str> = in_trace.iter().map(|s| s.name.as_str()).collect();
            assert!(names.iter().any(|n| n.starts_with("POST /api/posts")), "{names:?}");
            assert!(names.contains("handle delivery.requested.v1"), "{names:?}");
            assert!(names.contains("dispatch"), "the scheduled dispatch stays in the trace: {names:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "trace {caller_trace} has spans of {services:?}, not all of {want:?}; {} spans received",
            spans.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
