//! Feeds that auto-post, end to end: a loopback blog whose feed changes as the test goes,
//! the collector fetching it through the guarded client, posts made through the
//! application layer. A new feed takes only what is published after it (plus its backlog);
//! an item re-published with a new date, or under a new id at the same link, makes
//! nothing new; hostile feeds end in a clear error with nothing created, and a feed that
//! keeps failing pauses itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use e2e::Stack;
use e2e::feeds::{Doc, FeedServer, RssItem, rss};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn collector() -> e2e::Options {
    e2e::Options {
        collector_env: Some(vec![
            ("POSTMANTIS_FEED_ALLOW_HOSTS", "127.0.0.1".to_owned()),
            ("POSTMANTIS_FEED_PAUSE_AFTER", "2".to_owned()),
        ]),
        ..Default::default()
    }
}

/// The feed once `want` holds of it.
async fn feed_when(s: &Stack, id: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = s.get(&format!("/api/feeds/{id}")).await;
        if want(&v["data"]) {
            return v["data"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "feed never became as expected: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn posts_of_feeds(s: &Stack) -> usize {
    s.sql("SELECT count(*) FROM posts WHERE created_by LIKE 'feed %'").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_posts_each_new_item_once_and_never_an_old_or_republished_one() {
    let s = Stack::start_with("feeds", collector()).await;
    let site = FeedServer::start().await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let yesterday = Utc::now() - chrono::Duration::days(1);
    let old = |n: i64, guid: &'static str, title: &'static str, link: &'static str| RssItem {
        guid: Some(guid),
        title,
        link,
        description: "old news",
        pub_date: yesterday + chrono::Duration::minutes(n),
        image: None,
    };
    let a = old(0, "post-a", "Older A", "https://blog.example/a");
    let b = old(5, "post-b", "Older B", "https://blog.example/b");
    let mut doc = Doc::ok("application/rss+xml", rss(&[a, b]));
    doc.etag = Some("\"v1\"".into());
    site.put("/blog.xml", doc);

    let (status, created) = s
        .post(
            "/api/feeds",
            json!({"name": "The Blog", "feed_url": site.url("/blog.xml"), "profiles": [x, li], "template": "{{title}}: {{description}} {{url}}", "backlog": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["data"]["becomes"], "draft");
    assert_eq!(created["data"]["check_interval_minutes"], 60);
    assert_eq!(created["data"]["providers"], json!(["linkedin", "x"]));

    // The first check: the backlog of one takes the newer old item; the older is skipped.
    // A check records its items before it records itself as done (`last_checked_at`): each
    // wait below waits for both, so the next check is asked for once this one is over.
    let f =
        feed_when(&s, &id, |f| f["items_posted"] == 1 && f["items_skipped"] == 1 && f["last_checked_at"].is_string())
            .await;
    let checked = f["last_checked_at"].as_str().unwrap().to_owned();
    let items = f["items"].as_array().unwrap();
    let posted = items.iter().find(|i| i["fate"] == "posted").unwrap();
    assert_eq!(posted["title"], "Older B");
    let skipped = items.iter().find(|i| i["fate"] == "skipped").unwrap();
    assert_eq!(skipped["reason"], "published before the feed was added");
    let (_, post) = s.get(&format!("/api/posts/{}", posted["post_id"].as_str().unwrap())).await;
    assert_eq!(post["data"]["body"], "Older B: old news https://blog.example/b", "{post}");
    assert_eq!(post["data"]["status"], "draft");
    assert_eq!(post["data"]["deliveries"].as_array().unwrap().len(), 2);

    // A new item, with HTML in its description and tracking on its link.
    let now = Utc::now() + chrono::Duration::minutes(1);
    let c = |date| RssItem {
        guid: Some("post-c"),
        title: "New &amp; shiny",
        link: "https://blog.example/c?utm_source=rss",
        description: "<p>Fresh <b>news</b></p>",
        pub_date: date,
        image: None,
    };
    let mut doc = Doc::ok("application/rss+xml", rss(&[c(now), old(0, "post-a", "Older A", "https://blog.example/a")]));
    doc.etag = Some("\"v2\"".into());
    site.put("/blog.xml", doc);
    let (status, _) = s.post(&format!("/api/feeds/{id}/check"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let f = feed_when(&s, &id, |f| f["items_posted"] == 2 && f["last_checked_at"].as_str() != Some(&checked)).await;
    let newest = f["items"].as_array().unwrap().iter().find(|i| i["title"] == "New & shiny").unwrap().clone();
    let (_, post) = s.get(&format!("/api/posts/{}", newest["post_id"].as_str().unwrap())).await;
    assert_eq!(post["data"]["body"], "New & shiny: Fresh news https://blog.example/c?utm_source=rss");

    // The site re-publishes C with a new date, B under its id, and C again under a new id
    // at the same link: nothing new.
    let later = Utc::now() + chrono::Duration::hours(1);
    let again = RssItem { guid: Some("post-c-v2"), ..c(later) };
    let mut doc = Doc::ok(
        "application/rss+xml",
        rss(&[c(later), again, old(60 * 30, "post-b", "Older B, updated", "https://blog.example/b")]),
    );
    doc.etag = Some("\"v3\"".into());
    site.put("/blog.xml", doc);
    let checked = f["last_checked_at"].as_str().unwrap().to_owned();
    s.post(&format!("/api/feeds/{id}/check"), json!({})).await;
    let f = feed_when(&s, &id, |f| f["last_checked_at"].as_str().is_some_and(|t| t != checked)).await;
    assert_eq!(f["items_posted"], 2, "{f}");
    assert_eq!(f["items_skipped"], 1, "{f}");
    assert_eq!(posts_of_feeds(&s), 2);

    // Unchanged since the last fetch: the server answers 304, and nothing happens.
    let checked = f["last_checked_at"].as_str().unwrap().to_owned();
    s.post(&format!("/api/feeds/{id}/check"), json!({})).await;
    let f = feed_when(&s, &id, |f| f["last_checked_at"].as_str().is_some_and(|t| t != checked)).await;
    assert_eq!(site.asked("/blog.xml").1, 1, "one conditional request answered 304");
    assert_eq!(f["error_count"], 0);
    assert_eq!(posts_of_feeds(&s), 2);

    // Seed 002's shape: list, pause, resume.
    let agency = |method: Method, path: String, body: Option<Value>| {
        let mut r = s
            .http
            .request(method, format!("{}/api/v1/social{path}", s.gateway))
            .bearer_auth(&s.key)
            .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0");
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let resp = r.send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    let (_, all) = agency(Method::GET, "/rss/feeds".into(), None).await;
    assert_eq!(all["success"], true, "{all}");
    assert_eq!(all["data"][0]["feedUrl"], site.url("/blog.xml"));
    assert_eq!(all["data"][0]["itemsPosted"], 2);
    assert_eq!(all["data"][0]["autoSchedule"], false);
    let mut platforms: Vec<String> = serde_json::from_value(all["data"][0]["targetPlatforms"].clone()).unwrap();
    platforms.sort();
    assert_eq!(platforms, ["linkedin", "twitter"]);
    let (_, paused) = agency(Method::POST, format!("/rss/feeds/{id}"), Some(json!({"action": "pause"}))).await;
    assert_eq!(paused["data"]["status"], "paused", "{paused}");
    let (status, refused) = s.post(&format!("/api/feeds/{id}/check"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a paused feed is not checked: {refused}");
    let (_, resumed) = agency(Method::POST, format!("/rss/feeds/{id}"), Some(json!({"action": "resume"}))).await;
    assert_eq!(resumed["data"]["status"], "active");
    assert_eq!(resumed["data"]["errorCount"], 0);

    // Created through the seed's shape: drafts on every X profile, the interval checked.
    let (status, bad) = agency(
        Method::POST,
        "/rss/feeds".into(),
        Some(json!({"name": "Too often", "feedUrl": site.url("/blog.xml"), "targetPlatforms": ["twitter"], "checkIntervalMinutes": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"].as_str().unwrap().contains("checkIntervalMinutes"), "{bad}");
    let (status, made) = agency(
        Method::POST,
        "/rss/feeds".into(),
        Some(json!({"name": "Seed feed", "feedUrl": site.url("/blog.xml"), "targetPlatforms": ["twitter"], "postTemplate": "{{title}} {{url}}"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["data"]["targetAccountIds"], json!([x]));
    assert_eq!(made["data"]["checkIntervalMinutes"], 60);
    let (status, _) =
        agency(Method::DELETE, format!("/rss/feeds/{}", made["data"]["id"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_feeds_end_in_a_clear_error_and_create_nothing() {
    let s = Stack::start_with("feeds-hostile", collector()).await;
    let site = FeedServer::start().await;
    let x = s.profile("x").await;
    site.put("/page.html", Doc::ok("text/html", "<!doctype html><html><body><h1>Our blog</h1></body></html>"));
    site.put("/broken.xml", Doc::ok("application/rss+xml", "<rss version=\"2.0\"><channel><item><title>unclosed"));
    // 10 MB of a plausible feed.
    let mut huge = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>big</title>");
    while huge.len() < 10 * 1024 * 1024 {
        huge.push_str("<item><title>filler</title><link>https://blog.example/x</link></item>");
    }
    site.put("/huge.xml", Doc::ok("application/rss+xml", huge));
    // 20 MB of zeros gzipped to a few KB, sent as if the transport compressed it.
    let mut gz = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = gz.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, &vec![0u8; 20 * 1024 * 1024]).unwrap();
    }
    let bomb = gz.wait_with_output().unwrap().stdout;
    assert!(bomb.len() < 100_000);
    let mut doc = Doc::ok("application/rss+xml", bomb);
    doc.headers.push("content-encoding: gzip".into());
    site.put("/bomb.xml", doc);
    site.put("/moved.xml", Doc::redirect("http://10.0.0.1/feed.xml"));
    site.put("/metadata.xml", Doc::redirect("http://169.254.169.254/latest/meta-data/"));

    let cases = [
        ("/page.html", "the address answered an HTML page, not a feed"),
        ("/broken.xml", "the feed could not be read as RSS, Atom or JSON Feed"),
        ("/huge.xml", "the feed is larger than 5242880 bytes"),
        ("/bomb.xml", "the feed could not be read as RSS, Atom or JSON Feed"),
        ("/moved.xml", "the feed redirected to http://10.0.0.1/feed.xml, which is refused"),
        ("/metadata.xml", "the feed redirected to http://169.254.169.254/latest/meta-data/, which is refused"),
    ];
    let mut ids = Vec::new();
    for (path, _) in &cases {
        let (status, v) = s
            .post(
                "/api/feeds",
                json!({"name": path, "feed_url": site.url(path), "profiles": [x], "backlog": 50, "becomes": "review"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(v["data"]["id"].as_str().unwrap().to_owned());
    }
    for (id, (path, why)) in ids.iter().zip(&cases) {
        let f = feed_when(&s, id, |f| f["error_count"] == 1).await;
        let error = f["last_error"].as_str().unwrap();
        assert!(error.starts_with(why), "{path}: {error}");
        assert_eq!(f["status"], "active", "one failure does not pause it");
        assert_eq!(f["items"], json!([]), "{path}");
    }
    // A feed pointing at a private address from the start is refused at the first hop too.
    let (_, v) = s
        .post("/api/feeds", json!({"name": "inside", "feed_url": "http://192.168.1.10/feed.xml", "profiles": [x]}))
        .await;
    let inside = v["data"]["id"].as_str().unwrap().to_owned();
    let f = feed_when(&s, &inside, |f| f["error_count"] == 1).await;
    assert!(f["last_error"].as_str().unwrap().contains("192.168.1.10"), "{f}");

    // Failing twice in a row (POSTMANTIS_FEED_PAUSE_AFTER=2) pauses a feed, saying why.
    s.post(&format!("/api/feeds/{}/check", ids[0]), json!({})).await;
    let f = feed_when(&s, &ids[0], |f| f["status"] == "paused").await;
    assert_eq!(f["error_count"], 2);
    assert!(
        f["paused_reason"]
            .as_str()
            .unwrap()
            .starts_with("paused after 2 failed checks in a row; the last: the address answered an HTML page"),
        "{f}"
    );
    assert_eq!(posts_of_feeds(&s), 0, "nothing was created");
    assert_eq!(s.sql("SELECT count(*) FROM feed_items"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_feed_is_refused_naming_the_field() {
    let s = Stack::start("feeds-input").await;
    let x = s.profile("x").await;
    for (body, field) in [
        (json!({"feed_url": "https://blog.example/feed.xml", "profiles": [x]}), "name"),
        (json!({"name": "b", "feed_url": "file:///etc/passwd", "profiles": [x]}), "feed_url"),
        (json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": []}), "profiles"),
        (
            json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": ["01a234db-0ea1-774e-8ee8-9b1edd70ba7f"]}),
            "profiles[0]",
        ),
        (
            json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": [x], "template": "{{body}}"}),
            "template",
        ),
        (
            json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": [x], "check_interval_minutes": 14}),
            "check_interval_minutes",
        ),
        (
            json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": [x], "becomes": "queue"}),
            "queue",
        ),
        (json!({"name": "b", "feed_url": "https://blog.example/feed.xml", "profiles": [x], "colour": "red"}), "colour"),
    ] {
        let (status, v) = s.post("/api/feeds", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{body}: {v}");
    }
    assert_eq!(s.sql("SELECT count(*) FROM feeds"), "0", "nothing half-written");
    let (status, _) = s.get("/api/feeds/01a234db-0ea1-774e-8ee8-9b1edd70ba7f").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = s.call(Method::PATCH, "/api/feeds/not-an-id", Some(json!({"name": "x"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_asked_for_while_the_feed_is_being_read_still_happens() {
    let s = Stack::start_with("feeds-asked", collector()).await;
    let site = FeedServer::start().await;
    let x = s.profile("x").await;
    // The feed's first check takes two seconds to be answered, and it has nothing new.
    let mut slow = Doc::ok("application/rss+xml", rss(&[]));
    slow.delay = Duration::from_secs(2);
    site.put("/slow.xml", slow);
    let (status, created) = s
        .post("/api/feeds", json!({"name": "Slow", "feed_url": site.url("/slow.xml"), "profiles": [x], "template": "{{title}} {{url}}"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while site.asked("/slow.xml").0 == 0 {
        assert!(std::time::Instant::now() < deadline, "the first check never read the feed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // While it is being read, an item is published and a check is asked for.
    let item = RssItem {
        guid: Some("fresh"),
        title: "Fresh",
        link: "https://blog.example/fresh",
        description: "news",
        pub_date: Utc::now() + chrono::Duration::minutes(1),
        image: None,
    };
    site.put("/slow.xml", Doc::ok("application/rss+xml", rss(&[item])));
    let (status, asked) = s.post(&format!("/api/feeds/{id}/check"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(asked["data"]["last_checked_at"].is_null(), "asked while the first check was still running: {asked}");
    assert_eq!(site.asked("/slow.xml").0, 1, "the feed read once so far");

    // The first check ends with what it read (nothing); the one asked for is not lost in
    // the hour its interval would wait: it reads the feed again and posts the item.
    let f = feed_when(&s, &id, |f| f["items_posted"] == 1).await;
    assert_eq!(f["items"][0]["title"], "Fresh", "{f}");
    assert_eq!(site.asked("/slow.xml").0, 2, "read once for each check");
    assert_eq!(posts_of_feeds(&s), 1);
}
