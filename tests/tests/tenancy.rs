//! Workspaces and the key scope model: read vs write, provider and profile scopes with
//! all-or-nothing visibility, revoked keys, other workspaces' ids; and the dashboard's
//! sessions (sign-up, sign-in, invitations, CSRF, workspace isolation).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use e2e::{Stack, dashboard::Dashboard};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn later(body: &str, profiles: &[&str]) -> Value {
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    json!({"post": {"body": body, "scheduled_at": at}, "profiles": profiles})
}

fn draft(body: &str, profiles: &[&str]) -> Value {
    json!({"post": {"body": body, "draft": true}, "profiles": profiles})
}

fn ids(v: &Value) -> Vec<String> {
    v["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_decide_what_a_key_sees_and_may_do_all_or_nothing() {
    let s = Stack::start("scopes").await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let only_x = s.create(later("x only", &[&x])).await["id"].as_str().unwrap().to_owned();
    let both = s.create(later("x and linkedin", &[&x, &li])).await["id"].as_str().unwrap().to_owned();
    let draft_x = s.create(draft("draft x", &[&x])).await["id"].as_str().unwrap().to_owned();
    let draft_both = s.create(draft("draft both", &[&x, &li])).await["id"].as_str().unwrap().to_owned();
    s.wait_status(&only_x, "scheduled").await;
    s.wait_status(&both, "scheduled").await;

    let by_profile = s.create_key(&["--profiles", &x]).await;
    let by_provider = s.create_key(&["--providers", "x"]).await;
    for key in [&by_profile, &by_provider] {
        let (_, v) = s.call_as(key, Method::GET, "/api/profiles", None).await;
        assert_eq!(ids(&v), vec![x.clone()]);
        let (status, _) = s.call_as(key, Method::GET, &format!("/api/profiles/{li}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Reads: a post with one delivery outside the scope does not exist for this key.
        let (status, _) = s.call_as(key, Method::GET, &format!("/api/posts/{only_x}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, v) = s.call_as(key, Method::GET, &format!("/api/posts/{both}"), None).await;
        assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("post_not_found")));
        let (_, v) = s.call_as(key, Method::GET, "/api/posts?per_page=100", None).await;
        let mut listed = ids(&v);
        listed.sort();
        let mut expected = vec![only_x.clone(), draft_x.clone()];
        expected.sort();
        assert_eq!(listed, expected);
        assert_eq!(v["meta"]["total"], 2);
        let (_, v) = s.call_as(key, Method::GET, &format!("/api/publish/logs?post_id={both}"), None).await;
        assert_eq!(v["data"], json!([]), "the log of an invisible post is invisible too");

        // Writes on the invisible posts are 404s and change nothing.
        let (status, _) = s.call_as(key, Method::POST, &format!("/api/posts/{both}/cancel"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s.call_as(key, Method::POST, &format!("/api/posts/{draft_both}/publish"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s.call_as(key, Method::DELETE, &format!("/api/posts/{draft_both}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, v) = s.call_as(key, Method::POST, "/api/posts", Some(later("no", &[&li]))).await;
        assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("profiles[0]")));
    }
    assert_eq!(s.post_by_id(&both).await["status"], "scheduled");
    assert_eq!(s.post_by_id(&draft_both).await["status"], "draft");

    // Inside the scope, the same calls work.
    let (status, v) = s.call_as(&by_profile, Method::POST, &format!("/api/posts/{only_x}/cancel"), None).await;
    assert_eq!((status, v["data"]["status"].as_str()), (StatusCode::OK, Some("canceled")));
    let (status, _) = s.call_as(&by_provider, Method::POST, &format!("/api/posts/{draft_x}/publish"), None).await;
    assert_eq!(status, StatusCode::OK);

    // A read key reads everything in its workspace and writes nothing.
    let read = s.create_key(&["--permission", "read"]).await;
    let (_, v) = s.call_as(&read, Method::GET, &format!("/api/posts/{both}"), None).await;
    assert_eq!(v["data"]["id"], both.as_str());
    for (method, path) in [
        (Method::POST, format!("/api/posts/{both}/cancel")),
        (Method::POST, format!("/api/posts/{draft_both}/publish")),
        (Method::DELETE, format!("/api/posts/{draft_both}")),
        (Method::PATCH, format!("/api/posts/{draft_both}")),
        (Method::POST, format!("/api/profiles/{li}/disconnect")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"post": {"body": "x"}}));
        let (status, v) = s.call_as(&read, method.clone(), &path, body).await;
        assert_eq!((status, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{method} {path}");
    }
    assert_eq!(s.post_by_id(&draft_both).await["status"], "draft");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_keys_are_shown_once_and_revoked_keys_and_other_workspaces_ids_fail() {
    let s = Stack::start("revoke").await;
    let x = s.profile("x").await;
    let d = Dashboard::new(&s.gateway);
    d.sign_in(&s.login.0, &s.login.1).await;
    let csrf = d.csrf().await;

    let page = d
        .post_form(
            "/dashboard/keys",
            &[("csrf_token", &csrf), ("name", "agent"), ("permission", "write"), ("profile_ids", &x)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let marker = "data-test=\"new-key\">";
    let start = page.body.find(marker).expect("the new key is shown") + marker.len();
    let key = page.body[start..].split('<').next().unwrap().to_owned();
    assert!(key.starts_with("pm_") && key.len() == 67, "{key}");
    assert_eq!(s.sql(&format!("SELECT count(*) FROM api_keys WHERE key_hash LIKE '%{key}%'")), "0", "stored hashed");
    let again = d.get("/dashboard/keys").await.body;
    assert!(!again.contains(&key), "shown only once");
    let (status, v) = s.call_as(&key, Method::GET, "/api/profiles", None).await;
    assert_eq!((status, ids(&v)), (StatusCode::OK, vec![x.clone()]));

    // A profile of another workspace cannot be put in a key's scope.
    let other = s.other_workspace().await;
    let p = s.create(later("demo post", &[&x])).await["id"].as_str().unwrap().to_owned();
    let stranger = s.sql("SELECT gen_random_uuid()");
    let refused = d
        .post_form(
            "/dashboard/keys",
            &[("csrf_token", &csrf), ("name", "bad"), ("permission", "write"), ("profile_ids", &stranger)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(d.get("/dashboard/keys").await.body.contains("profile_ids[0]: no such profile in this workspace"));

    // Revoked from the dashboard: refused at once.
    let revoke_marker = "action=\"/dashboard/keys/";
    let keys_page = d.get("/dashboard/keys").await.body;
    let start = keys_page.find(revoke_marker).unwrap() + revoke_marker.len();
    let key_id = keys_page[start..start + 36].to_owned();
    let a = d.post_form(&format!("/dashboard/keys/{key_id}/revoke"), &[("csrf_token", &csrf)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let (status, v) = s.call_as(&key, Method::GET, "/api/profiles", None).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    assert!(d.get("/dashboard/keys").await.body.contains("badge revoked"));

    // Another workspace's key: every id of this one is unknown.
    for (method, path) in [
        (Method::GET, format!("/api/posts/{p}")),
        (Method::POST, format!("/api/posts/{p}/cancel")),
        (Method::DELETE, format!("/api/posts/{p}")),
        (Method::GET, format!("/api/profiles/{x}")),
        (Method::POST, format!("/api/profiles/{x}/disconnect")),
    ] {
        let (status, _) = s.call_as(&other, method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (status, v) = s.call_as(&other, Method::POST, "/api/posts", Some(later("no", &[&x]))).await;
    assert_eq!((status, v["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("profiles[0]")));
    let (_, v) = s.call_as(&other, Method::GET, "/api/posts", None).await;
    assert_eq!(v["meta"]["total"], 0);
    assert_eq!(s.post_by_id(&p).await["status"], "scheduled");

    // In the dashboard, a second workspace sees none of the first one's things.
    let a = d.post_form("/dashboard/workspaces", &[("csrf_token", &csrf), ("name", "Client B")]).await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/profiles"));
    assert!(d.get("/dashboard/profiles").await.body.contains("No profiles yet"));
    assert_eq!(d.get(&format!("/dashboard/posts/{p}")).await.status, StatusCode::NOT_FOUND);
    assert!(!d.get("/dashboard/posts").await.body.contains(&p));
    assert!(!d.get("/dashboard/keys").await.body.contains("agent"));
    let demo = s.sql("SELECT id FROM workspaces WHERE name = 'Demo workspace'");
    d.post_form("/dashboard/workspace", &[("csrf_token", &csrf), ("workspace_id", &demo)]).await;
    assert_eq!(d.get(&format!("/dashboard/posts/{p}")).await.status, StatusCode::OK);
    // Not a member: refused.
    let foreign = s.sql("SELECT id FROM workspaces WHERE name = 'Other'");
    d.post_form("/dashboard/workspace", &[("csrf_token", &csrf), ("workspace_id", &foreign)]).await;
    assert!(d.get("/dashboard/posts").await.body.contains("Demo workspace"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_sign_in_invitations_csrf_and_the_first_sign_up() {
    let s = Stack::start("sessions").await;
    let d = Dashboard::new(&s.gateway);
    let a = d.get("/dashboard/posts").await;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/dashboard/login?next=%2Fdashboard%2Fposts"))
    );
    // Someone exists, so there is no open sign-up.
    assert_eq!(d.get("/dashboard/signup").await.location.as_deref(), Some("/dashboard/login"));
    // A sign-in form from elsewhere (no token, or no matching cookie) is refused.
    let a = d.post_form("/dashboard/login", &[("email", &s.login.0), ("password", &s.login.1)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = d
        .post_form(
            "/dashboard/login",
            &[("csrf_token", &"0".repeat(64)), ("email", &s.login.0), ("password", &s.login.1)],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = d.public_form("/dashboard/login", &[("email", &s.login.0), ("password", "wrong password")]).await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/login"));
    assert!(d.get("/dashboard/login").await.body.contains("Wrong e-mail address or password."));
    assert_eq!(d.get("/dashboard/posts").await.status, StatusCode::SEE_OTHER, "no session from a wrong password");

    // E-mail addresses match whatever their case; the session cookie is out of scripts' reach.
    let a = d.public_form("/dashboard/login", &[("email", &s.login.0.to_uppercase()), ("password", &s.login.1)]).await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/posts"));
    let session = a.set_cookie.iter().find(|c| c.starts_with("pm_session=")).expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    assert_eq!(d.get("/dashboard/posts").await.status, StatusCode::OK);
    let csrf = d.csrf().await;

    // Forms without the session's token change nothing.
    let keys_before = s.sql("SELECT count(*) FROM api_keys");
    for token in ["", "0000"] {
        let a = d.post_form("/dashboard/keys", &[("csrf_token", token), ("name", "n"), ("permission", "write")]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(s.sql("SELECT count(*) FROM api_keys"), keys_before);

    // An invitation link, used once.
    let a =
        d.post_form("/dashboard/team/invitations", &[("csrf_token", &csrf), ("email", "new.person@example.com")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let team = d.get("/dashboard/team").await.body;
    let at = team.find("/dashboard/invitations/").expect("the link is shown");
    let token = team[at + "/dashboard/invitations/".len()..][..64].to_owned();
    assert!(!d.get("/dashboard/team").await.body.contains(&token), "the link is shown once");
    let newcomer = Dashboard::new(&s.gateway);
    let page = newcomer.get(&format!("/dashboard/invitations/{token}")).await;
    assert!(page.body.contains("Join Demo workspace"), "{}", page.body);
    newcomer.public_form(&format!("/dashboard/invitations/{token}"), &[("password", "short")]).await;
    assert!(
        newcomer.get(&format!("/dashboard/invitations/{token}")).await.body.contains("password: must have at least 10")
    );
    let a =
        newcomer.public_form(&format!("/dashboard/invitations/{token}"), &[("password", "a good long password")]).await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/posts"));
    assert!(newcomer.get("/dashboard/posts").await.body.contains("Demo workspace"));
    assert_eq!(s.sql("SELECT count(*) FROM memberships"), "2");
    let third = Dashboard::new(&s.gateway);
    third.public_form(&format!("/dashboard/invitations/{token}"), &[("password", "another long password")]).await;
    assert_eq!(s.sql("SELECT count(*) FROM users"), "2", "an invitation is used once");
    // Passwords are argon2 hashes.
    assert!(s.sql("SELECT password_hash FROM users WHERE email = 'new.person@example.com'").starts_with("$argon2id$"));

    // Sign out needs the token too, and ends the session.
    assert_eq!(d.post_form("/dashboard/logout", &[("csrf_token", "")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(d.post_form("/dashboard/logout", &[("csrf_token", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(d.get("/dashboard/posts").await.status, StatusCode::SEE_OTHER);
    assert_eq!(s.sql("SELECT count(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE lower(email) = 'demo@postmantis.local')"), "0");

    // Password guessing: ten tries per address, then a wait, even with the right password.
    let guesser = Dashboard::new(&s.gateway);
    for _ in 0..10 {
        guesser
            .public_form("/dashboard/login", &[("email", "new.person@example.com"), ("password", "guess guess")])
            .await;
    }
    let a = guesser
        .public_form("/dashboard/login", &[("email", "NEW.person@example.com"), ("password", "a good long password")])
        .await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/login"));
    assert!(guesser.get("/dashboard/login").await.body.contains("Too many sign-in attempts for this address"));

    // With nobody left, the first person signs up and owns a new, empty workspace.
    s.sql("DELETE FROM users");
    let first = Dashboard::new(&s.gateway);
    assert_eq!(first.get("/dashboard/signup").await.status, StatusCode::OK);
    first.public_form("/dashboard/signup", &[("workspace", "Acme"), ("email", "nope"), ("password", "x")]).await;
    assert_eq!(s.sql("SELECT count(*) FROM users"), "0", "invalid sign-up writes nothing");
    let a = first
        .public_form(
            "/dashboard/signup",
            &[("workspace", "Acme"), ("email", "owner@acme.example"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/profiles"));
    let profiles = first.get("/dashboard/profiles").await.body;
    assert!(profiles.contains("Acme") && profiles.contains("No profiles yet"));
    let late = Dashboard::new(&s.gateway);
    let a = late
        .public_form(
            "/dashboard/signup",
            &[("workspace", "Evil"), ("email", "late@example.com"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/dashboard/login"));
    assert_eq!(s.sql("SELECT count(*) FROM users"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_runs_a_failed_delivery_again_and_logs_it() {
    let s = Stack::start("manual-retry").await;
    let x = s.profile("x").await;
    s.fault("demo-x", json!({"mode": "reject", "message": "duplicate content"})).await;
    let p = s.create(json!({"post": {"body": "try again"}, "profiles": [&x]})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let done = s.wait_status(&id, "completed").await;
    let delivery = done["deliveries"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(done["deliveries"][0]["status"], "failed");
    s.clear_fault("demo-x").await;

    let d = Dashboard::new(&s.gateway);
    d.sign_in(&s.login.0, &s.login.1).await;
    let csrf = d.csrf().await;
    let retry = format!("/dashboard/posts/{id}/deliveries/{delivery}/retry");
    assert_eq!(d.post_form(&retry, &[("csrf_token", "")]).await.status, StatusCode::FORBIDDEN);
    let a = d.post_form(&retry, &[("csrf_token", &csrf)]).await;
    assert_eq!(a.location.as_deref(), Some(format!("/dashboard/posts/{id}").as_str()));
    let after = s
        .wait_post(&id, std::time::Duration::from_secs(15), |p| {
            p["status"] == "completed" && p["deliveries"][0]["status"] == "published"
        })
        .await;
    assert!(after["deliveries"][0]["url"].as_str().is_some());
    assert_eq!(s.sql(&format!("SELECT string_agg(attempt || ':' || outcome, ',' ORDER BY attempt) FROM delivery_attempts WHERE delivery_id = '{delivery}'")), "1:rejected,2:published");
    let publishes: Vec<Value> = s.sim_records("publishes?account=demo-x").await;
    assert_eq!(publishes.iter().filter(|p| p["text"] == "try again").count(), 1, "one public post");
    let outcomes: Vec<String> =
        s.calls_for_delivery(&delivery).await.iter().map(|c| c["outcome"].as_str().unwrap().to_owned()).collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let (_, log) = s.get(&format!("/api/publish/logs?post_id={id}&kind=delivery.manual_retry")).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");

    // Only failed deliveries can be retried: a second click changes nothing.
    d.post_form(&retry, &[("csrf_token", &csrf)]).await;
    let page = d.get(&format!("/dashboard/posts/{id}")).await.body;
    assert!(page.contains("Only failed deliveries can be retried; this one is published."), "{page}");
    assert_eq!(s.sql(&format!("SELECT count(*) FROM delivery_attempts WHERE delivery_id = '{delivery}'")), "2");
}

/// A gateway keeps a key it has read (`key_cache_ms`); a change to the key made by anyone
/// (here an operator's SQL, as another replica's or the dashboard's would be) reaches it
/// when the change commits. The time to live is ten minutes here, so only the pushed
/// change can explain the refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_key_changed_elsewhere_is_refused_without_waiting_out_its_time_to_live() {
    let opts = e2e::Options { gateway_env: vec![("POSTMANTIS_KEY_CACHE_MS", "600000".into())], ..Default::default() };
    let s = Stack::start_with("key-changes", opts).await;
    let x = s.profile("x").await;
    let key = s.create_key(&[]).await;
    let this_key = "id = (SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1)";
    let post = || Stack::json_post("kept key", &[&x]);
    let (status, _) = s.call_as(&key, Method::POST, "/api/posts", Some(post())).await;
    assert_eq!(status, StatusCode::CREATED);

    // A write that raced the change (read the key before it committed) may still land;
    // none after the refusal.
    s.sql(&format!("UPDATE api_keys SET permission = 'read' WHERE {this_key}"));
    let (mut refused, mut made) = (StatusCode::CREATED, 1);
    for _ in 0..50 {
        refused = s.call_as(&key, Method::POST, "/api/posts", Some(post())).await.0;
        if refused != StatusCode::CREATED {
            break;
        }
        made += 1;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refused, StatusCode::FORBIDDEN, "made read-only: no more writes");
    let (status, _) = s.call_as(&key, Method::GET, "/api/profiles", None).await;
    assert_eq!(status, StatusCode::OK, "still a read key");

    s.sql(&format!("UPDATE api_keys SET revoked_at = now() WHERE {this_key}"));
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        status = s.call_as(&key, Method::GET, "/api/profiles", None).await.0;
        if status != StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked: refused");
    // Every post there is was answered 201: none was made by a refused request.
    assert_eq!(s.sql("SELECT count(*) FROM posts WHERE body = 'kept key'"), made.to_string());
    let refused_writes = s.call_as(&key, Method::POST, "/api/posts", Some(post())).await.0;
    assert_eq!(refused_writes, StatusCode::UNAUTHORIZED);
}

/// The acceptance check keeps a profile it has read (`profile_cache_ms`, ten minutes here);
/// a change to the profile made by anyone reaches the gateway when it commits, a change
/// made through the gateway at once, and what a key may see is checked on kept rows too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_profile_changed_elsewhere_is_seen_without_waiting_out_its_time_to_live() {
    let opts =
        e2e::Options { gateway_env: vec![("POSTMANTIS_PROFILE_CACHE_MS", "600000".into())], ..Default::default() };
    let s = Stack::start_with("profile-changes", opts).await;
    let (x, linkedin) = (s.profile("x").await, s.profile("linkedin").await);
    let post = |to: &str| Stack::json_post("kept profile", &[to]);
    let disconnected = |v: &Value| v["errors"][0]["field"] == "profiles[0]" && v.to_string().contains("disconnected");
    // Sets the profile's status with the notification switched off: no gateway hears of it.
    let unheard = |status: &str| {
        s.sql(&format!(
            "ALTER TABLE profiles DISABLE TRIGGER profiles_changed_on_update; \
             UPDATE profiles SET status = '{status}' WHERE id = '{x}'; \
             ALTER TABLE profiles ENABLE TRIGGER profiles_changed_on_update"
        ))
    };
    let (status, v) = s.call(Method::POST, "/api/posts", Some(post(&x))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // Kept: with the notification switched off, a change is not seen. (Only this shows the
    // second post was checked without reading the profile.)
    unheard("disconnected");
    let (status, v) = s.call(Method::POST, "/api/posts", Some(post(&x))).await;
    assert_eq!(status, StatusCode::CREATED, "the kept row was used: {v}");

    // Any real change to the row notifies: the next posts are refused.
    s.sql(&format!("UPDATE profiles SET updated_at = now() WHERE id = '{x}'"));
    let mut last = (StatusCode::CREATED, Value::Null);
    for _ in 0..50 {
        last = s.call(Method::POST, "/api/posts", Some(post(&x))).await;
        if last.0 != StatusCode::CREATED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last.0, StatusCode::BAD_REQUEST, "{}", last.1);
    assert!(disconnected(&last.1), "{}", last.1);

    // A kept disconnected profile is read again: reconnected, it is accepted at once.
    unheard("active");
    let (status, v) = s.call(Method::POST, "/api/posts", Some(post(&x))).await;
    assert_eq!(status, StatusCode::CREATED, "reconnected: {v}");

    // A key that may not see the kept profile is told there is no such profile.
    let linkedin_only = s.create_key(&["--providers", "linkedin"]).await;
    let (status, v) = s.call_as(&linkedin_only, Method::POST, "/api/posts", Some(post(&x))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("no such profile for this API key"), "{v}");
    let (status, v) = s.call_as(&linkedin_only, Method::POST, "/api/posts", Some(post(&linkedin))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // Disconnected through this gateway: the very next post is refused.
    let (status, v) = s.call(Method::POST, &format!("/api/profiles/{x}/disconnect"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    let (status, v) = s.call(Method::POST, "/api/posts", Some(post(&x))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(disconnected(&v), "{v}");
}
