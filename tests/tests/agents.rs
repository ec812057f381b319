//! What agents lean on: Idempotency-Key semantics and rate limits they can back off from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{Options, Stack};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_posts_with_one_idempotency_key_create_one_post() {
    let s = Stack::start("idempotency").await;
    let x = s.profile("x").await;
    let body = json!({"post": {"body": "exactly once", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (http, url, key, body) = (s.http.clone(), format!("{}/api/posts", s.gateway), s.key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "launch-42")
                .json(&body)
                .send()
                .await
                .unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status(), replayed, r.bytes().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        answers.iter().all(|(st, _, _)| *st == StatusCode::CREATED),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|(_, _, b)| *b == answers[0].2), "every answer is the first one, byte for byte");
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1,
        "one request ran; the rest were replays"
    );
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "1");

    // The same key with another request is refused; another key makes another post.
    let other = json!({"post": {"body": "something else", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
    let r = s
        .http
        .post(format!("{}/api/posts", s.gateway))
        .bearer_auth(&s.key)
        .header("Idempotency-Key", "launch-42")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "idempotency_key_reused");
    let r = s
        .http
        .post(format!("{}/api/posts", s.gateway))
        .bearer_auth(&s.key)
        .header("Idempotency-Key", "launch-43")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "2");
    // Refusals are replayed too: the first answer to a key is the answer.
    let bad = json!({"post": {"body": "x"}, "profiles": []});
    for _ in 0..2 {
        let r = s
            .http
            .post(format!("{}/api/posts", s.gateway))
            .bearer_auth(&s.key)
            .header("Idempotency-Key", "bad-1")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_past_the_write_budget_gets_429_and_retry_after_works() {
    let s =
        Stack::start_with("rate-limits", Options { write_per_second: 1, write_burst: 3, ..Options::default() }).await;
    let x = s.profile("x").await;
    let body = json!({"post": {"body": "burst", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
    let mut limited = None;
    for _ in 0..6 {
        let r = s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).json(&body).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = limited.expect("the burst was never limited");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["ratelimit-limit"], "3");
    assert_eq!(r.headers()["ratelimit-remaining"], "0");
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
    // Reads have their own budget and still work.
    assert_eq!(s.get("/api/posts").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let r = s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "honouring Retry-After succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_previews_each_providers_requests_and_stores_nothing() {
    let s = Stack::start("dry-run").await;
    let (x, li, reddit) = (s.profile("x").await, s.profile("linkedin").await, s.profile("reddit").await);
    let body = json!({
        "post": {"body": "Preview me"},
        "profiles": [x, li, reddit],
        "provider_options": {"x": {"reply_settings": "following"}, "reddit": {"subreddit": "rust", "title": "Preview"}},
    });
    let (status, v) = s.post("/api/posts?dry_run=true", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["dry_run"], true);
    let by = |p: &str| d["deliveries"].as_array().unwrap().iter().find(|x| x["provider"] == p).unwrap().clone();
    let xr = by("x")["requests"].as_array().unwrap().clone();
    assert_eq!(xr.len(), 1);
    assert!(xr[0]["url"].as_str().unwrap().ends_with("/2/tweets"));
    assert_eq!(xr[0]["body"], json!({"text": "Preview me", "reply_settings": "following"}));
    let lr = by("linkedin")["requests"].as_array().unwrap().clone();
    assert_eq!(lr[0]["body"]["commentary"], "Preview me");
    assert_eq!(lr[0]["headers"]["linkedin-version"], "202411");
    let rr = by("reddit")["requests"].as_array().unwrap().clone();
    assert_eq!(rr[0]["body"], "api_type=json&sr=rust&title=Preview&kind=self&text=Preview+me");
    assert!(
        !v.to_string().to_lowercase().contains("authorization") && !v.to_string().contains("sim-token"),
        "no credentials in a preview"
    );
    // Nothing was stored, queued or sent.
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "0");
    assert_eq!(s.sql("SELECT count(*) FROM outbox"), "0");
    assert!(s.calls("demo-x").await.is_empty() && s.calls("demo-linkedin").await.is_empty());

    // A dry run refuses what a create would refuse, the same way.
    let (status, v) =
        s.post("/api/posts?dry_run=true", json!({"post": {"body": "a".repeat(300)}, "profiles": [x]})).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("post.body")));
    // Remote media are not fetched: it says so.
    let (status, v) = s
        .post(
            "/api/posts?dry_run=true",
            json!({"post": {"body": "b"}, "profiles": [x], "media": [{"url": "https://example.com/a.png"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["data"]["warnings"][0].as_str().unwrap().contains("media[0].url"), "{v}");
    assert_eq!(s.sql("SELECT count(*) FROM media_assets"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_idempotency_claim_is_freed_and_the_retry_creates_the_post_once() {
    let s = Stack::start("idempotency-abandoned").await;
    let x = s.profile("x").await;
    let body = json!({"post": {"body": "once", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
    let send = |key: String, idem: &'static str, body: serde_json::Value| {
        let (http, url) = (s.http.clone(), format!("{}/api/posts", s.gateway));
        async move {
            let r = http.post(url).bearer_auth(key).header("Idempotency-Key", idem).json(&body).send().await.unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status(), replayed, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, _, first) = send(s.key.clone(), "k1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let first_id = first["data"]["id"].as_str().unwrap().to_owned();

    // The gateway committed the post and died before storing its answer: the claim is
    // left with no answer. Past the deadline, a retry finds the post it made.
    s.sql("UPDATE idempotency_keys SET response_status = NULL, response_headers = NULL, response_body = NULL, created_at = now() - interval '10 minutes' WHERE key LIKE '%:k1'");
    let (status, replayed, again) = send(s.key.clone(), "k1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(!replayed);
    assert_eq!(again["data"]["id"], first_id.as_str(), "the retry created a second post");
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "1");

    // A request that died before committing left only its claim: the retry creates it.
    let prefix = s.sql("SELECT split_part(key, ':', 1) FROM idempotency_keys WHERE key LIKE '%:k1'");
    s.sql(&format!(
        "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, created_at) SELECT workspace_id, '{prefix}:k2', 'x', now() - interval '10 minutes' FROM posts LIMIT 1"
    ));
    let other = json!({"post": {"body": "after a crash", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
    let started = std::time::Instant::now();
    let (status, _, made) = send(s.key.clone(), "k2", other).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(started.elapsed() < Duration::from_secs(5), "waited on a dead claim");
    assert_eq!(s.sql("SELECT count(*) FROM posts"), "2");

    // Another key never gets this key's stored answer: a read key is refused by its
    // permission, another write key's k1 is its own.
    let read = s.create_key(&["--permission", "read"]).await;
    let (status, replayed, v) = send(read, "k1", body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(!replayed);
    let writer = s.create_key(&[]).await;
    let (status, replayed, v) = send(writer, "k1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(!replayed, "another key's answer was replayed");
    assert_ne!(v["data"]["id"], first_id.as_str());
}
