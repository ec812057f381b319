//! Rate limits and concurrency caps that hold across worker replicas.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::{Options, Stack};
use serde_json::{Value, json};

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_holds_every_call_to_that_profile() {
    let s = Stack::start("retry-after").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "rate_limit", "times": 1, "retry_after_s": 2})).await;
    let first = s.create(Stack::json_post("first", &[&x])).await;
    // Wait for the 429, then send another post to the same profile.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.calls("demo-x").await.is_empty() {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = s.create(Stack::json_post("second", &[&x])).await;
    for p in [&first, &second] {
        let done =
            s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(20), |p| p["status"] == "completed").await;
        assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    }
    let calls = s.calls("demo-x").await;
    assert_eq!(calls[0]["outcome"], "rate_limited");
    let limited_at = at(&calls[0]["at"]);
    assert_eq!(calls.len(), 3, "{calls:?}");
    for c in &calls[1..] {
        let gap = at(&c["at"]) - limited_at;
        assert!(gap >= chrono::Duration::milliseconds(2000), "a call came {} ms after the 429", gap.num_milliseconds());
    }
    // The hold is not an attempt: the first post was published on its second attempt.
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.post_id = '{}'",
            second["id"].as_str().unwrap()
        )),
        "1"
    );
    // The rate-limited attempt gave its slots back with its outcome, as did the others.
    assert_eq!(s.sql("SELECT count(*) FROM delivery_leases"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_together_never_exceed_a_profiles_concurrency_cap() {
    let opts = Options {
        worker_env: vec![
            ("POSTMANTIS_LIMITS__PROFILE_CONCURRENCY", "1"),
            ("POSTMANTIS_LIMITS__PER_PROVIDER__LINKEDIN__PROFILE_CONCURRENCY", "3"),
        ],
        ..Options::default()
    };
    let mut s = Stack::start_with("caps", opts).await;
    s.start_worker().await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    for account in ["demo-x", "demo-linkedin"] {
        s.fault(account, json!({"mode": "delay", "delay_ms": 300})).await;
    }
    // All ten at once, so the control's calls overlap however slow the machine is.
    let bodies: Vec<Value> = (0..5)
        .flat_map(|i| [Stack::json_post(&format!("x {i}"), &[&x]), Stack::json_post(&format!("li {i}"), &[&li])])
        .collect();
    let created = futures_util::future::join_all(bodies.into_iter().map(|b| s.create(b))).await;
    let ids: Vec<String> = created.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    for id in &ids {
        let done = s.wait_post(id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        assert_eq!(done["deliveries"][0]["status"], "published");
    }
    let peak = |account: &str| {
        let (http, sim) = (s.http.clone(), s.sim.clone());
        let account = account.to_owned();
        async move {
            let v: Value = http
                .get(format!("{sim}/_sim/concurrency?account={account}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["max_in_flight"].as_u64().unwrap()
        }
    };
    assert_eq!(peak("demo-x").await, 1, "the cap of 1 held across two workers");
    // The control: the same workers do run a profile's calls side by side when allowed.
    assert!(peak("demo-linkedin").await >= 2, "linkedin ran {} at once", peak("demo-linkedin").await);
    assert_eq!(s.sql("SELECT count(*) FROM delivery_leases"), "0", "every slot was released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_for_one_profile_waits_its_turn_instead_of_coming_back_again_and_again() {
    // Twenty-four posts at once to one profile whose cap is two calls: most find the cap
    // full. Each used to come back every 200 ms until a slot was free (about ten times a
    // delivery here, each a read, lease statements, an outbox row and two broker hops).
    let s = Stack::start("turns").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "delay", "delay_ms": 150})).await;
    let before = s.handled("delivery-worker", "deliveries.x").await;
    let n = 24;
    let bodies: Vec<Value> = (0..n).map(|i| Stack::json_post(&format!("turn {i}"), &[&x])).collect();
    let created = futures_util::future::join_all(bodies.into_iter().map(|b| s.create(b))).await;
    for p in &created {
        let done =
            s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(60), |p| p["status"] == "completed").await;
        assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    }
    let v: Value =
        s.http.get(format!("{}/_sim/concurrency?account=demo-x", s.sim)).send().await.unwrap().json().await.unwrap();
    assert!(v["max_in_flight"].as_u64().unwrap() <= 2, "the cap held: {v}");
    assert_eq!(s.calls("demo-x").await.len(), n, "one call a post");
    // Every look at a task is a message handled: the deliveries themselves, plus each
    // time one found the cap full and was put back.
    let looks = s.handled("delivery-worker", "deliveries.x").await - before;
    assert!(looks <= 3.0 * n as f64, "{looks} looks for {n} deliveries");
    assert_eq!(s.sql("SELECT count(*) FROM delivery_leases"), "0", "every slot was released");
}
