//! An attempt whose answer is lost (the post was made, the caller timed out) must never
//! yield a second public post: the provider's idempotency, or a look-up before retrying.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::files::FileServer;
use e2e::{Options, Stack};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_never_yields_a_second_post_on_any_provider() {
    let opts = Options { provider_timeout_ms: 1000, retry_delay_ms: 300, ..Options::default() };
    let s = Stack::start_with("lost-answers", opts).await;
    let f = FileServer::start().await;
    let cases: Vec<(&str, Value)> = vec![
        ("x", json!({"post": {"body": "lost x"}})),
        ("linkedin", json!({"post": {"body": "lost linkedin"}})),
        (
            "youtube",
            json!({"post": {"body": "lost youtube"}, "media": [{"url": f.url("/clip.mp4")}], "provider_options": {"youtube": {"title": "Lost"}}}),
        ),
        ("instagram", json!({"post": {"body": "lost instagram"}, "media": [{"url": f.url("/photo.jpg")}]})),
        ("tiktok", json!({"post": {"body": "lost tiktok"}, "media": [{"url": f.url("/clip.mp4")}]})),
        ("facebook", json!({"post": {"body": "lost facebook"}})),
        ("threads", json!({"post": {"body": "lost threads"}})),
        (
            "pinterest",
            json!({"post": {"body": "lost pinterest"}, "media": [{"url": f.url("/card.png")}], "provider_options": {"pinterest": {"board_id": "b1"}}}),
        ),
        ("bluesky", json!({"post": {"body": "lost bluesky"}})),
        ("mastodon", json!({"post": {"body": "lost mastodon"}})),
        (
            "reddit",
            json!({"post": {"body": "lost reddit"}, "provider_options": {"reddit": {"subreddit": "rust", "title": "Lost"}}}),
        ),
        (
            "dribbble",
            json!({"post": {"body": "lost dribbble"}, "media": [{"url": f.url("/card.png")}], "provider_options": {"dribbble": {"title": "Lost"}}}),
        ),
    ];
    let mut posts = Vec::new();
    for (provider, mut body) in cases {
        s.fault(&format!("demo-{provider}"), json!({"mode": "lost_answer", "times": 1, "delay_ms": 2500})).await;
        body["profiles"] = json!([s.profile(provider).await]);
        posts.push((provider, s.create(body).await["id"].as_str().unwrap().to_owned()));
    }
    for (provider, id) in posts {
        let done = s.wait_post(&id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        let d = &done["deliveries"][0];
        assert_eq!(d["status"], "published", "{provider}: {done}");
        let publishes: Vec<Value> = s.sim_records(&format!("publishes?account=demo-{provider}")).await;
        assert_eq!(publishes.len(), 1, "{provider} got two posts: {publishes:?}");
        let marker = if provider == "bluesky" {
            publishes[0]["key"].as_str().unwrap()
        } else {
            publishes[0]["id"].as_str().unwrap()
        };
        assert!(
            d["provider_post_id"].as_str().unwrap().contains(marker),
            "{provider}: {} is not {marker}",
            d["provider_post_id"]
        );
        // What happened is recorded: the first attempt threw, the second found the post
        // (Mastodon: its idempotency key returned the first status).
        let outcomes = s.sql(&format!(
            "SELECT string_agg(outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{}'",
            d["id"].as_str().unwrap()
        ));
        let expected = if provider == "mastodon" { "retryable,published" } else { "retryable,recovered" };
        assert_eq!(outcomes, expected, "{provider}");
    }
}
