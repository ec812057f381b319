//! What makes review trustworthy: an approval bound to a version (an edit resets it, a
//! step on an older version is refused, the diff and anchored comments follow the edit),
//! a review link used by a client without an account, key policies refused where they
//! must be (REST, the agency API, MCP), and a client member who only reviews.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Options, Stack, dashboard::Dashboard};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ORG: &str = "00000000-0000-4000-8000-00000000d3e0";

fn no_model() -> Options {
    Options { common_env: vec![("POSTMANTIS_ASSISTANT__BASE_URL", String::new())], ..Options::default() }
}

fn soon(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

async fn step(s: &Stack, key: &str, id: &str, body: Value) -> (StatusCode, Value) {
    s.call_as(key, Method::POST, &format!("/api/posts/{id}/review"), Some(body)).await
}

async fn settings(s: &Stack, body: Value) {
    let (status, v) = s.call(Method::PATCH, "/api/workspace", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_resets_approval_and_the_diff_and_anchors_follow_it() {
    let s = Stack::start_with("review-versions", no_model()).await;
    settings(&s, json!({"requires_qa_approval": true, "requires_client_approval": true})).await;
    let x = s.profile("x").await;
    let p = s.create(json!({"post": {"body": "Launch on Friday at noon", "draft": true}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["version"], 1);

    // Comments anchored on the text: one on words an edit will remove, one it keeps.
    let (status, friday) = s
        .post(
            &format!("/api/posts/{id}/comments"),
            json!({"text": "Which Friday?", "anchor": {"type": "text", "text": "Friday"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{friday}");
    assert_eq!(friday["data"]["anchor"]["offset"], 10);
    assert_eq!(friday["data"]["version"], 1);
    let (_, noon) = s
        .post(
            &format!("/api/posts/{id}/comments"),
            json!({"text": "Noon where?", "anchor": {"type": "text", "text": "noon", "offset": 20}}),
        )
        .await;
    // A bad anchor is a 400 naming the field, and writes nothing.
    let (status, v) = s
        .post(&format!("/api/posts/{id}/comments"), json!({"text": "x", "anchor": {"type": "text", "text": ""}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("anchor.text"), "{v}");
    let (status, v) = s
        .post(&format!("/api/posts/{id}/comments"), json!({"text": "x", "anchor": {"type": "media", "asset_id": x}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(s.sql(&format!("SELECT count(*) FROM post_comments WHERE post_id = '{id}'")), "2");

    let (_, v) = step(&s, &s.key, &id, json!({"action": "submit"})).await;
    assert_eq!(v["data"]["review"], "qa_review");
    assert_eq!(v["data"]["review_version"], 1);
    let (status, v) = step(&s, &s.key, &id, json!({"action": "qa_approve", "version": 1})).await;
    assert_eq!((status, v["data"]["review"].as_str()), (StatusCode::OK, Some("client_review")), "{v}");

    // The edit: version 2, and the round starts again at QA.
    let (status, v) = s
        .call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"body": "Launch on Monday at noon"}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let post = s.post_by_id(&id).await;
    assert_eq!((post["version"].as_i64(), post["review"].as_str()), (Some(2), Some("qa_review")), "{post}");
    assert_eq!(post["review_version"], 2);
    // A reviewer who read version 1 is refused; one who read version 2 goes on.
    let (status, v) = step(&s, &s.key, &id, json!({"action": "qa_approve", "version": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("version 1"), "{v}");
    let (status, _) = step(&s, &s.key, &id, json!({"action": "qa_approve", "version": 2})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = step(&s, &s.key, &id, json!({"action": "client_approve", "version": 2})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let post = s.post_by_id(&id).await;
    assert_eq!((post["review"].as_str(), post["approved_version"].as_i64()), (Some("approved"), Some(2)), "{post}");
    assert!(post["approved_by"].as_str().unwrap().starts_with("key "));

    // Anchors: "Friday" is gone (stale), "noon" was re-found.
    let (_, c) = s.get(&format!("/api/posts/{id}/comments")).await;
    let by_id = |cid: &Value| c["data"].as_array().unwrap().iter().find(|x| x["id"] == *cid).unwrap().clone();
    assert_eq!(by_id(&friday["data"]["id"])["stale"], true);
    let n = by_id(&noon["data"]["id"]);
    assert_eq!((n["stale"].as_bool(), n["anchor"]["offset"].as_i64()), (Some(false), Some(20)), "{n}");

    // The versions and what changed.
    let (_, versions) = s.get(&format!("/api/posts/{id}/versions")).await;
    let all = versions["data"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["content"]["body"], "Launch on Friday at noon");
    let body_change = all[1]["changes"].as_array().unwrap().iter().find(|c| c["field"] == "body").unwrap().clone();
    assert!(
        body_change["runs"].as_array().unwrap().contains(&json!({"op": "delete", "text": "Friday"})),
        "{body_change}"
    );
    assert!(body_change["runs"].as_array().unwrap().contains(&json!({"op": "insert", "text": "Monday"})));

    // An approved post edited loses its approval, visibly.
    s.call(Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"post": {"hashtags": ["#launch"]}}))).await;
    let post = s.post_by_id(&id).await;
    assert_eq!(post["review"], "qa_review", "{post}");
    assert!(post["approved_at"].is_null() && post["approved_version"].is_null(), "{post}");
    let log = s.sql(&format!(
        "SELECT string_agg(message, ' | ' ORDER BY id) FROM publish_log WHERE post_id = '{id}' AND kind = 'post.review'"
    ));
    assert!(
        log.contains("edited into version 3: approved → qa_review; the approval of version 2 is withdrawn"),
        "{log}"
    );

    // Comments: picked up (no body), deleted; each on the log.
    let cid = friday["data"]["id"].as_str().unwrap();
    let (status, v) = s.call(Method::PATCH, &format!("/api/posts/{id}/comments/{cid}"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["data"]["picked_up_at"].is_string());
    let (status, _) = s.call(Method::DELETE, &format!("/api/posts/{id}/comments/{cid}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.call(Method::DELETE, &format!("/api/posts/{id}/comments/{cid}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let kinds = s.sql(&format!(
        "SELECT string_agg(DISTINCT kind, ',') FROM publish_log WHERE post_id = '{id}' AND kind LIKE 'comment.%'"
    ));
    assert_eq!(kinds, "comment.created,comment.deleted,comment.picked_up");
    // And on the agency surface, in the seed's shape.
    let r = s
        .http
        .get(format!("{}/api/v1/social/posts/{id}/comments", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", ORG)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"][0]["anchor"]["text"], "noon", "{v}");
    assert_eq!(v["data"][0]["agentPickedUp"], false);

    // A draft in review is not published around it.
    let (status, v) = s.post(&format!("/api/posts/{id}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reviews_through_a_link_without_an_account() {
    let s = Stack::start_with("review-links", no_model()).await;
    settings(&s, json!({"requires_client_approval": true})).await;
    let mut ids = Vec::new();
    for (i, body) in ["Spring sale starts Monday", "Spring sale, last day"].iter().enumerate() {
        // Dated drafts of a campaign, made as an agent does.
        let r = s
            .http
            .post(format!("{}/api/v1/social/posts", s.gateway))
            .bearer_auth(&s.key)
            .header("X-Org-Id", ORG)
            .json(&json!({"orgId": ORG, "content": body, "platforms": ["twitter"], "status": "draft", "scheduledFor": soon(3600 + i as i64), "campaignId": "spring"}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        let id = v["data"]["id"].as_str().unwrap().to_owned();
        let (_, v) = step(&s, &s.key, &id, json!({"action": "submit"})).await;
        assert_eq!(v["data"]["review"], "client_review", "{v}");
        ids.push(id);
    }
    // A link for one post, and one for the campaign.
    let (status, one) = s.post("/api/review-links", json!({"post_id": ids[0], "label": "Acme (Jo)"})).await;
    assert_eq!(status, StatusCode::CREATED, "{one}");
    let one_url = one["data"]["url"].as_str().unwrap().to_owned();
    assert!(one_url.contains("/review/rl_"), "{one_url}");
    let token = one_url.rsplit('/').next().unwrap().to_owned();
    assert!(!s.sql("SELECT token_hash FROM review_links").contains(&token), "only the hash is stored");
    let (_, listed) = s.get("/api/review-links").await;
    assert!(!listed.to_string().contains(&token), "the secret is shown once");
    let (status, v) = s.post("/api/review-links", json!({"campaign": "autumn", "label": "Acme"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (_, all) = s.post("/api/review-links", json!({"campaign": "spring", "label": "Acme board"})).await;
    let all_url = all["data"]["url"].as_str().unwrap().to_owned();

    // No account, no cookie: the page shows the post as X will show it.
    let client = Dashboard::new(&s.gateway);
    let page = client.http.get(&one_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Spring sale starts Monday") && html.contains("data-provider=\"x\""), "{html}");
    assert!(!html.contains("Spring sale, last day"), "a post's link shows that post only");
    let path = |url: &str, id: &str| format!("{}/posts/{id}", url.trim_start_matches(&s.gateway));

    // Acting on a post the link does not open: refused, nothing changes.
    let a = client.post_form(&path(&one_url, &ids[1]), &[("verdict", "approve")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(s.post_by_id(&ids[1]).await["review"], "client_review");
    // Comment and approve through the link.
    let a = client
        .post_form(&path(&one_url, &ids[0]), &[("verdict", "comment"), ("text", "Love it"), ("quote", "Monday")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = client.post_form(&path(&one_url, &ids[0]), &[("verdict", "approve"), ("version", "1")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let post = s.post_by_id(&ids[0]).await;
    assert_eq!(post["review"], "approved", "{post}");
    assert_ne!(post["status"], "draft", "dated and approved: it entered the publishing workflow");
    assert!(post["approved_by"].as_str().unwrap().contains("(Acme (Jo))"), "{post}");
    let (_, c) = s.get(&format!("/api/posts/{}/comments", ids[0])).await;
    assert_eq!(c["data"][0]["anchor"]["text"], "Monday");
    assert!(c["data"][0]["author"].as_str().unwrap().starts_with("review link"));
    let log = s.sql(&format!(
        "SELECT string_agg(message, ' | ') FROM publish_log WHERE post_id = '{}' AND kind = 'post.review'",
        ids[0]
    ));
    assert!(
        log.contains("client_approve (version 1): client_review → approved by review link")
            && log.contains("Acme (Jo)"),
        "{log}"
    );

    // The campaign's link: a rejection with its reason.
    let a = client
        .post_form(&path(&all_url, &ids[1]), &[("verdict", "reject"), ("text", "Say which day"), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let post = s.post_by_id(&ids[1]).await;
    assert_eq!(
        (post["review"].as_str(), post["rejection_count"].as_i64()),
        (Some("changes_requested"), Some(1)),
        "{post}"
    );
    let (_, c) = s.get(&format!("/api/posts/{}/comments", ids[1])).await;
    assert_eq!(
        (c["data"][0]["kind"].as_str(), c["data"][0]["text"].as_str()),
        (Some("client_rejection"), Some("Say which day"))
    );

    // Revoked, and expired: the link opens nothing.
    let link_id = one["data"]["id"].as_str().unwrap();
    let (status, _) = s.call(Method::DELETE, &format!("/api/review-links/{link_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(client.http.get(&one_url).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let a = client.post_form(&path(&one_url, &ids[0]), &[("verdict", "comment"), ("text", "late")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    s.sql("UPDATE review_links SET expires_at = now() - interval '1 minute'");
    assert_eq!(client.http.get(&all_url).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client.http.get(format!("{}/review/rl_{}", s.gateway, "0".repeat(64))).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_key_policy_is_refused_where_it_must_be() {
    let s = Stack::start_with("review-policies", no_model()).await;
    let x = s.profile("x").await;
    let drafter = s.create_key(&["--policy", "draft_only", "--name", "drafter"]).await;
    let held = s.create_key(&["--policy", "approval_required", "--name", "held"]).await;
    let (ok, out) = s.run_cli(&["create-key", "--workspace", ORG, "--policy", "sometimes"]).await;
    assert!(!ok && out.contains("policy"), "{out}");

    // draft_only: creates and submits; never publishes, approves or turns review off.
    let (status, v) =
        s.call_as(&drafter, Method::POST, "/api/posts", Some(json!({"post": {"body": "now"}, "profiles": [x]}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("draft_only"));
    let (status, v) = s
        .call_as(
            &drafter,
            Method::POST,
            "/api/posts",
            Some(json!({"post": {"body": "a draft", "draft": true}, "profiles": [x]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let draft = v["data"]["id"].as_str().unwrap().to_owned();
    let (status, _) = s.call_as(&drafter, Method::POST, &format!("/api/posts/{draft}/publish"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        s.call_as(&drafter, Method::PATCH, "/api/workspace", Some(json!({"requires_qa_approval": false}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The workspace requires no stage, yet what this key makes passes one: submitting it
    // never amounts to publishing it.
    assert_eq!(v["data"]["requires_approval"], true);
    let (status, v) = step(&s, &drafter, &draft, json!({"action": "submit"})).await;
    assert_eq!((status, v["data"]["review"].as_str()), (StatusCode::OK, Some("qa_review")), "{v}");
    let (status, v) = step(&s, &drafter, &draft, json!({"action": "qa_approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    // Someone else's draft that no stage applies to: submitting it would publish it.
    let other = s.create(json!({"post": {"body": "the owner's draft", "draft": true}, "profiles": [x]})).await;
    let (status, v) = step(&s, &drafter, other["id"].as_str().unwrap(), json!({"action": "submit"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    // The agency surface refuses the same, in its envelope.
    let r = s
        .http
        .post(format!("{}/api/v1/social/posts", s.gateway))
        .bearer_auth(&drafter)
        .header("X-Org-Id", ORG)
        .json(&json!({"orgId": ORG, "content": "agency soon", "platforms": ["twitter"], "scheduledFor": soon(3600)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], false);
    assert!(v["error"].as_str().unwrap().contains("draft_only"), "{v}");
    // And MCP.
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "postmantis.create_post", "arguments": {"post": {"body": "mcp now"}, "profiles": [x]}}});
    let v: Value = s
        .http
        .post(format!("{}/mcp", s.gateway))
        .bearer_auth(&drafter)
        .json(&call)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["isError"], true, "{v}");
    assert_eq!(v["result"]["structuredContent"]["code"], "forbidden", "{v}");

    // approval_required: what it publishes is held for review; it never approves its own.
    let (status, v) = s
        .call_as(
            &held,
            Method::POST,
            "/api/posts",
            Some(json!({"post": {"body": "held post", "scheduled_at": soon(3600)}, "profiles": [x]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!((v["data"]["status"].as_str(), v["data"]["review"].as_str()), (Some("draft"), Some("qa_review")), "{v}");
    assert_eq!(v["data"]["requires_approval"], true);
    let (status, v) = s
        .call_as(
            &held,
            Method::POST,
            "/api/posts",
            Some(json!({"post": {"body": "x", "requires_approval": false}, "profiles": [x]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("post.requires_approval"));
    let (_, q) = s
        .post(
            &format!("/api/profiles/{x}/queues"),
            json!({"name": "q", "timezone": "UTC", "slots": [{"day_of_week": 1, "time": "09:00"}]}),
        )
        .await;
    let (status, v) = s
        .call_as(
            &held,
            Method::POST,
            "/api/posts",
            Some(json!({"post": {"body": "queued", "queue": q["data"]["id"]}, "profiles": [x]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("post.queue"), "{v}");
    let (status, _) = s.call_as(&held, Method::POST, &format!("/api/posts/{id}/publish"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = step(&s, &held, &id, json!({"action": "qa_approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("never approves a post it made"));
    // The demo key (publish policy) would publish it around review: refused too.
    let (status, _) = s.post(&format!("/api/posts/{id}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Another reviewer approves: it enters the publishing workflow at its date.
    let (status, v) = step(&s, &s.key, &id, json!({"action": "qa_approve"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(s.post_by_id(&id).await["review"], "approved");
    s.wait_post(&id, std::time::Duration::from_secs(20), |p| p["status"] == "scheduled").await;

    // The client portal: an approved post rescheduled, then published now; a draft_only
    // key does neither.
    let portal = |key: &str, action: &str, body: Value| {
        s.http
            .post(format!("{}/api/v1/portal/social/posts/{id}/{action}", s.gateway))
            .bearer_auth(key.to_owned())
            .header("X-Org-Id", ORG)
            .json(&body)
            .send()
    };
    let later = (chrono::Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    let r = portal(&held, "reschedule", json!({"scheduledAt": later})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["status"], "scheduled", "{v}");
    let at = chrono::DateTime::parse_from_rfc3339(s.post_by_id(&id).await["scheduled_at"].as_str().unwrap()).unwrap();
    assert!((at - chrono::DateTime::parse_from_rfc3339(&later).unwrap()).num_seconds().abs() < 1);
    let r = portal(&drafter, "publish-now", json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = portal(&held, "reschedule", json!({"scheduledAt": "tomorrow"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = portal(&held, "publish-now", json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    s.wait_post(&id, std::time::Duration::from_secs(30), |p| p["outcome"] == "published").await;
    assert_eq!(s.calls("demo-x").await.len(), 1, "published once");
    // A post that was never approved is not released this way.
    let plain = s.create(json!({"post": {"body": "never reviewed", "draft": true}, "profiles": [x]})).await;
    let r = s
        .http
        .post(format!("{}/api/v1/portal/social/posts/{}/publish-now", s.gateway, plain["id"].as_str().unwrap()))
        .bearer_auth(&s.key)
        .header("X-Org-Id", ORG)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The keys page shows each key's policy.
    let d = Dashboard::new(&s.gateway);
    d.sign_in(&s.login.0, &s.login.1).await;
    let keys = d.get("/dashboard/keys").await.body;
    assert!(keys.contains("draft only") && keys.contains("approval required"), "{keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_member_only_reviews() {
    let s = Stack::start_with("review-roles", no_model()).await;
    settings(&s, json!({"requires_qa_approval": true, "requires_client_approval": true})).await;
    let x = s.profile("x").await;
    let p = s.create(json!({"post": {"body": "For the client", "draft": true}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    step(&s, &s.key, &id, json!({"action": "submit"})).await;

    let owner = Dashboard::new(&s.gateway);
    owner.sign_in(&s.login.0, &s.login.1).await;
    let csrf = owner.csrf().await;
    let a = owner
        .post_form(
            "/dashboard/team/invitations",
            &[("csrf_token", &csrf), ("email", "client@example.com"), ("role", "client")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let team = owner.get("/dashboard/team").await.body;
    let at = team.find("/dashboard/invitations/").expect("the link is shown");
    let token = team[at + "/dashboard/invitations/".len()..][..64].to_owned();
    let client = Dashboard::new(&s.gateway);
    client.public_form(&format!("/dashboard/invitations/{token}"), &[("password", "a client's long password")]).await;
    assert_eq!(
        s.sql("SELECT role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'client@example.com'"),
        "client"
    );

    // Pages that run the workspace are closed to a client; the review queue is open.
    for page in
        ["/dashboard/keys", "/dashboard/webhooks", "/dashboard/compose", "/dashboard/team", "/dashboard/settings"]
    {
        assert_eq!(client.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    let queue = client.get("/dashboard/review?stage=qa_review").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("For the client"));
    let ccsrf = client.csrf().await;
    // A client cannot take the QA step, nor publish; it can comment.
    let review = format!("/dashboard/posts/{id}/review");
    client.post_form(&review, &[("csrf_token", &ccsrf), ("action", "qa_approve"), ("version", "1")]).await;
    assert_eq!(s.post_by_id(&id).await["review"], "qa_review");
    client.post_form(&format!("/dashboard/posts/{id}/publish"), &[("csrf_token", &ccsrf)]).await;
    assert_eq!(s.post_by_id(&id).await["status"], "draft");
    let a = client
        .post_form(&format!("/dashboard/posts/{id}/comments"), &[("csrf_token", &ccsrf), ("text", "Looks good")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // The owner takes QA through the queue; the client approves at its stage.
    owner.post_form(&review, &[("csrf_token", &csrf), ("action", "qa_approve"), ("version", "1")]).await;
    assert_eq!(s.post_by_id(&id).await["review"], "client_review");
    client.post_form(&review, &[("csrf_token", &ccsrf), ("action", "client_approve"), ("version", "1")]).await;
    let post = s.post_by_id(&id).await;
    assert_eq!(post["review"], "approved", "{post}");
    assert!(post["approved_by"].as_str().unwrap().starts_with("person "));
    // The owner changes the client's role; an owner's own role does not change.
    owner
        .post_form(
            "/dashboard/team/roles",
            &[("csrf_token", &csrf), ("email", "client@example.com"), ("role", "editor")],
        )
        .await;
    assert_eq!(client.get("/dashboard/compose").await.status, StatusCode::OK);
    owner.post_form("/dashboard/team/roles", &[("csrf_token", &csrf), ("email", &s.login.0), ("role", "client")]).await;
    assert_eq!(
        s.sql(&format!(
            "SELECT role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '{}'",
            s.login.0
        )),
        "owner"
    );
    // An editor does not change settings.
    let ecsrf = client.csrf().await;
    let a = client
        .post_form("/dashboard/settings", &[("csrf_token", &ecsrf), ("delivery_mode", "both"), ("timezone", "UTC")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
