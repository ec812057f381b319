//! What must hold when things race or break: cancel against dispatch, the broker gone
//! while posts are accepted, a worker killed mid-delivery.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_the_dispatch_never_lets_a_provider_call_through_after_a_200() {
    let s = Stack::start("cancel-race").await;
    let x = s.profile("x").await;
    // Far enough ahead that twelve posts are accepted and seen scheduled before they are
    // due, even on a loaded machine (2 s was not, under the full suite).
    let due = Utc::now() + chrono::Duration::milliseconds(5000);
    let mut ids = Vec::new();
    for i in 0..12 {
        let p = s
            .create(json!({"post": {"body": format!("race {i}"), "scheduled_at": due.to_rfc3339()}, "profiles": [x]}))
            .await;
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        s.wait_status(id, "scheduled").await;
    }
    // Fire the cancels spread around the due time, so some win and some lose the race.
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let fire_at = due + chrono::Duration::milliseconds(-110 + 20 * i as i64);
        let (gw, key, id, http) = (s.gateway.clone(), s.key.clone(), id.clone(), s.http.clone());
        tasks.push(tokio::spawn(async move {
            if let Ok(wait) = (fire_at - Utc::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
            let sent = Utc::now();
            let r = http.post(format!("{gw}/api/posts/{id}/cancel")).bearer_auth(key).send().await.unwrap();
            eprintln!(
                "cancel sent at due{:+} ms, answered {} after {} ms",
                (sent - due).num_milliseconds(),
                r.status().as_u16(),
                (Utc::now() - sent).num_milliseconds()
            );
            (id, r.status())
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (mut won, mut lost) = (0, 0);
    for (id, status) in outcomes {
        let p = s.post_by_id(&id).await;
        let delivery_id = p["deliveries"][0]["id"].as_str().unwrap().to_owned();
        let calls = s.calls_for_delivery(&delivery_id).await;
        match status {
            StatusCode::OK => {
                won += 1;
                assert_eq!(p["status"], "canceled");
                assert!(calls.is_empty(), "canceled post {id} reached the provider: {calls:?}");
            }
            StatusCode::CONFLICT => {
                lost += 1;
                let done = s.wait_status(&id, "completed").await;
                assert_eq!(done["deliveries"][0]["status"], "published");
                assert_eq!(s.calls_for_delivery(&delivery_id).await.len(), 1);
            }
            other => panic!("cancel answered {other}"),
        }
    }
    eprintln!("cancel race: {won} canceled in time, {lost} lost to the dispatch");
    assert_eq!(won + lost, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_accepted_while_rabbitmq_is_down_completes_after_it_returns() {
    let s = Stack::start("broker-down").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    // An owned asset from an earlier post, to attach without asking media-ingest.
    let first = s.create(json!({"post": {"body": "with media"}, "profiles": [x], "media": [{"url": format!("{}/_sim/media/dot.png", s.sim), "alt": "a dot"}]})).await;
    // Media status is media-ingest's layer: it follows the post a moment later.
    let first = s
        .wait_post(first["id"].as_str().unwrap(), Duration::from_secs(15), |p| {
            p["status"] == "completed" && p["media"][0]["status"] == "processed"
        })
        .await;
    assert_eq!(first["media"][0]["content_type"], "image/png");
    let asset = first["media"][0]["asset_id"].as_str().unwrap().to_owned();

    s.broker.cut().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.http.get(format!("{}/readyz", s.gateway)).send().await.unwrap().status().is_success() {
        assert!(std::time::Instant::now() < deadline, "the gateway never noticed the broker was gone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let p = s
        .create(json!({"post": {"body": "accepted offline"}, "profiles": [x, li], "media": [{"asset_id": asset}]}))
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    // All three status layers pending on one response.
    assert_eq!(p["status"], "pending");
    assert_eq!(p["media"][0]["status"], "pending");
    assert!(p["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "pending"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(s.post_by_id(&id).await["status"], "pending", "nothing can move without the broker");
    // Commands that need another service say so instead of hanging.
    let (status, v) = s.call(Method::POST, &format!("/api/posts/{id}/cancel"), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");

    s.broker.restore();
    let done = s
        .wait_post(&id, Duration::from_secs(30), |p| {
            p["status"] == "completed" && p["media"][0]["status"] == "processed"
        })
        .await;
    assert!(done["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "published"), "{done}");
    for d in done["deliveries"].as_array().unwrap() {
        assert_eq!(s.calls_for_delivery(d["id"].as_str().unwrap()).await.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_is_replaced_without_a_second_public_post() {
    let mut s = Stack::start("worker-kill").await;
    let x = s.profile("x").await;
    // The provider takes 1.5 s; the worker dies while the call is in flight.
    s.fault("demo-x", json!({"mode": "delay", "delay_ms": 1500, "times": 1})).await;
    let p = s.create(Stack::json_post("survives a crash", &[&x])).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let delivery_id = p["deliveries"][0]["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.calls_for_delivery(&delivery_id).await.is_empty() {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.kill("delivery-worker").await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    // The provider did publish, but nobody recorded it: the delivery is still pending.
    assert_eq!(s.post_by_id(&id).await["deliveries"][0]["status"], "pending");
    s.start_worker().await;
    let done = s.wait_status(&id, "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    // X has no idempotency key: the redelivered task looked the post up and found it,
    // instead of posting again.
    let calls = s.calls_for_delivery(&delivery_id).await;
    let outcomes: Vec<&str> = calls.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["published"]);
    let requests: Vec<String> = s.sim_records("requests?account=demo-x").await;
    assert!(requests.iter().any(|r| r.starts_with("GET /2/users/demo-x/tweets")), "{requests:?}");
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-x").await;
    assert_eq!(publishes.len(), 1, "exactly one public post");
    assert_eq!(done["deliveries"][0]["provider_post_id"], publishes[0]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_gone_the_api_answers_503_and_every_service_recovers() {
    let s = Stack::start("db-down").await;
    let x = s.profile("x").await;
    let before = s.create(Stack::json_post("before the outage", &[&x])).await;
    s.wait_status(before["id"].as_str().unwrap(), "completed").await;

    s.database.cut().await;
    let (status, v) = s.post("/api/posts", Stack::json_post("during the outage", &[&x])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "an uncommitted post must never look accepted: {v}");
    assert_eq!(v["code"], "service_unavailable");
    let resp = s.http.get(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().get("retry-after").is_some());

    s.database.restore();
    // The pools drop their dead connections and the services carry on by themselves.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let after = loop {
        let (status, v) = s.post("/api/posts", Stack::json_post("after the outage", &[&x])).await;
        if status == StatusCode::CREATED {
            break v["data"].clone();
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(std::time::Instant::now() < deadline, "the gateway never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let done = s.wait_status(after["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
    let (_, list) = s.get("/api/posts").await;
    assert_eq!(list["meta"]["total"], 2, "the refused post left nothing behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_whose_answer_the_database_lost_is_named_in_the_503_and_is_there_after() {
    let s = Stack::start("db-lost-answer").await;
    let x = s.profile("x").await;
    // The insert holds for a second at the server; the connection is cut meanwhile. The
    // server still commits the statement it received (it finds its client gone only when
    // it answers), so "nothing was written" would be false.
    s.sql(
        "CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$; \
         CREATE TRIGGER hold BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION hold()",
    );
    let (http, url, key) = (s.http.clone(), format!("{}/api/posts", s.gateway), s.key.clone());
    let sent = tokio::spawn(async move {
        let r = http.post(url).bearer_auth(key).json(&Stack::json_post("answer lost", &[&x])).send().await.unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.database.cut().await;
    let (status, v) = sent.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let id = Stack::post_in_doubt(&v).unwrap_or_else(|| panic!("the 503 names the post: {v}"));
    s.sql("DROP TRIGGER hold ON posts");
    s.database.restore();
    // The post it named is there, and goes out as any other.
    let done = s.wait_status(&id, "completed").await;
    assert_eq!(done["body"], "answer lost");
    assert_eq!(done["deliveries"][0]["status"], "published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_with_sigterm_finishes_its_delivery_and_a_new_one_takes_over() {
    let mut s = Stack::start("sigterm").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "delay", "delay_ms": 1500, "times": 1})).await;
    let p = s.create(Stack::json_post("finished before exit", &[&x])).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let delivery = p["deliveries"][0]["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.calls_for_delivery(&delivery).await.is_empty() {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Stopped mid-call: it finishes the call, settles, and exits by itself.
    assert!(s.terminate("delivery-worker", Duration::from_secs(10)).await, "the worker did not exit on SIGTERM");
    let done = s.post_by_id(&id).await;
    assert_eq!(done["deliveries"][0]["status"], "published", "settled before the worker exited: {done}");
    assert_eq!(s.calls_for_delivery(&delivery).await.len(), 1, "no redelivery, no second call");
    // With no worker running, new work waits in the queue; a new worker picks it up.
    let next = s.create(Stack::json_post("after the restart", &[&x])).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(s.post_by_id(next["id"].as_str().unwrap()).await["deliveries"][0]["status"], "pending");
    s.start_worker().await;
    let done = s.wait_status(next["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
}
