//! Threads (X, Bluesky, Threads, Mastodon) and first comments (LinkedIn, Facebook,
//! Instagram, YouTube, Reddit), delivered exactly once part by part: each part a reply to
//! the one before, a lost answer on a part never making it twice (nor a redelivered copy
//! of the task), and a failure midway naming exactly the parts that are public.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::files::FileServer;
use e2e::{Options, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const THREADS: [&str; 4] = ["x", "bluesky", "threads", "mastodon"];
const COMMENTS: [&str; 5] = ["linkedin", "facebook", "instagram", "youtube", "reddit"];

fn opts() -> Options {
    Options { provider_timeout_ms: 1000, retry_delay_ms: 300, ..Options::default() }
}

fn thread(provider: &str, tag: &str) -> Vec<String> {
    (1..=3).map(|i| format!("{tag} {provider} part {i} of 3")).collect()
}

/// A post with a first comment on `provider`, with what that platform needs besides.
fn commented(provider: &str, f: &FileServer, comment: &str) -> Value {
    let mut options = json!({"first_comment": comment});
    let mut body = json!({"post": {"body": format!("a {provider} post with a first comment ({comment})")}});
    match provider {
        "instagram" => body["media"] = json!([{"url": f.url("/photo.jpg")}]),
        "youtube" => {
            body["media"] = json!([{"url": f.url("/clip.mp4")}]);
            options["title"] = json!("Launch");
        }
        "reddit" => {
            options["subreddit"] = json!("rust");
            options["title"] = json!("Launch");
        }
        _ => {}
    }
    body["provider_options"] = json!({ provider: options });
    body
}

/// The account's publishes on the sim, oldest first.
async fn publishes(s: &Stack, provider: &str) -> Vec<Value> {
    s.sim_records(&format!("publishes?account=demo-{provider}")).await
}

/// The publishes of one post on the sim: `first` and everything answering it, in order.
fn chain(all: &[Value], first_text: &str) -> Vec<Value> {
    let Some(start) = all.iter().position(|p| p["text"] == first_text) else { return Vec::new() };
    let mut out = vec![all[start].clone()];
    for p in &all[start + 1..] {
        let parent = p["parent"].as_str();
        if parent.is_some() && out.iter().any(|o| o["id"].as_str() == parent) {
            out.push(p.clone());
        }
    }
    out
}

/// Asserts a three-part thread is on the platform as three posts, in order, each replying
/// to the one before, and that the delivery records the same three.
fn assert_thread(provider: &str, parts: &[String], on_sim: &[Value], delivery: &Value) {
    assert_eq!(on_sim.len(), 3, "{provider}: exactly three public posts: {on_sim:?}");
    for (i, p) in on_sim.iter().enumerate() {
        assert_eq!(p["text"], parts[i].as_str(), "{provider}: part {} in order", i + 1);
        let kind = if i == 0 { "post" } else { "reply" };
        assert_eq!(p["kind"], kind, "{provider}: {p}");
        if i > 0 {
            assert_eq!(p["parent"], on_sim[i - 1]["id"], "{provider}: part {} replies to part {i}", i + 1);
        }
    }
    assert_eq!(delivery["status"], "published", "{provider}: {delivery}");
    let recorded = delivery["parts"].as_array().unwrap();
    assert_eq!(recorded.len(), 3, "{provider}: {delivery}");
    for (i, r) in recorded.iter().enumerate() {
        assert_eq!(r["part"], i + 1);
        assert!(r["url"].as_str().unwrap().starts_with("https://"), "{r}");
    }
    // The delivery's own post is the thread's first part.
    assert_eq!(delivery["provider_post_id"], recorded[0]["provider_post_id"]);
    assert_eq!(delivery["url"], recorded[0]["url"]);
}

/// Copies of the delivery's first task, as a broker redelivery would bring them.
fn redeliver(s: &Stack, provider: &str, post: &Value) {
    let copy = json!({
        "delivery_id": post["deliveries"][0]["id"], "post_id": post["id"], "provider": provider,
        "attempt": 1, "first_attempt": 1,
    });
    for _ in 0..2 {
        s.inject("postmantis.deliveries", provider, "delivery.requested.v1", &copy);
    }
}

async fn attempts(s: &Stack, delivery: &Value) -> String {
    s.sql(&format!(
        "SELECT string_agg(outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{}'",
        delivery["id"].as_str().unwrap()
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_arrive_in_order_and_a_lost_answer_on_part_two_still_gives_three_posts() {
    let s = Stack::start_with("threads", opts()).await;
    // Every platform with threads: three parts, three posts, each replying to the one before.
    let mut made = Vec::new();
    for provider in THREADS {
        let parts = thread(provider, "plain");
        let p = s.create(json!({"post": {"thread": parts}, "profiles": [s.profile(provider).await]})).await;
        assert_eq!(p["thread"].as_array().unwrap().len(), 3, "{p}");
        assert_eq!(p["body"], parts[0].as_str(), "the first part is the body");
        made.push((provider, parts, p["id"].as_str().unwrap().to_owned()));
    }
    for (provider, parts, id) in &made {
        let done = s.wait_post(id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        let on_sim = chain(&publishes(&s, provider).await, &parts[0]);
        assert_thread(provider, parts, &on_sim, &done["deliveries"][0]);
    }

    // The answer to part 2 is lost (the post is made, the worker times out); copies of the
    // task arrive meanwhile. Still three posts, each once.
    let mut made = Vec::new();
    for provider in THREADS {
        s.fault(&format!("demo-{provider}"), json!({"mode": "lost_answer", "after": 1, "times": 1, "delay_ms": 2500}))
            .await;
        let parts = thread(provider, "lost");
        let p = s.create(json!({"post": {"thread": parts}, "profiles": [s.profile(provider).await]})).await;
        redeliver(&s, provider, &p);
        made.push((provider, parts, p));
    }
    for (provider, parts, p) in &made {
        let done =
            s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(40), |p| p["status"] == "completed").await;
        let d = &done["deliveries"][0];
        let on_sim = chain(&publishes(&s, provider).await, &parts[0]);
        assert_thread(provider, parts, &on_sim, d);
        // Part 2's outcome was unknown: the next attempt found it (Mastodon: its idempotency
        // key gave the first status back) and went on with part 3.
        let expected = if *provider == "mastodon" { "retryable,published" } else { "retryable,recovered" };
        assert_eq!(attempts(&s, d).await, expected, "{provider}");
        assert_eq!(d["parts"][1]["recovered"], *provider != "mastodon", "{provider}: {d}");
        let sends = s
            .calls(&format!("demo-{provider}"))
            .await
            .into_iter()
            .filter(|c| c["text"] == parts[1].as_str() && c["outcome"] != "replayed")
            .count();
        assert_eq!(sends, 1, "{provider}: part 2 was sent once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_midway_leaves_the_delivery_failed_naming_the_public_parts() {
    let s = Stack::start_with("thread-failures", opts()).await;
    let f = FileServer::start().await;
    let mut made = Vec::new();
    for provider in THREADS {
        s.fault(
            &format!("demo-{provider}"),
            json!({"mode": "reject", "after": 2, "times": 1, "message": "Part three was refused."}),
        )
        .await;
        let parts = thread(provider, "failing");
        let p = s.create(json!({"post": {"thread": parts}, "profiles": [s.profile(provider).await]})).await;
        made.push((provider, parts[0].clone(), p["id"].as_str().unwrap().to_owned(), 2));
    }
    // A first comment refused: the post is out there, the delivery says so.
    for provider in COMMENTS {
        s.fault(
            &format!("demo-{provider}"),
            json!({"mode": "reject", "after": 1, "times": 1, "message": "Comments are closed."}),
        )
        .await;
        let mut body = commented(provider, &f, "refused comment");
        body["profiles"] = json!([s.profile(provider).await]);
        let first = body["post"]["body"].as_str().unwrap().to_owned();
        let p = s.create(body).await;
        made.push((provider, first, p["id"].as_str().unwrap().to_owned(), 1));
    }
    for (provider, first, id, public) in made {
        let done = s.wait_post(&id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        let d = &done["deliveries"][0];
        assert_eq!(d["status"], "failed", "{provider}: {d}");
        assert_eq!(done["outcome"], "failed", "{provider}");
        let on_sim = chain(&publishes(&s, provider).await, &first);
        assert_eq!(on_sim.len(), public, "{provider}: {on_sim:?}");
        let recorded = d["parts"].as_array().unwrap();
        assert_eq!(recorded.len(), public, "{provider}: {d}");
        let error = d["error_message"].as_str().unwrap();
        let total = if public == 2 { 3 } else { 2 };
        assert!(error.starts_with(&format!("posted {public} of {total} parts (")), "{provider}: {error}");
        for r in recorded {
            assert!(error.contains(r["url"].as_str().unwrap()), "{provider}: {error} names {r}");
        }
        let refused = if public == 2 { "part 3 failed" } else { "part 2 (the first comment) failed" };
        assert!(error.contains(refused), "{provider}: {error}");
        // Refused for good: one attempt, nothing sent after the refusal.
        assert_eq!(attempts(&s, d).await, "rejected", "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_comment_follows_its_post_exactly_once() {
    let s = Stack::start_with("first-comments", opts()).await;
    let f = FileServer::start().await;
    for lost in [false, true] {
        let mut made = Vec::new();
        for provider in COMMENTS {
            let comment = format!("{} first comment on {provider}", if lost { "lost" } else { "plain" });
            if lost {
                s.fault(
                    &format!("demo-{provider}"),
                    json!({"mode": "lost_answer", "after": 1, "times": 1, "delay_ms": 2500}),
                )
                .await;
            }
            let mut body = commented(provider, &f, &comment);
            body["profiles"] = json!([s.profile(provider).await]);
            let first = body["post"]["body"].as_str().unwrap().to_owned();
            let p = s.create(body).await;
            if lost {
                redeliver(&s, provider, &p);
            }
            made.push((provider, comment, first, p["id"].as_str().unwrap().to_owned()));
        }
        for (provider, comment, first, id) in made {
            let done = s.wait_post(&id, Duration::from_secs(40), |p| p["status"] == "completed").await;
            let d = &done["deliveries"][0];
            assert_eq!(d["status"], "published", "{provider}: {d}");
            let on_sim = chain(&publishes(&s, provider).await, &first);
            assert_eq!(on_sim.len(), 2, "{provider}: the post and one comment: {on_sim:?}");
            assert_eq!(on_sim[1]["kind"], "comment");
            assert_eq!(on_sim[1]["text"], comment.as_str());
            assert_eq!(on_sim[1]["parent"], on_sim[0]["id"], "{provider}: the comment is on the post");
            let parts = d["parts"].as_array().unwrap();
            assert_eq!(parts.len(), 2, "{provider}: {d}");
            assert_eq!((parts[0]["kind"].as_str(), parts[1]["kind"].as_str()), (Some("post"), Some("comment")));
            if lost {
                assert_eq!(attempts(&s, d).await, "retryable,recovered", "{provider}");
                assert_eq!(parts[1]["recovered"], true, "{provider}: {d}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capability_matrix_decides_what_is_accepted_and_the_dry_run_shows_each_part() {
    let s = Stack::start("thread-acceptance").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);

    // The matrix, natively and on the agency surface.
    let (status, all) = s.get("/api/platforms").await;
    assert_eq!(status, StatusCode::OK);
    let caps =
        |p: &str| all["data"].as_array().unwrap().iter().find(|e| e["platform"] == p).unwrap()["capabilities"].clone();
    for p in THREADS {
        assert_eq!(caps(p)["threads"], true, "{p}");
        assert_eq!(caps(p)["first_comment"], false, "{p}");
    }
    for p in COMMENTS {
        assert_eq!((caps(p)["threads"].clone(), caps(p)["first_comment"].clone()), (json!(false), json!(true)), "{p}");
    }
    assert_eq!(caps("threads")["carousel"], true);
    // The inbox: read and answered where an adapter does (X, Mastodon, Bluesky, Facebook,
    // Instagram), nowhere else.
    assert_eq!(caps("x")["inbox"], json!({"comments": true, "mentions": true, "messages": true}));
    assert_eq!(caps("facebook")["inbox"], json!({"comments": true, "mentions": false, "messages": false}));
    assert_eq!(caps("linkedin")["inbox"], json!({"comments": false, "mentions": false, "messages": false}));
    assert_eq!((caps("bluesky")["reply"].clone(), caps("youtube")["reply"].clone()), (json!(true), json!(false)));
    let r = s
        .http
        .get(format!("{}/api/v1/social/platforms/twitter", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0")
        .send()
        .await
        .unwrap();
    let agency: Value = r.json().await.unwrap();
    assert_eq!(agency["success"], true, "{agency}");
    assert_eq!(agency["data"]["supportsThreads"], true);
    assert_eq!(agency["data"]["maxThreadParts"], 25);
    assert_eq!(agency["data"]["capabilities"]["firstComment"], false);

    // Refusals name the field: a thread where there are none, a part too long, too many
    // parts, a first comment where there is none.
    let cases = [
        (json!({"post": {"thread": ["one", "two"]}, "profiles": [li]}), "post.thread", "capabilities.threads"),
        (json!({"post": {"thread": ["one", "two", "a".repeat(281)]}, "profiles": [x]}), "post.thread[2]", "per part"),
        (json!({"post": {"thread": vec!["p"; 26]}, "profiles": [x]}), "post.thread", "at most 25 parts"),
        (
            json!({"post": {"body": "hi"}, "profiles": [x], "provider_options": {"x": {"first_comment": "c"}}}),
            "provider_options.x.first_comment",
            "capabilities.first_comment",
        ),
        (json!({"post": {"body": "zero", "thread": ["one", "two"]}, "profiles": [x]}), "post.body", "post.thread[0]"),
    ];
    let before = s.sql("SELECT count(*) FROM posts");
    for (body, field, words) in cases {
        let (status, v) = s.post("/api/posts", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        let errors = v["errors"].as_array().unwrap();
        let e = errors.iter().find(|e| e["field"] == field).unwrap_or_else(|| panic!("{field} not named: {v}"));
        assert!(e["message"].as_str().unwrap().contains(words), "{e}");
    }
    assert_eq!(s.sql("SELECT count(*) FROM posts"), before, "nothing half-written");

    // The dry run shows each part's requests, each answering the part before.
    let (status, v) = s
        .post(
            "/api/posts?dry_run=true",
            json!({"post": {"thread": ["dry 1", "dry 2", "dry 3"]}, "profiles": [x, s.profile("mastodon").await]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let ds = v["data"]["deliveries"].as_array().unwrap();
    let xd = ds.iter().find(|d| d["provider"] == "x").unwrap();
    assert_eq!(xd["requests"].as_array().unwrap().last().unwrap()["body"]["text"], "dry 1");
    let parts = xd["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{xd}");
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part["part"], i + 2);
        let tweet = part["requests"].as_array().unwrap().last().unwrap();
        assert_eq!(tweet["body"]["text"], format!("dry {}", i + 2));
        assert!(tweet["body"]["reply"]["in_reply_to_tweet_id"].is_string(), "{tweet}");
    }
    let md = ds.iter().find(|d| d["provider"] == "mastodon").unwrap();
    let status_req = md["parts"][1]["requests"][0].clone();
    assert!(status_req["body"]["in_reply_to_id"].is_string(), "{status_req}");
    assert!(status_req["headers"]["idempotency-key"].as_str().unwrap().ends_with("-2"), "{status_req}");
    assert_eq!(s.sql("SELECT count(*) FROM posts"), before, "a dry run stores nothing");

    // The agency surface: threadParts is the whole thread; it reads back so, with each
    // delivered part.
    let agency = |m: Method, path: &str| {
        s.http
            .request(m, format!("{}/api/v1/social{path}", s.gateway))
            .bearer_auth(&s.key)
            .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0")
    };
    let parts = ["Agency 1/3", "Agency 2/3", "Agency 3/3"];
    let made: Value = agency(Method::POST, "/posts/")
        .json(&json!({"content": "ignored", "threadParts": parts, "platforms": ["bluesky"], "status": "scheduled"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let aid = made["data"]["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_owned();
    s.wait_post(&aid, Duration::from_secs(20), |p| p["status"] == "completed").await;
    let read: Value = agency(Method::GET, &format!("/posts/{aid}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["data"]["threadParts"], json!(parts), "{read}");
    assert_eq!(read["data"]["content"]["text"], "Agency 1/3", "the first part is the text");
    assert_eq!(read["data"]["status"], "published");
    assert_eq!(read["data"]["deliveries"][0]["parts"].as_array().unwrap().len(), 3, "{read}");
    let on_sim = chain(&publishes(&s, "bluesky").await, "Agency 1/3");
    assert_eq!(on_sim.len(), 3, "{on_sim:?}");

    // A thread is edited as a whole; the read-back shows it first part first.
    let (_, draft) =
        s.post("/api/posts", json!({"post": {"thread": ["a", "b"], "draft": true}, "profiles": [x]})).await;
    let id = draft["data"]["id"].as_str().unwrap().to_owned();
    let (status, v) =
        s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"thread": ["A", "B", "C"]}}))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let bodies: Vec<&str> =
        v["data"]["thread"].as_array().unwrap().iter().map(|p| p["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["A", "B", "C"]);
    assert_eq!(v["data"]["body"], "A");
    let (_, v) = s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"thread": null}}))).await;
    assert_eq!(v["data"]["thread"], json!([]), "{v}");
    assert_eq!(v["data"]["body"], "A", "dropping the thread keeps the body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_part_carries_its_own_media() {
    let s = Stack::start_with("thread-media", opts()).await;
    let f = FileServer::start().await;
    let x = s.profile("x").await;
    let body = json!({
        "post": {"thread": [
            {"body": "media 1/3", "media": [{"url": f.url("/card.png")}]},
            {"body": "media 2/3", "media": [{"url": f.url("/photo.jpg"), "alt": "the second picture"}]},
            "media 3/3",
        ]},
        "profiles": [x],
    });
    let p = s.create(body).await;
    assert_eq!(p["media"][0]["content_type"], "image/png", "the first part's media are the post's: {p}");
    assert_eq!(p["thread"][1]["media"][0]["content_type"], "image/jpeg", "{p}");
    assert_eq!(p["thread"][1]["media"][0]["alt"], "the second picture");
    assert_eq!(p["thread"][2]["media"], json!([]));
    s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(30), |p| p["status"] == "completed").await;
    let calls = s.calls("demo-x").await;
    let sent = |text: &str| calls.iter().find(|c| c["text"] == text).unwrap()["media"].clone();
    assert_eq!(sent("media 1/3")[0]["content_type"], "image/png");
    assert_eq!(sent("media 2/3").as_array().unwrap().len(), 1);
    assert_eq!(sent("media 2/3")[0]["content_type"], "image/jpeg");
    assert_eq!(sent("media 2/3")[0]["alt"], "the second picture");
    assert_eq!(sent("media 3/3"), json!([]));

    // A part's media are checked against the platform and named by part; nothing of the
    // refused post stays, its fetched files included.
    let (posts, files) = (s.sql("SELECT count(*) FROM posts"), s.stored_files().len());
    let refused = json!({
        "post": {"thread": ["one", {"body": "two", "media": [{"url": f.url("/clip.mp4")}, {"url": f.url("/card.png")}]}]},
        "profiles": [x],
    });
    let (status, v) = s.post("/api/posts", refused).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errors"][0]["field"], "post.thread[1].media", "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("video only on its own"), "{v}");
    assert_eq!(s.sql("SELECT count(*) FROM posts"), posts);
    assert_eq!(s.stored_files().len(), files, "the refused post's fetched media were discarded");

    // A draft's parts get new media by PATCH; the thread is replaced whole.
    let draft = s.create(json!({"post": {"thread": ["d1", "d2"], "draft": true}, "profiles": [x]})).await;
    let id = draft["id"].as_str().unwrap();
    let patch = json!({"post": {"thread": ["d1", {"body": "d2", "media": [{"url": f.url("/photo.jpg")}]}]}});
    let (status, v) = s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["thread"][1]["media"][0]["content_type"], "image/jpeg", "{v}");
    let (_, v) =
        s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"thread": ["d1", "d2"]}}))).await;
    assert_eq!(v["data"]["thread"][1]["media"], json!([]), "{v}");

    // A scheduled thread's parts are edited through the scheduler, media included.
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let p = s.create(json!({"post": {"thread": ["s1", "s2"], "scheduled_at": later}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap();
    s.wait_status(id, "scheduled").await;
    let patch = json!({"post": {"thread": ["s1", {"body": "s2 again", "media": [{"url": f.url("/card.png")}]}]}});
    let (status, v) = s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let read = s.post_by_id(id).await;
    assert_eq!(read["thread"][1]["body"], "s2 again", "{read}");
    assert_eq!(read["thread"][1]["media"][0]["content_type"], "image/png", "{read}");
}
