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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_transaction_commits_late_is_still_sent_by_the_feed_and_the_webhooks() {
    let s = Stack::start("events-late-commit").await;
    let x = s.profile("x").await;
    let hook_events = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let (hook_url, hook_seen) = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let seen = hook_events.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { continue };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let mut got = Vec::new();
                    // Enough of the request to see the event's message.
                    for _ in 0..8 {
                        let n = sock.read(&mut buf).await.unwrap_or(0);
                        got.extend_from_slice(&buf[..n]);
                        if n == 0 || String::from_utf8_lossy(&got).contains("}}") {
                            break;
                        }
                    }
                    seen.lock().push(String::from_utf8_lossy(&got).to_string());
                    let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                });
            }
        });
        (url, hook_events.clone())
    };
    let (status, v) = s.post("/api/webhooks", serde_json::json!({"url": hook_url, "events": ["post.canceled"]})).await;
    assert_eq!(status.as_u16(), 201, "{v}");
    let first = s.create(Stack::json_post("before the held transaction", &[&x])).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    s.wait_status(&first_id, "completed").await;
    let feed = s.http.get(format!("{}/api/events", s.gateway)).bearer_auth(&s.key).send().await.unwrap();

    // A transaction writes an event and stays open while other events commit after it.
    let ws = s.sql(&format!("SELECT workspace_id FROM posts WHERE id = '{first_id}'"));
    let held = std::process::Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &s.db_name, "-qc"])
        .arg(format!(
            "BEGIN; INSERT INTO publish_log (workspace_id, post_id, kind, message) VALUES ('{ws}', '{first_id}', 'post.canceled', 'held open'); SELECT pg_sleep(3); COMMIT;"
        ))
        .spawn()
        .unwrap();
    // Until that transaction has written its row and sleeps (a fixed wait was too short for
    // psql to start on a loaded CI machine).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while s.sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%held open%' AND wait_event = 'PgSleep'")
        != "1"
    {
        assert!(std::time::Instant::now() < deadline, "the held transaction never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let later = s.create(Stack::json_post("committed while the other is open", &[&x])).await;
    let later_id = later["id"].as_str().unwrap().to_owned();
    let events = read_until(feed, |e| e.kind == "post.canceled").await;
    let kinds: Vec<(&str, &str)> =
        events.iter().map(|e| (e.kind.as_str(), e.data["post_id"].as_str().unwrap_or(""))).collect();
    assert!(kinds.contains(&("post.completed", later_id.as_str())), "the later post's events came first: {kinds:?}");
    let late = events.last().unwrap();
    assert_eq!(late.data["message"], "held open");
    let positions: Vec<i64> = events.iter().map(|e| e.id.parse().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let mut held = held;
    assert!(held.wait().unwrap().success());
    // The scenario was real: the held event's row id is older than the later post's events.
    let held_id: i64 = s.sql("SELECT id FROM publish_log WHERE message = 'held open'").parse().unwrap();
    let later_first: i64 =
        s.sql(&format!("SELECT min(id) FROM publish_log WHERE post_id = '{later_id}'")).parse().unwrap();
    assert!(held_id < later_first, "{held_id} vs {later_first}");
    // The webhook fan-out read the same feed: the late event reached the endpoint too.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !hook_seen.lock().iter().any(|r| r.contains("held open")) {
        assert!(std::time::Instant::now() < deadline, "the late event never reached the webhook");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_keys_open_feed_ends_within_seconds() {
    let s = Stack::start("events-revoked").await;
    let key = s.create_key(&[]).await;
    let feed = s.http.get(format!("{}/api/events", s.gateway)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(feed.status().as_u16(), 200);
    let mut body = feed.bytes_stream();
    s.sql("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND id = (SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1)");
    let ended = tokio::time::timeout(Duration::from_secs(6), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the feed of a revoked key stayed open");
    let again = s.http.get(format!("{}/api/events", s.gateway)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 401);
}
