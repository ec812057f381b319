//! A published delivery is a real public post of that delivery, never another's; no
//! delivery makes more publish calls than its attempts; copies of finished work do nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use e2e::{Options, Stack};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_to_one_bluesky_profile_gives_each_post_its_own_public_post() {
    let s = Stack::start_with("bluesky-burst", Options { db_pool_size: 12, ..Options::default() }).await;
    let bsky = s.profile("bluesky").await;
    // Sent 40 at a time, so many deliveries are created in the same millisecond (UUIDv7
    // ids that share their first 64 bits).
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(40));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (gw, key, http, bsky) = (s.gateway.clone(), s.key.clone(), s.http.clone(), bsky.clone());
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _turn = gate.acquire().await.unwrap();
            let r = http
                .post(format!("{gw}/api/posts"))
                .bearer_auth(key)
                .json(&json!({"post": {"body": format!("burst {i}")}, "profiles": [bsky]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
            r.json::<Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    let mut post_ids = HashSet::new();
    for id in &ids {
        let done = s.wait_post(id, Duration::from_secs(90), |p| p["status"] == "completed").await;
        let d = &done["deliveries"][0];
        assert_eq!(d["status"], "published", "{done}");
        let body = done["body"].as_str().unwrap().to_owned();
        let pid = d["provider_post_id"].as_str().unwrap().to_owned();
        // The record the delivery names holds this post's own text.
        let publishes: Vec<Value> = s.sim_records("publishes?account=demo-bluesky").await;
        let key = pid.rsplit('/').next().unwrap();
        let rec = publishes.iter().find(|p| p["key"] == key).unwrap_or_else(|| panic!("no record {pid}"));
        assert_eq!(rec["text"], body.as_str(), "{pid} is another post's record");
        assert!(post_ids.insert(pid.clone()), "{pid} reported twice");
    }
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-bluesky").await;
    assert_eq!(publishes.len(), 200, "one public post per delivery");
    assert_eq!(post_ids.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_posts_with_the_same_text_stay_two_when_the_second_meets_an_error_first() {
    let opts = Options { retry_delay_ms: 300, ..Options::default() };
    let s = Stack::start_with("same-text", opts).await;
    let x = s.profile("x").await;
    // The link is stored wrapped by X (t.co), so a look-up must compare as X stores it.
    let text = "Launch day: https://example.com/launch ";
    let first = s.create(Stack::json_post(text, &[&x])).await;
    let first = s.wait_status(first["id"].as_str().unwrap(), "completed").await;
    assert_eq!(first["deliveries"][0]["status"], "published");

    s.fault("demo-x", json!({"mode": "error", "times": 1})).await;
    let second = s.create(Stack::json_post(text, &[&x])).await;
    let second = s.wait_status(second["id"].as_str().unwrap(), "completed").await;
    let d = &second["deliveries"][0];
    assert_eq!(d["status"], "published", "{second}");
    assert_ne!(d["provider_post_id"], first["deliveries"][0]["provider_post_id"], "the retry adopted the first post");
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-x").await;
    assert_eq!(publishes.len(), 2, "two public posts: {publishes:?}");
    // The retry did look first (and found nothing of its own).
    let requests: Vec<String> = s.sim_records("requests?account=demo-x").await;
    assert!(requests.iter().any(|r| r.starts_with("GET /2/users/demo-x/tweets")), "{requests:?}");
    let calls = s.calls_for_delivery(d["id"].as_str().unwrap()).await;
    let outcomes: Vec<&str> = calls.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["error", "published"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_recovered_only_as_the_post_of_its_own_delivery() {
    let opts = Options { retry_delay_ms: 300, provider_timeout_ms: 800, ..Options::default() };
    let s = Stack::start_with("lost-same-text", opts).await;
    let li = s.profile("linkedin").await;
    let first = s.create(Stack::json_post("same words", &[&li])).await;
    s.wait_status(first["id"].as_str().unwrap(), "completed").await;
    // The second post is made but its answer lost: the retry must find the second one,
    // not the first (older, and another delivery's).
    s.fault("demo-linkedin", json!({"mode": "lost_answer", "times": 1, "delay_ms": 2000})).await;
    let second = s.create(Stack::json_post("same words", &[&li])).await;
    let second =
        s.wait_post(second["id"].as_str().unwrap(), Duration::from_secs(20), |p| p["status"] == "completed").await;
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-linkedin").await;
    assert_eq!(publishes.len(), 2, "{publishes:?}");
    let newest = publishes[1]["id"].as_str().unwrap();
    let d = &second["deliveries"][0];
    assert_eq!(d["status"], "published");
    assert_eq!(d["provider_post_id"], format!("urn:li:share:{newest}"), "recovered the wrong post");
    let calls = s.calls_for_delivery(d["id"].as_str().unwrap()).await;
    assert_eq!(calls.len(), 1, "found, not posted again: {calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_copy_of_a_finished_attempt_makes_no_call() {
    let opts = Options { retry_delay_ms: 1500, ..Options::default() };
    let s = Stack::start_with("finished-copies", opts).await;
    let x = s.profile("x").await;
    // Every attempt throws: three attempts, three calls, then failed.
    s.fault("demo-x", json!({"mode": "error", "times": 3})).await;
    let p = s.create(Stack::json_post("copies of finished attempts", &[&x])).await;
    let (post_id, delivery_id) =
        (p["id"].as_str().unwrap().to_owned(), p["deliveries"][0]["id"].as_str().unwrap().to_owned());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.calls_for_delivery(&delivery_id).await.is_empty() {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Attempt 1 has finished (thrown); attempt 2 waits out the retry delay. Two copies
    // of attempt 1 arrive meanwhile, as a broker redelivery would bring them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let copy =
        json!({"delivery_id": delivery_id, "post_id": post_id, "provider": "x", "attempt": 1, "first_attempt": 1});
    for _ in 0..2 {
        s.inject("postmantis.deliveries", "x", "delivery.requested.v1", &copy);
    }
    let done = s.wait_post(&post_id, Duration::from_secs(20), |p| p["status"] == "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "failed", "{done}");
    // Copies of attempt 3 after the delivery failed are acked too.
    let last =
        json!({"delivery_id": delivery_id, "post_id": post_id, "provider": "x", "attempt": 3, "first_attempt": 1});
    let before = s.handled("delivery-worker", "deliveries.x").await;
    s.inject("postmantis.deliveries", "x", "delivery.requested.v1", &last);
    s.wait_handled("delivery-worker", "deliveries.x", before).await;
    let calls = s.calls_for_delivery(&delivery_id).await;
    assert_eq!(calls.len(), 3, "at most one publish call per attempt: {calls:?}");
    let attempts = s.sql(&format!("SELECT string_agg(attempt || ':' || outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{delivery_id}'"));
    assert_eq!(attempts, "1:retryable,2:retryable,3:rejected");
    assert!(s.sql("SELECT count(*) FROM outbox").parse::<i64>().unwrap() == 0, "every copy was relayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_on_the_last_attempt_only_looks_and_never_publishes_again() {
    let opts = Options {
        retry_delay_ms: 300,
        provider_timeout_ms: 500,
        worker_env: vec![("POSTMANTIS_MAX_ATTEMPTS", "1")],
        ..Options::default()
    };
    let mut s = Stack::start_with("last-attempt-kill", opts).await;
    let x = s.profile("x").await;
    // The post is made at once, the answer never comes, and the worker dies meanwhile.
    s.fault("demo-x", json!({"mode": "lost_answer", "times": 1, "delay_ms": 5000})).await;
    let p = s.create(Stack::json_post("only one call, ever", &[&x])).await;
    let (id, delivery_id) =
        (p["id"].as_str().unwrap().to_owned(), p["deliveries"][0]["id"].as_str().unwrap().to_owned());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.calls_for_delivery(&delivery_id).await.is_empty() {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.kill("delivery-worker").await;
    s.start_worker().await;
    let done = s.wait_post(&id, Duration::from_secs(30), |p| p["status"] == "completed").await;
    let d = &done["deliveries"][0];
    assert_eq!(d["status"], "published", "{done}");
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-x").await;
    assert_eq!(publishes.len(), 1);
    assert_eq!(d["provider_post_id"], publishes[0]["id"]);
    assert_eq!(s.calls_for_delivery(&delivery_id).await.len(), 1, "the budget of one call was kept");
    let attempts = s.sql(&format!("SELECT string_agg(attempt || ':' || outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{delivery_id}'"));
    assert_eq!(attempts, "1:unknown,2:recovered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_posts_once_through_a_lost_answer_and_copies_of_its_message() {
    let opts = Options { provider_timeout_ms: 1000, retry_delay_ms: 300, ..Options::default() };
    let s = Stack::start_with("manual-retry-truth", opts).await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "reject", "message": "try later"})).await;
    let p = s.create(Stack::json_post("retried by hand, posted once", &[&x])).await;
    let post_id = p["id"].as_str().unwrap().to_owned();
    let done = s.wait_status(&post_id, "completed").await;
    let delivery = done["deliveries"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(done["deliveries"][0]["status"], "failed");

    // The retry's first call makes the post but its answer is lost; two copies of the
    // retry's message arrive as a broker redelivery would bring them.
    s.fault("demo-x", json!({"mode": "lost_answer", "times": 1, "delay_ms": 2000})).await;
    let d = e2e::dashboard::Dashboard::new(&s.gateway);
    d.sign_in(&s.login.0, &s.login.1).await;
    let csrf = d.csrf().await;
    d.post_form(&format!("/dashboard/posts/{post_id}/deliveries/{delivery}/retry"), &[("csrf_token", &csrf)]).await;
    let copy = json!({"delivery_id": delivery, "post_id": post_id, "provider": "x", "attempt": 2, "first_attempt": 2, "reopen": true});
    for _ in 0..2 {
        s.inject("postmantis.deliveries", "x", "delivery.requested.v1", &copy);
    }
    let after = s
        .wait_post(&post_id, Duration::from_secs(20), |p| {
            p["status"] == "completed" && p["deliveries"][0]["status"] == "published"
        })
        .await;
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-x").await;
    let ours: Vec<&Value> = publishes.iter().filter(|p| p["text"] == "retried by hand, posted once").collect();
    assert_eq!(ours.len(), 1, "one public post: {publishes:?}");
    assert_eq!(after["deliveries"][0]["provider_post_id"], ours[0]["id"], "the delivery names that post");

    // A copy that comes after the retry settled reopens nothing and calls nobody.
    let calls = s.calls_for_delivery(&delivery).await.len();
    let before = s.handled("delivery-worker", "deliveries.x").await;
    s.inject("postmantis.deliveries", "x", "delivery.requested.v1", &copy);
    s.wait_handled("delivery-worker", "deliveries.x", before).await;
    assert_eq!(s.calls_for_delivery(&delivery).await.len(), calls);
    let still = s.post_by_id(&post_id).await;
    assert_eq!(
        (still["status"].as_str(), still["deliveries"][0]["status"].as_str()),
        (Some("completed"), Some("published"))
    );
    let attempts = s.sql(&format!("SELECT string_agg(attempt || ':' || outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{delivery}'"));
    assert!(attempts.starts_with("1:rejected,2:"), "{attempts}");
    assert!(attempts.ends_with(":recovered"), "the lost answer was found, not posted again: {attempts}");
}
