//! Outbound webhooks: signed, retried with backoff, each event delivered once, endpoints
//! disabled after repeated failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use e2e::{Options, Stack};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    answered: u16,
}

/// A receiver that answers 500 to its first `fail_first` requests (or to all: u32::MAX).
async fn receiver(fail_first: u32) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { continue };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head, body) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        // Header names are case-insensitive; values (the signature) are not.
                        let head: String = text[..end]
                            .lines()
                            .map(|l| match l.split_once(':') {
                                Some((n, v)) => format!("{}:{v}\n", n.to_lowercase()),
                                None => format!("{l}\n"),
                            })
                            .collect();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map(|v| v.trim().parse().unwrap())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break (head, String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string());
                        }
                    }
                };
                let h = |name: &str| {
                    head.lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                let answered = {
                    let mut l = log.lock();
                    let code = if (l.len() as u32) < fail_first { 500 } else { 200 };
                    l.push(Received {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                        body,
                        answered: code,
                    });
                    code
                };
                let status = if answered == 200 { "200 OK" } else { "500 Internal Server Error" };
                let _ = sock
                    .write_all(
                        format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes(),
                    )
                    .await;
            });
        }
    });
    (url, seen)
}

fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    r.signature == format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn opts(disable_after: &'static str) -> Options {
    Options {
        worker_env: vec![("POSTMANTIS_WEBHOOK_BACKOFF_MS", "100"), ("POSTMANTIS_WEBHOOK_DISABLE_AFTER", disable_after)],
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_arrive_once_each_even_when_the_first_two_sends_fail() {
    let s = Stack::start_with("webhooks", opts("20")).await;
    let (url, seen) = receiver(2).await;
    let (status, v) = s.post("/api/webhooks", json!({"url": url})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let secret = v["data"]["secret"].as_str().unwrap().to_owned();
    let hook = v["data"]["id"].as_str().unwrap().to_owned();
    let (_, list) = s.get("/api/webhooks").await;
    assert!(!list.to_string().contains("whsec_"), "the secret is shown once");

    let x = s.profile("x").await;
    let p = s.create(Stack::json_post("hooked", &[&x])).await;
    let post = p["id"].as_str().unwrap().to_owned();
    s.wait_status(&post, "completed").await;
    let wanted = ["post.accepted", "post.queued", "delivery.published", "post.completed"];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got: Vec<String> = seen
            .lock()
            .iter()
            .filter(|r| r.answered == 200)
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned())
            .collect();
        if wanted.iter().all(|k| got.iter().any(|g| g == k)) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not every event arrived: {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await; // room for a wrong extra send
    let all = seen.lock().clone();
    assert_eq!(all.iter().filter(|r| r.answered == 500).count(), 2);
    for r in &all {
        assert!(verify(&secret, r), "bad signature on {}", r.id);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["data"]["post_id"], post.as_str());
    }
    // Each event was accepted exactly once; the failed ones came again with the same id.
    let mut ids: Vec<&str> = all.iter().filter(|r| r.answered == 200).map(|r| r.id.as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "an event was delivered twice: {all:?}");
    assert_eq!(n, wanted.len());
    let failed: Vec<&str> = all.iter().filter(|r| r.answered == 500).map(|r| r.id.as_str()).collect();
    assert!(failed.iter().all(|f| ids.contains(f)), "failed sends were retried");
    // The attempts are visible.
    let (_, attempts) = s.get(&format!("/api/webhooks/{hook}/attempts")).await;
    let rows = attempts["data"].as_array().unwrap();
    assert_eq!(rows.iter().filter(|a| a["succeeded"] == false).count(), 2);
    assert_eq!(rows.iter().filter(|a| a["succeeded"] == true).count(), 4);
    assert_eq!(attempts["endpoint"]["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_keeps_failing_is_disabled() {
    let s = Stack::start_with("webhooks-off", opts("3")).await;
    let (url, seen) = receiver(u32::MAX).await;
    let (_, v) = s.post("/api/webhooks", json!({"url": url, "events": ["post.accepted", "post.completed"]})).await;
    let hook = v["data"]["id"].as_str().unwrap().to_owned();
    let x = s.profile("x").await;
    let p = s.create(Stack::json_post("unheard", &[&x])).await;
    s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = s.get("/api/webhooks").await;
        let e = list["data"].as_array().unwrap().iter().find(|e| e["id"] == hook.as_str()).unwrap().clone();
        if e["status"] == "disabled" {
            assert!(e["disabled_reason"].as_str().unwrap().contains("3 failed deliveries in a row"), "{e}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never disabled: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A send already under way may still land; nothing new starts once it is disabled.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_disable = seen.lock().len();
    assert!((3..=4).contains(&at_disable), "{at_disable} sends");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(seen.lock().len(), at_disable, "nothing is sent to a disabled endpoint");
    // Only the kinds it asked for were sent.
    assert!(seen.lock().iter().all(|r| r.body.contains("post.accepted") || r.body.contains("post.completed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_on_this_machine_or_a_private_network_is_refused_in_any_spelling() {
    let s = Stack::start_with("webhooks-ssrf", Options { webhook_allow_hosts: "", ..Options::default() }).await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://127.1/hooks",
        "http://2130706433/hooks",
        "http://0x7f.1/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://[::1]/hooks",
        "http://0.0.0.0:8080/hooks",
        "http://localhost:8080/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hooks",
        "http://100.64.1.1/hooks",
        "http://198.18.0.1/hooks",
        "http://240.0.0.1/hooks",
        "http://[64:ff9b::7f00:1]/hooks",
        "http://[2002:7f00:1::]/hooks",
    ] {
        let (status, v) = s.post("/api/webhooks", json!({"url": url})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {v}");
        assert_eq!(v["errors"][0]["field"], "url", "{url}: {v}");
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("never contacted"), "{url}: {v}");
    }
    let (_, list) = s.get("/api/webhooks").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_became_private_is_refused_again_at_send_time() {
    // The gateway allowed the endpoint when it was made; the workers allow nothing (as if
    // the setting changed, or the name now resolved to a private address).
    let opts = Options {
        worker_env: vec![("POSTMANTIS_WEBHOOK_ALLOW_HOSTS", ""), ("POSTMANTIS_WEBHOOK_BACKOFF_MS", "100")],
        ..Options::default()
    };
    let s = Stack::start_with("webhooks-send-guard", opts).await;
    let (url, seen) = receiver(0).await;
    let (status, v) = s.post("/api/webhooks", json!({"url": url, "events": ["post.accepted"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let hook = v["data"]["id"].as_str().unwrap().to_owned();
    let x = s.profile("x").await;
    let p = s.create(Stack::json_post("not to loopback", &[&x])).await;
    s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let rows = loop {
        let (_, attempts) = s.get(&format!("/api/webhooks/{hook}/attempts")).await;
        let rows = attempts["data"].as_array().unwrap().clone();
        if !rows.is_empty() {
            break rows;
        }
        assert!(std::time::Instant::now() < deadline, "no send was attempted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows[0]["succeeded"], false);
    assert!(rows[0]["error"].as_str().unwrap().contains("never contacted"), "{rows:?}");
    assert!(seen.lock().is_empty(), "the receiver on loopback was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_key_that_sees_the_whole_workspace_manages_webhooks() {
    let s = Stack::start("webhooks-scope").await;
    let (url, _seen) = receiver(0).await;
    let (status, v) = s.post("/api/webhooks", json!({"url": url})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let hook = v["data"]["id"].as_str().unwrap().to_owned();
    let x = s.profile("x").await;
    // Events of posts to other profiles would reach an endpoint a scoped key made, so a
    // scoped key neither makes, lists, reads nor removes endpoints.
    for key in [s.create_key(&["--profiles", &x]).await, s.create_key(&["--providers", "x"]).await] {
        let (status, v) = s.call_as(&key, reqwest::Method::POST, "/api/webhooks", Some(json!({"url": url}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("without provider or profile scope"), "{v}");
        for (method, path) in [
            (reqwest::Method::GET, "/api/webhooks".to_owned()),
            (reqwest::Method::GET, format!("/api/webhooks/{hook}/attempts")),
            (reqwest::Method::DELETE, format!("/api/webhooks/{hook}")),
        ] {
            let (status, v) = s.call_as(&key, method.clone(), &path, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        }
    }
    let (_, list) = s.get("/api/webhooks").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "the endpoint is still there, and only one");
}
