//! The token lifecycle: connect with PKCE, tokens encrypted at rest, refresh on expiry and
//! ahead of it, reauth when the grant is gone, Bluesky app passwords.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{Options, Stack};
use serde_json::json;

const DEMO: &str = "00000000-0000-4000-8000-00000000d3e0";

async fn sim_post(s: &Stack, path: &str) {
    let r = s.http.post(format!("{}{path}", s.sim)).send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

async fn requests(s: &Stack, account: &str) -> Vec<String> {
    s.sim_records(&format!("requests?account={account}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_profiles_keep_their_tokens_encrypted_and_never_show_them() {
    let s = Stack::start("tokens-at-rest").await;
    let stored =
        s.sql("SELECT string_agg(coalesce(access_token, '') || ' ' || coalesce(refresh_token, ''), ' ') FROM profiles");
    assert!(!stored.contains("sim-token") && !stored.contains("sim-refresh"), "plain tokens in the database: {stored}");
    assert_eq!(s.sql("SELECT count(*) FROM profiles WHERE access_token LIKE 'v1:%' AND refresh_token LIKE 'v1:%' AND expires_at > now()"), "12");
    let (_, profiles) = s.get("/api/profiles").await;
    let text = profiles.to_string();
    assert!(!text.contains("token") && !text.contains("v1:"), "{text}");
    let x = profiles["data"].as_array().unwrap().iter().find(|p| p["provider"] == "x").unwrap().clone();
    assert_eq!(x["name"], "Demo X");
    assert_eq!(x["username"], "postmantis_demo_x");
    assert!(x["expires_at"].is_string());
    let bsky = profiles["data"].as_array().unwrap().iter().find(|p| p["provider"] == "bluesky").unwrap().clone();
    assert_eq!(
        (bsky["name"].as_str(), bsky["username"].as_str()),
        (Some("Demo Bluesky"), Some("postmantis_demo_bluesky"))
    );
    // A wrong app password is refused with the provider's reason.
    let (ok, out) = s
        .run_cli(&[
            "connect",
            "--workspace",
            DEMO,
            "--provider",
            "bluesky",
            "--identifier",
            "postmantis_demo_bluesky",
            "--app-password",
            "short",
        ])
        .await;
    assert!(!ok && out.contains("Invalid identifier or password"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_and_the_delivery_publishes() {
    let s = Stack::start("token-expired").await;
    let x = s.profile("x").await;
    let before = s.sql("SELECT access_token FROM profiles WHERE provider = 'x'");
    sim_post(&s, "/_sim/oauth/demo-x/expire").await;
    let p = s.create(Stack::json_post("after expiry", &[&x])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    assert_ne!(s.sql("SELECT access_token FROM profiles WHERE provider = 'x'"), before, "a new token was stored");
    let (_, prof) = s.get(&format!("/api/profiles/{x}")).await;
    assert_eq!(prof["data"]["status"], "active");
    assert_eq!(s.calls("demo-x").await.len(), 1, "one post, made with the refreshed token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_needs_a_reconnect_and_the_delivery_says_so() {
    let s = Stack::start("token-revoked").await;
    let li = s.profile("linkedin").await;
    sim_post(&s, "/_sim/oauth/demo-linkedin/revoke").await;
    let p = s.create(Stack::json_post("after revocation", &[&li])).await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    let d = &done["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert!(d["error_message"].as_str().unwrap().contains("reconnect the profile"), "{d}");
    let (_, prof) = s.get(&format!("/api/profiles/{li}")).await;
    assert_eq!(prof["data"]["status"], "reauth_required");
    assert!(s.calls("demo-linkedin").await.is_empty(), "nothing was published");
    // Reconnecting through the connect flow makes it active again; posts go out.
    let (ok, out) = s
        .run_cli(&["connect", "--workspace", DEMO, "--provider", "linkedin", "--login", "demo-linkedin", "--follow"])
        .await;
    assert!(ok, "{out}");
    let (_, prof) = s.get(&format!("/api/profiles/{li}")).await;
    assert_eq!(prof["data"]["status"], "active", "the same profile, reconnected");
    let again = s.create(Stack::json_post("after reconnect", &[&li])).await;
    let done = s.wait_status(again["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_refreshed_ahead_of_expiry() {
    let opts = Options {
        worker_env: vec![("POSTMANTIS_TOKEN_REFRESH_INTERVAL_MS", "300"), ("POSTMANTIS_TOKEN_REFRESH_AHEAD_S", "5")],
        ..Options::default()
    };
    let s = Stack::start_with("token-ahead", opts).await;
    // Tokens that live 3 s: connected now, they are due for refresh at once.
    let r = s.http.put(format!("{}/_sim/oauth/settings", s.sim)).json(&json!({"expires_in": 3})).send().await.unwrap();
    assert!(r.status().is_success());
    let (ok, out) = s
        .run_cli(&["connect", "--workspace", DEMO, "--provider", "mastodon", "--login", "demo-mastodon", "--follow"])
        .await;
    assert!(ok, "{out}");
    let first = s.sql("SELECT access_token FROM profiles WHERE provider = 'mastodon'");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.sql("SELECT access_token FROM profiles WHERE provider = 'mastodon'") == first {
        assert!(std::time::Instant::now() < deadline, "the token was never refreshed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(requests(&s, "").await.iter().any(|r| r.starts_with("POST /oauth/mastodon/token")));
    assert_eq!(s.sql("SELECT status FROM profiles WHERE provider = 'mastodon'"), "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorize_url_sent_to_someone_else_cannot_link_their_account_into_the_senders_workspace() {
    let s = Stack::start("oauth-binding").await;
    let (email, password) = s.login.clone();
    let attacker = e2e::dashboard::Dashboard::new(&s.gateway);
    attacker.sign_in(&email, &password).await;
    let profiles_before = s.sql("SELECT count(*) FROM profiles");
    let token = attacker.csrf().await;
    // The sender starts a connect flow in their own workspace and keeps the link.
    let started = attacker
        .post_form(
            "/dashboard/profiles/connect",
            &[("csrf_token", token.as_str()), ("provider", "x"), ("account", "victim_account")],
        )
        .await;
    assert_eq!(started.status.as_u16(), 303);
    let authorize = started.location.clone().unwrap();
    assert!(
        started
            .set_cookie
            .iter()
            .any(|c| c.starts_with("pm_connect=") && c.contains("Path=/connect/callback") && c.contains("HttpOnly")),
        "{:?}",
        started.set_cookie
    );

    // The victim opens it in their own browser, approves, and comes back to the callback.
    let victim =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let approved = victim.get(&authorize).send().await.unwrap();
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.contains("/connect/callback"), "{callback}");
    let back = victim.get(&callback).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 400);
    let body: serde_json::Value = back.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "state", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("another browser"), "{body}");
    assert_eq!(s.sql("SELECT count(*) FROM profiles"), profiles_before, "nothing was linked");
    assert_eq!(s.sql("SELECT count(*) FROM profiles WHERE username LIKE '%victim%'"), "0");

    // The same flow in the browser that started it connects.
    let token = attacker.csrf().await;
    let started = attacker
        .post_form(
            "/dashboard/profiles/connect",
            &[("csrf_token", token.as_str()), ("provider", "x"), ("account", "second_x")],
        )
        .await;
    let approved = attacker.http.get(started.location.unwrap()).send().await.unwrap();
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    let back = attacker.http.get(&callback).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303, "{:?}", back.text().await);
    assert!(back.headers()["location"].to_str().unwrap().contains("connected="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_refused_at_once_refresh_once_and_the_profile_stays_healthy() {
    let mut s = Stack::start("token-single-flight").await;
    s.start_worker().await;
    let x = s.profile("x").await;
    let token_calls = |rs: Vec<String>| rs.iter().filter(|r| r.starts_with("POST /oauth/x/token")).count();
    let before = token_calls(requests(&s, "").await);
    // Every worker's token is refused now; the refresh token rotates on use.
    sim_post(&s, "/_sim/oauth/demo-x/expire").await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(
            s.create(Stack::json_post(&format!("refused together {i}"), &[&x])).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for id in &ids {
        let done = s.wait_post(id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    }
    let (_, prof) = s.get(&format!("/api/profiles/{x}")).await;
    assert_eq!(prof["data"]["status"], "active", "a healthy profile was marked for reconnection");
    let refreshes = token_calls(requests(&s, "").await) - before;
    assert_eq!(refreshes, 1, "one refresh for all the refused calls");
}
