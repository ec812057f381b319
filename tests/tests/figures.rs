//! Each platform's figures as the adapters read them from provider-sim's metric
//! endpoints (the platforms' own shapes), mapped to the one catalogue: what a platform does
//! not give is empty, never 0; a metric the platform retired leaves a partial snapshot
//! with a warning, never a failed one. The collector that keeps them is not built yet.

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
