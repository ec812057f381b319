//! The event feed: Server-Sent Events from accepted to completed, resumable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::Stack;
use futures_util::StreamExt;
use serde_json::Value;

struct Event {
    id: String,
    kind: String,
    data: Value,
}

/// Reads events from a feed until `done` says stop (or 20 s pass).
async fn read_until(resp: reqwest::Response, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chunk =
            tokio::time::timeout_at(deadline, body.next()).await.expect("the feed went quiet").unwrap().unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let field = |name: &str| frame.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned());
            if let (Some(id), Some(kind), Some(data)) = (field("id:"), field("event:"), field("data:")) {
                let e = Event { id, kind, data: serde_json::from_str(&data).unwrap() };
                let stop = done(&e);
                events.push(e);
                if stop {
                    return events;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_carries_a_post_from_accepted_to_completed_and_resumes_after_a_reconnect() {
    let s = Stack::start("events").await;
    let x = s.profile("x").await;
    let feed = s.http.get(format!("{}/api/events", s.gateway)).bearer_auth(&s.key).send().await.unwrap();
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    let p = s.create(Stack::json_post("watched", &[&x])).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let events = read_until(feed, |e| e.kind == "post.completed" && e.data["post_id"] == id.as_str()).await;
    let mine: Vec<&Event> = events.iter().filter(|e| e.data["post_id"] == id.as_str()).collect();
    let kinds: Vec<&str> = mine.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["post.accepted", "post.queued", "delivery.published", "post.completed"]);
    assert!(mine[2].data["url"].is_string());

    // Reconnect after `post.queued`: exactly the events after it come again.
    let resume_from = mine[1].id.clone();
    let again = s
        .http
        .get(format!("{}/api/events?post_id={id}", s.gateway))
        .bearer_auth(&s.key)
        .header("Last-Event-ID", &resume_from)
        .send()
        .await
        .unwrap();
    let resumed = read_until(again, |e| e.kind == "post.completed").await;
    let kinds: Vec<&str> = resumed.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["delivery.published", "post.completed"]);
    assert_eq!(resumed[0].id, mine[2].id);

    // The Publishing Log keeps the seed's domain events only, unless asked.
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={id}")).await;
    let kinds: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["delivery.published", "post.queued"]);
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={id}&kind=post.completed")).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
}
