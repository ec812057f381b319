//! Each platform's figures as the adapters read them from provider-sim's metric
//! endpoints (the platforms' own shapes), mapped to the one catalogue: what a platform does
//! not give is empty, never 0; a metric the platform retired leaves a partial snapshot
//! with a warning, never a failed one. The collector keeps them on a schedule, and reads
//! each connected account's own followers and posts daily.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::metrics::Figures;
use e2e::Stack;
use e2e::files::FileServer;
use serde_json::{Value, json};

/// What each platform's answer fills (the rest must stay empty).
fn fills(provider: &str) -> &'static [&'static str] {
    match provider {
        "x" => &["impressions", "likes", "comments", "shares", "saves"],
        "linkedin" => &["likes", "comments"],
        "youtube" => &["video_views", "likes", "comments"],
        "instagram" => &["impressions", "reach", "likes", "comments", "shares", "saves"],
        "tiktok" => &["video_views", "likes", "comments", "shares"],
        "facebook" => &["impressions", "reach", "clicks", "likes", "comments", "shares"],
        "threads" => &["impressions", "likes", "comments", "shares"],
        "pinterest" => &["impressions", "saves", "clicks"],
        "bluesky" | "mastodon" => &["likes", "comments", "shares"],
        "reddit" => &["likes", "comments"],
        "dribbble" => &["impressions", "likes"],
        _ => &[],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platforms_figures_map_to_the_catalogue_and_a_retired_metric_leaves_a_warning() {
    let s = Stack::start("figures").await;
    let f = FileServer::start().await;
    let cases: Vec<(&str, Value)> = vec![
        ("x", json!({"post": {"body": "figures x"}})),
        ("linkedin", json!({"post": {"body": "figures linkedin"}})),
        (
            "youtube",
            json!({"post": {"body": "figures youtube"}, "media": [{"url": f.url("/clip.mp4")}], "provider_options": {"youtube": {"title": "Figures"}}}),
        ),
        ("instagram", json!({"post": {"body": "figures instagram"}, "media": [{"url": f.url("/photo.jpg")}]})),
        ("tiktok", json!({"post": {"body": "figures tiktok"}, "media": [{"url": f.url("/clip.mp4")}]})),
        ("facebook", json!({"post": {"body": "figures facebook"}})),
        ("threads", json!({"post": {"body": "figures threads"}})),
        (
            "pinterest",
            json!({"post": {"body": "figures pinterest"}, "media": [{"url": f.url("/card.png")}], "provider_options": {"pinterest": {"board_id": "b1"}}}),
        ),
        ("bluesky", json!({"post": {"body": "figures bluesky"}})),
        ("mastodon", json!({"post": {"body": "figures mastodon"}})),
        (
            "reddit",
            json!({"post": {"body": "figures reddit"}, "provider_options": {"reddit": {"subreddit": "rust", "title": "Figures"}}}),
        ),
        (
            "dribbble",
            json!({"post": {"body": "figures dribbble"}, "media": [{"url": f.url("/card.png")}], "provider_options": {"dribbble": {"title": "Figures"}}}),
        ),
    ];
    let mut posts = Vec::new();
    for (provider, mut body) in cases {
        body["profiles"] = json!([s.profile(provider).await]);
        posts.push((provider, s.create(body).await["id"].as_str().unwrap().to_owned()));
    }
    let mut published = Vec::new();
    for (provider, id) in posts {
        let done = s.wait_post(&id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        let d = done["deliveries"][0].clone();
        assert_eq!(d["status"], "published", "{provider}: {done}");
        published.push((provider, d));
    }
    // Figures grow with time since publishing: wait until they have something to count.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let config = providers::ProvidersConfig { default_base_url: s.sim.clone(), ..Default::default() };
    let registry = providers::Providers::new(config).unwrap();
    let (_, profiles) = s.get("/api/profiles").await;
    let account = |provider: &str| {
        let p = profiles["data"].as_array().unwrap().iter().find(|p| p["provider"] == provider).unwrap();
        providers::Account {
            external_id: p["external_id"].as_str().unwrap_or_default().to_owned(),
            username: p["username"].as_str().map(str::to_owned),
            access_token: Some(format!("sim-token-demo-{provider}")),
        }
    };
    let read = |provider: &'static str, d: &Value| {
        let post = providers::Published::new(
            d["provider_post_id"].as_str().unwrap().to_owned(),
            d["url"].as_str().unwrap().to_owned(),
        );
        let (registry, account) = (registry.clone(), account(provider));
        async move { registry.metrics(provider.parse().unwrap(), &account, &post).await }
    };
    for (provider, d) in &published {
        let snap = read(provider, d).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert!(snap.warnings.is_empty(), "{provider}: {:?}", snap.warnings);
        for m in domain::metrics::METRICS {
            let want = fills(provider).contains(&m);
            assert_eq!(snap.figures.get(m).is_some(), want, "{provider}: {m} in {:?}", snap.figures);
        }
        // Views and impressions grow fastest; four seconds in, they count something.
        let seen = snap.figures.impressions.or(snap.figures.video_views);
        if let Some(n) = seen {
            assert!(n > 0, "{provider}: {:?}", snap.figures);
        }
    }

    // Instagram retires `views` for this account: the snapshot is partial, not failed.
    let r = s
        .http
        .put(format!("{}/_sim/metrics/demo-instagram", s.sim))
        .json(&json!({"retired": ["views"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (_, ig) = published.iter().find(|(p, _)| *p == "instagram").unwrap();
    let snap = read("instagram", ig).await.unwrap();
    assert_eq!(snap.figures.impressions, None);
    assert!(snap.figures.likes.is_some() && snap.figures.reach.is_some(), "{:?}", snap.figures);
    assert_eq!(snap.warnings, vec!["Instagram no longer reports `views` (impressions); left empty"]);
    assert_ne!(snap.figures, Figures::default());
}

/// The collector keeps every published delivery's figures on its schedule (here in
/// seconds, set by configuration), appends each snapshot, stops when the schedule ends,
/// and takes a refresh at once, at most once a minute per post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_keeps_each_published_posts_figures_on_its_schedule() {
    let schedule = vec![
        ("POSTMANTIS_SCHEDULE__OFFSETS_S", "[1, 2]".to_owned()),
        ("POSTMANTIS_SCHEDULE__EVERY_S", "2".to_owned()),
        ("POSTMANTIS_SCHEDULE__UNTIL_S", "7".to_owned()),
    ];
    let s = Stack::start_with("collector", e2e::Options { collector_env: Some(schedule), ..Default::default() }).await;
    let (x, masto) = (s.profile("x").await, s.profile("mastodon").await);
    // X stops giving impressions for this account: its snapshots are partial, not failed.
    s.http
        .put(format!("{}/_sim/metrics/demo-x", s.sim))
        .json(&json!({"retired": ["impression_count"]}))
        .send()
        .await
        .unwrap();
    let p = s.create(json!({"post": {"body": "figures over time"}, "profiles": [x, masto]})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    s.wait_post(&id, Duration::from_secs(20), |p| p["status"] == "completed").await;
    // Snapshots at 1 s, 2 s, then every 2 s up to 7 s after publishing: four each.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let m = loop {
        let (_, m) = s.get(&format!("/api/posts/{id}/metrics")).await;
        let counts: Vec<usize> = m["data"]["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["history"].as_array().unwrap().len())
            .collect();
        if counts.len() == 2 && counts.iter().all(|n| *n >= 4) {
            break m;
        }
        assert!(std::time::Instant::now() < deadline, "snapshots so far: {m}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, after) = s.get(&format!("/api/posts/{id}/metrics")).await;
    let by = |m: &Value, provider: &str| {
        m["data"]["deliveries"].as_array().unwrap().iter().find(|d| d["provider"] == provider).unwrap().clone()
    };
    for provider in ["x", "mastodon"] {
        let d = by(&after, provider);
        let history = d["history"].as_array().unwrap();
        assert_eq!(history.len(), 4, "{provider}: the schedule ended after four: {d}");
        assert_eq!(history.len(), by(&m, provider)["history"].as_array().unwrap().len());
        assert!(history.iter().all(|h| h["trigger"] == "scheduled"));
        let likes: Vec<u64> = history.iter().map(|h| h["likes"].as_u64().unwrap()).collect();
        assert!(likes.windows(2).all(|w| w[0] <= w[1]), "{provider}: figures never shrink: {likes:?}");
        assert_eq!(d["latest"], history[3]);
    }
    let xd = by(&after, "x");
    assert!(xd["latest"]["impressions"].is_null(), "a retired figure is null, never 0: {xd}");
    assert_eq!(xd["latest"]["warnings"][0], "X no longer reports `impression_count` (impressions); left empty");
    let md = by(&after, "mastodon");
    assert!(md["latest"]["impressions"].is_null() && md["latest"]["warnings"] == json!([]), "{md}");
    assert_eq!(s.sql("SELECT count(*) FROM metric_jobs WHERE due_at IS NULL"), "2", "both schedules ended");

    // A refresh reads every published delivery now; a second within the minute is refused.
    let (status, r) = s.post(&format!("/api/posts/{id}/metrics/refresh"), json!({})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{r}");
    for d in r["data"]["deliveries"].as_array().unwrap() {
        assert_eq!(d["latest"]["trigger"], "on_demand", "{d}");
        assert_eq!(d["history"].as_array().unwrap().len(), 5);
    }
    let again =
        s.http.post(format!("{}/api/posts/{id}/metrics/refresh", s.gateway)).bearer_auth(&s.key).send().await.unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(again.headers().get("retry-after").is_some());
    // A post with nothing published has no figures to read.
    let draft = s.create(json!({"post": {"body": "not yet", "draft": true}, "profiles": [x]})).await;
    let (status, _) = s.post(&format!("/api/posts/{}/metrics/refresh", draft["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, reqwest::StatusCode::CONFLICT);
}

/// Stats, figures per day and per profile, and best times, natively and in seed 002's
/// shapes, from what the collector kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_analytics_and_best_times_read_what_the_collector_kept() {
    let schedule =
        vec![("POSTMANTIS_SCHEDULE__OFFSETS_S", "[1]".to_owned()), ("POSTMANTIS_SCHEDULE__EVERY_S", "0".to_owned())];
    let s = Stack::start_with("insights", e2e::Options { collector_env: Some(schedule), ..Default::default() }).await;
    let x = s.profile("x").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            s.create(json!({"post": {"body": format!("insight {i}")}, "profiles": [x]})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    s.create(json!({"post": {"body": "a draft", "draft": true}, "profiles": [x]})).await;
    for id in &ids {
        s.wait_post(id, Duration::from_secs(20), |p| p["status"] == "completed").await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut impressions = 0;
    for id in &ids {
        loop {
            let (_, m) = s.get(&format!("/api/posts/{id}/metrics")).await;
            if let Some(n) = m["data"]["deliveries"][0]["latest"]["impressions"].as_u64() {
                impressions += n;
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no snapshot: {m}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let (_, st) = s.get("/api/stats").await;
    let st = &st["data"];
    assert_eq!(st["total"], 4, "{st}");
    assert_eq!(st["by_status"]["published"], 3);
    assert_eq!(st["by_status"]["draft"], 1);
    assert_eq!(st["by_provider"]["x"], 4);
    assert_eq!(st["last_30_days"], 4);
    assert_eq!(st["weekly"], json!([0, 0, 0, 0, 0, 0, 4]));
    assert!(st["approval_rate"].is_null(), "nothing was reviewed: {st}");

    let (_, days) = s.get("/api/analytics?provider=x").await;
    let days = days["data"].as_array().unwrap().clone();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["posts"], 3);
    assert_eq!(days[0]["with_figures"], 3);
    assert_eq!(days[0]["impressions"], impressions, "the day sums each post's newest snapshot");
    let (_, none) = s.get("/api/analytics?provider=linkedin").await;
    assert_eq!(none["data"], json!([]));
    let (_, profiles) = s.get("/api/analytics/profiles").await;
    let x = profiles["data"].as_array().unwrap().iter().find(|p| p["provider"] == "x").unwrap().clone();
    assert_eq!(x["profile_name"], "Demo X");
    assert_eq!(x["posts"], 3);
    assert_eq!(profiles["data"].as_array().unwrap().len(), 12, "every connected profile, published or not");
    let (_, best) = s.get("/api/analytics/best-times?provider=x").await;
    let best = &best["data"];
    assert_eq!(best["basis"], "priors", "three posts are too few: {best}");
    assert_eq!(best["posts_considered"], 3);
    assert!(best["note"].as_str().unwrap().starts_with("Only 3 published post(s)"), "{best}");
    assert_eq!(best["grid"].as_array().unwrap().len(), 7);
    // Bad filters are named.
    for (q, field) in [
        ("provider=myspace", "provider"),
        ("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to"),
        ("colour=red", "colour"),
    ] {
        let (status, v) = s.get(&format!("/api/analytics?{q}")).await;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{q}: {v}");
    }

    // Seed 002's shapes.
    let agency = |path: &str| {
        let r = s
            .http
            .get(format!("{}/api/v1/social{path}", s.gateway))
            .bearer_auth(&s.key)
            .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0");
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let st = agency("/stats/").await;
    assert_eq!(st["success"], true, "{st}");
    assert_eq!(st["data"]["total"], 4);
    assert_eq!(st["data"]["byPlatform"]["twitter"], 4);
    assert_eq!(st["data"]["last30DaysSeries"][6], json!({"label": "W7", "value": 4}));
    let bt = agency("/analytics/?platform=twitter&view=best-times").await;
    assert_eq!(bt["data"][0]["timezone"], "UTC", "{bt}");
    assert!(bt["data"][0]["day"].is_string() && bt["data"][0]["hour"].is_u64());
    let ai = agency("/ai/best-time?platform=twitter").await;
    assert!(ai["data"]["recommendation"].as_str().unwrap().starts_with("Not enough history yet (3)"), "{ai}");
    assert_eq!(ai["data"]["slots"][0]["label"], "Wednesday 9:00 AM");
    assert_eq!(ai["data"]["slots"][0]["dayOfWeek"], 3, "the seed counts from Sunday");
    let one = agency(&format!("/analytics/{}", ids[0])).await;
    assert_eq!(one["data"]["latest"][0]["platform"], "twitter", "{one}");
    assert!(one["data"]["latest"][0]["engagements"].is_u64());
    assert!(one["data"]["latest"][0]["videoViews"].is_null(), "the seed's camelCase names: {one}");
    // One scheduled snapshot per post (the schedule ends after its first offset).
    let all = agency("/analytics/?platform=twitter").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3, "{all}");
    let only = agency(&format!("/analytics/?postId={}", ids[2])).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1, "{only}");
    assert_eq!(only["data"][0]["postId"], ids[2].as_str());
    let r = s
        .http
        .post(format!("{}/api/v1/social/analytics/{}", s.gateway, ids[1]))
        .bearer_auth(&s.key)
        .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let refreshed: Value = r.json().await.unwrap();
    assert_eq!(refreshed["data"]["metrics"]["twitter"]["trigger"], "on_demand", "{refreshed}");
}

/// `/api/analytics/profiles` once `want` holds of it (the collector reads every second).
async fn read_profiles(s: &Stack, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = s.get("/api/analytics/profiles").await;
        let all = v["data"].as_array().unwrap().clone();
        if want(&all) {
            return all;
        }
        assert!(std::time::Instant::now() < deadline, "never read as expected: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Which platforms count an account's posts (the rest give followers only).
fn counts_posts(provider: &str) -> bool {
    matches!(provider, "x" | "youtube" | "instagram" | "tiktok" | "pinterest" | "bluesky" | "mastodon")
}

/// Every connected account's followers and posts, read on the account schedule (a second
/// here, a day by default) from each platform's own account endpoint: what a platform
/// does not count is null, never 0; a retired field leaves the reading partial with a
/// warning; the change over the window is the last reading against the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_reads_every_accounts_followers_and_posts() {
    let s = Stack::start_with(
        "accounts",
        e2e::Options {
            collector_env: Some(vec![("POSTMANTIS_ACCOUNT_EVERY_S", "1".to_owned())]),
            ..Default::default()
        },
    )
    .await;
    // provider-sim: 1 000 followers plus 7 per post, and the posts counted.
    let first = read_profiles(&s, |all| all.len() == 12 && all.iter().all(|p| p["followers"] == 1000)).await;
    for p in &first {
        let provider = p["provider"].as_str().unwrap();
        if counts_posts(provider) {
            assert_eq!(p["account_posts"], 0, "{p}");
        } else {
            assert!(p["account_posts"].is_null(), "{provider} counts no posts: null, not 0: {p}");
        }
        assert_eq!(p["account_warnings"], json!([]), "{p}");
        assert!(p["account_read_at"].is_string(), "{p}");
        assert_eq!(p["posts"], 0, "nothing published yet: {p}");
    }

    let (x, masto) = (s.profile("x").await, s.profile("mastodon").await);
    let mut ids = Vec::new();
    for (i, profile) in [&x, &x, &masto].into_iter().enumerate() {
        let p = s.create(json!({"post": {"body": format!("account figures {i}")}, "profiles": [profile]})).await;
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        s.wait_post(id, Duration::from_secs(30), |p| p["status"] == "completed").await;
    }
    let of = |all: &[Value], provider: &str| all.iter().find(|p| p["provider"] == provider).unwrap().clone();
    let all = read_profiles(&s, |all| {
        let of = |provider: &str| all.iter().find(|p| p["provider"] == provider).cloned().unwrap_or_default();
        // LinkedIn read twice too (a change needs two readings; under load its second
        // reading can come after the others').
        of("x")["followers"] == 1014
            && of("mastodon")["followers"] == 1007
            && of("linkedin")["followers_change"].is_number()
    })
    .await;
    let xf = of(&all, "x");
    assert_eq!(xf["account_posts"], 2, "{xf}");
    assert_eq!(xf["followers_change"], 14, "gained over the window: {xf}");
    assert_eq!(xf["posts"], 2, "its published posts counted too: {xf}");
    let history = xf["account_history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["followers"], 1014, "{xf}");
    assert_eq!(of(&all, "mastodon")["account_posts"], 1);
    assert_eq!(of(&all, "linkedin")["followers_change"], 0, "read twice, unchanged");

    // Mastodon retires `followers_count`: the next reading is partial, not failed.
    let r = s
        .http
        .put(format!("{}/_sim/metrics/demo-mastodon", s.sim))
        .json(&json!({"retired": ["followers_count"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let all = read_profiles(&s, |all| {
        all.iter().find(|p| p["provider"] == "mastodon").is_some_and(|p| p["followers"].is_null())
    })
    .await;
    let m = of(&all, "mastodon");
    assert_eq!(m["account_posts"], 1, "the rest of the reading is kept: {m}");
    assert_eq!(m["account_warnings"], json!(["Mastodon no longer reports `followers_count` (followers); left empty"]));
    assert!(m["followers_change"].is_null(), "no figure to compare: {m}");

    // Filters, and seed 002's account view.
    let (_, only) = s.get("/api/analytics/profiles?provider=x").await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1, "{only}");
    let v: Value = s
        .http
        .get(format!("{}/api/v1/social/analytics/?view=accounts&platform=twitter", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", "00000000-0000-4000-8000-00000000d3e0")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["success"], true, "{v}");
    let a = &v["data"][0];
    assert_eq!(a["platform"], "twitter", "{v}");
    assert_eq!(a["followers"], 1014);
    assert_eq!(a["followersChange"], 14);
    assert_eq!(a["platformPosts"], 2);
    assert_eq!(a["posts"], 2);
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
}
