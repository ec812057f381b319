//! Review (seed 002's approval pipeline) over the agency surface and natively: workflow
//! guide 5 verbatim, the diagram's steps, a refused step naming the state, two reviewers
//! racing, a rejection rewritten by the assistant, and without a model handed back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{Options, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ORG: &str = "00000000-0000-4000-8000-00000000d3e0";

async fn agent(s: &Stack, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut r = s
        .http
        .request(method, format!("{}/api/v1/social{path}", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", ORG);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn status_of(s: &Stack, id: &str) -> String {
    agent(s, Method::GET, &format!("/posts/{id}"), None).await.1["data"]["status"].as_str().unwrap().to_owned()
}

async fn wait_for(s: &Stack, id: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while status_of(s, id).await != want {
        assert!(std::time::Instant::now() < deadline, "{id} never became {want} (is {})", status_of(s, id).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn soon(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_guide_5_two_stage_approval_runs_as_the_seed_says() {
    let s = Stack::start("review").await;
    let (status, v) = s
        .call(
            Method::PATCH,
            "/api/workspace",
            Some(json!({"requires_qa_approval": true, "requires_client_approval": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // 1. POST /posts/ — create with status: "draft"
    let (_, v) = agent(&s, Method::POST, "/posts/", Some(json!({"orgId": ORG, "content": "Our launch, plainly told", "platforms": ["twitter"], "status": "draft", "scheduledFor": soon(3600)}))).await;
    let id = v["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["data"]["status"], "draft");
    // 2. POST /posts/[id]/submit — enter approval pipeline → status: "qa_review"
    let (status, v) = agent(&s, Method::POST, &format!("/posts/{id}/submit"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"], json!({"id": id, "status": "qa_review"}));
    // 3. GET /posts/[id]/comments — (agent) read any previous rejection feedback
    let (_, v) = agent(&s, Method::GET, &format!("/posts/{id}/comments"), None).await;
    assert_eq!(v["data"], json!([]));
    // 4. qa-reject with a reason → regenerating; the assistant rewrites → qa_review again.
    let (status, v) = agent(
        &s,
        Method::POST,
        &format!("/posts/{id}/qa-reject"),
        Some(json!({"reason": "The tone is too casual. Make it more professional."})),
    )
    .await;
    assert_eq!((status, v["data"]["status"].as_str()), (StatusCode::OK, Some("regenerating")), "{v}");
    wait_for(&s, &id, "qa_review").await;
    let (_, v) = agent(&s, Method::GET, &format!("/posts/{id}"), None).await;
    let text = v["data"]["content"]["text"].as_str().unwrap();
    assert!(
        text.contains("The tone is too casual") && text.contains("Our launch, plainly told"),
        "rewritten with the feedback: {text}"
    );
    assert_eq!(v["data"]["rejectionCount"], 1);
    let (_, c) = agent(&s, Method::GET, &format!("/posts/{id}/comments"), None).await;
    assert_eq!(c["data"][0]["kind"], "qa_rejection");
    assert_eq!(c["data"][0]["text"], "The tone is too casual. Make it more professional.");
    //    qa-approve → client_review
    let (_, v) = agent(&s, Method::POST, &format!("/posts/{id}/qa-approve"), None).await;
    assert_eq!(v["data"]["status"], "client_review", "{v}");
    // A step that does not apply: 400 naming the state.
    let (status, v) = agent(&s, Method::POST, &format!("/posts/{id}/qa-approve"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("client_review"), "{v}");
    // A rejection needs its reason.
    let (status, _) = agent(&s, Method::POST, &format!("/posts/{id}/client-reject"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // 5. client-approve → scheduled (it has a date): it enters the publishing workflow.
    let (_, v) = agent(&s, Method::POST, &format!("/posts/{id}/client-approve"), None).await;
    assert_eq!(v["data"]["status"], "scheduled", "{v}");
    let native = s.post_by_id(&id).await;
    assert_eq!(native["review"], "approved");
    assert!(native["approved_at"].is_string());
    assert_ne!(native["status"], "draft");
    // 6. POST /posts/[id]/publish — or wait for scheduled time
    let (status, v) = agent(&s, Method::POST, &format!("/posts/{id}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    wait_for(&s, &id, "published").await;
    assert_eq!(s.calls("demo-x").await.len(), 1);

    // Legacy single stage and the pending queue: with no stage required, submit approves
    // at once; a post without a date is then `approved`.
    s.call(
        Method::PATCH,
        "/api/workspace",
        Some(json!({"requires_qa_approval": false, "requires_client_approval": false})),
    )
    .await;
    let (_, v) = agent(
        &s,
        Method::POST,
        "/posts",
        Some(json!({"content": "No stages", "platforms": ["twitter"], "status": "draft"})),
    )
    .await;
    let plain = v["data"]["id"].as_str().unwrap().to_owned();
    let (_, v) = agent(&s, Method::POST, &format!("/posts/{plain}/submit"), None).await;
    assert_eq!(v["data"]["status"], "approved");
    // download_only: the final step vaults it, even with a date, and nothing is published.
    s.call(Method::PATCH, "/api/workspace", Some(json!({"delivery_mode": "download_only"}))).await;
    let (_, v) = agent(
        &s,
        Method::POST,
        "/posts",
        Some(json!({"content": "Vault me", "platforms": ["twitter"], "status": "draft", "scheduledFor": soon(60)})),
    )
    .await;
    let vaulted = v["data"]["id"].as_str().unwrap().to_owned();
    let (_, v) = agent(&s, Method::POST, &format!("/posts/{vaulted}/submit"), None).await;
    assert_eq!(v["data"]["status"], "vaulted");
    assert_eq!(s.post_by_id(&vaulted).await["status"], "draft");
    let (status, v) = s
        .call(Method::PATCH, "/api/workspace", Some(json!({"delivery_mode": "sometimes", "timezone": "Mars/Olympus"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["delivery_mode", "timezone"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_racing_one_wins_and_without_a_model_a_rejection_goes_back_to_the_author() {
    let opts = Options { common_env: vec![("POSTMANTIS_ASSISTANT__BASE_URL", String::new())], ..Options::default() };
    let s = Stack::start_with("review-race", opts).await;
    s.call(
        Method::PATCH,
        "/api/workspace",
        Some(json!({"requires_qa_approval": true, "requires_client_approval": true})),
    )
    .await;
    let x = s.profile("x").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let p = s.create(json!({"post": {"body": format!("race {i}"), "draft": true}, "profiles": [x]})).await;
        let id = p["id"].as_str().unwrap().to_owned();
        let (status, v) = s.post(&format!("/api/posts/{id}/review"), json!({"action": "submit"})).await;
        assert_eq!((status, v["data"]["review"].as_str()), (StatusCode::OK, Some("qa_review")), "{v}");
        ids.push(id);
    }
    // Two reviewers at once: one approves, one rejects; exactly one wins, the other 409.
    for id in &ids {
        let path = format!("/api/posts/{id}/review");
        let approve = s.post(&path, json!({"action": "qa_approve"}));
        let reject = s.post(&path, json!({"action": "qa_reject", "reason": "no"}));
        let ((a, _), (r, rv)) = tokio::join!(approve, reject);
        let codes = [a, r];
        assert!(codes.contains(&StatusCode::OK), "{codes:?}");
        assert!(
            codes.iter().all(|c| [StatusCode::OK, StatusCode::CONFLICT, StatusCode::BAD_REQUEST].contains(c)),
            "{codes:?} {rv}"
        );
        assert_eq!(codes.iter().filter(|c| **c == StatusCode::OK).count(), 1, "{codes:?}");
        let review = s.post_by_id(id).await["review"].as_str().unwrap().to_owned();
        if a == StatusCode::OK {
            assert_eq!(review, "client_review");
        } else {
            // No model configured: the author gets it back.
            assert_eq!(review, "changes_requested");
            let (status, v) = s.post(&format!("/api/posts/{id}/review"), json!({"action": "submit"})).await;
            assert_eq!((status, v["data"]["review"].as_str()), (StatusCode::OK, Some("qa_review")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_guide_6_content_vault_and_download() {
    let s = Stack::start("review-vault").await;
    s.call(
        Method::PATCH,
        "/api/workspace",
        Some(json!({"requires_client_approval": true, "delivery_mode": "download_only"})),
    )
    .await;
    // 1. POST /posts/ — create with status: "draft"
    let (_, v) = agent(&s, Method::POST, "/posts/", Some(json!({"content": "For the vault", "platforms": ["twitter", "linkedin"], "status": "draft", "hashtags": ["#ai"], "labels": ["q3"]}))).await;
    let id = v["data"]["id"].as_str().unwrap().to_owned();
    // 2. POST /posts/[id]/submit — enter pipeline; 3. (approval stages as above)
    assert_eq!(
        agent(&s, Method::POST, &format!("/posts/{id}/submit"), None).await.1["data"]["status"],
        "client_review"
    );
    assert_eq!(
        agent(&s, Method::POST, &format!("/posts/{id}/client-approve"), None).await.1["data"]["status"],
        "vaulted"
    );
    // 4. GET /vault/ — client browses approved content
    let (status, v) = agent(&s, Method::GET, "/vault/?label=q3", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let item = &v["data"][0];
    assert_eq!(
        (item["id"].as_str(), item["status"].as_str(), item["deliveryMode"].as_str()),
        (Some(id.as_str()), Some("vaulted"), Some("download_only"))
    );
    assert_eq!(item["platforms"], json!(["twitter", "linkedin"]));
    assert_eq!(agent(&s, Method::GET, "/vault?label=other", None).await.1["data"], json!([]));
    // 5. GET /posts/[id]/download — download specific post as JSON bundle
    let r = s
        .http
        .get(format!("{}/api/v1/social/posts/{id}/download", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", ORG)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-disposition"], format!("attachment; filename=\"post-{id}.json\"").as_str());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["postId"], id.as_str());
    assert_eq!(b["content"]["text"], "For the vault");
    assert_eq!(b["hashtags"], json!(["#ai"]));
    assert_eq!(b["downloadFormat"], "json");
    assert!(b["approvedAt"].is_string() && b.get("success").is_none(), "the bare bundle: {b}");
    // Natively too; nothing was published.
    let (_, v) = s.get("/api/vault").await;
    assert_eq!(v["data"][0]["id"], id.as_str());
    assert!(s.calls("demo-x").await.is_empty());
}
