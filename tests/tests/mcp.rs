//! An MCP session through the real `/mcp` endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::Stack;
use serde_json::{Value, json};

async fn rpc(s: &Stack, key: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r = s.http.post(format!("{}/mcp", s.gateway)).bearer_auth(key).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{method}: {}", r.status());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["jsonrpc"], "2.0");
    v
}

async fn tool(s: &Stack, key: &str, name: &str, args: Value) -> Value {
    rpc(s, key, "tools/call", json!({"name": name, "arguments": args})).await["result"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_session_lists_tools_and_creates_reads_and_cancels_a_post() {
    let s = Stack::start("mcp").await;
    let init = rpc(
        &s,
        &s.key,
        "initialize",
        json!({"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-03-26", "the client's version is spoken");
    assert_eq!(init["result"]["serverInfo"]["name"], "postmantis");
    let newer = rpc(&s, &s.key, "initialize", json!({"protocolVersion": "2099-01-01"})).await;
    assert_eq!(newer["result"]["protocolVersion"], "2025-06-18", "an unknown version gets ours");
    // A notification gets no answer.
    let r = s
        .http
        .post(format!("{}/mcp", s.gateway))
        .bearer_auth(&s.key)
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);

    let tools = rpc(&s, &s.key, "tools/list", json!({})).await;
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for expected in [
        "postmantis.health",
        "postmantis.list_profiles",
        "postmantis.get_profile",
        "postmantis.list_posts",
        "postmantis.get_post",
        "postmantis.create_post",
        "postmantis.update_post",
        "postmantis.publish_draft",
        "postmantis.cancel_post",
        "postmantis.delete_draft",
        "postmantis.create_media_asset",
        "postmantis.complete_media_asset",
        "postmantis.list_publish_logs",
        "postmantis.list_platforms",
        "postmantis.suggest_captions",
        "postmantis.fit_text",
        "postmantis.generate_image",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
    // The assistant's tools are the same operations: captions within X's limit.
    let captions =
        tool(&s, &s.key, "postmantis.suggest_captions", json!({"prompt": "our launch", "provider": "x", "count": 2}))
            .await;
    assert_eq!(captions["isError"], false, "{captions}");
    let got = captions["structuredContent"]["data"]["captions"].as_array().unwrap();
    assert!(got.len() == 2 && got.iter().all(|c| c["length"].as_u64().unwrap() <= 280), "{captions}");
    assert!(tools["result"]["tools"].as_array().unwrap().iter().all(|t| t["inputSchema"]["type"] == "object"));

    let profiles = tool(&s, &s.key, "postmantis.list_profiles", json!({})).await;
    assert_eq!(profiles["isError"], false);
    let x =
        profiles["structuredContent"]["data"].as_array().unwrap().iter().find(|p| p["provider"] == "x").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let when = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let created = tool(
        &s,
        &s.key,
        "postmantis.create_post",
        json!({"post": {"body": "via MCP", "scheduled_at": when}, "profiles": [x]}),
    )
    .await;
    assert_eq!(created["isError"], false, "{created}");
    let id = created["structuredContent"]["data"]["id"].as_str().unwrap().to_owned();
    // The same JSON as HTTP.
    let (_, http_view) = s.get(&format!("/api/posts/{id}")).await;
    s.wait_status(&id, "scheduled").await;
    let read = tool(&s, &s.key, "postmantis.get_post", json!({"id": id})).await;
    assert_eq!(read["structuredContent"]["data"]["id"], http_view["data"]["id"]);
    assert_eq!(read["structuredContent"]["data"]["body"], "via MCP");
    // A thread through the same tool: the whole thread, first part first, read back so.
    let thread = tool(
        &s,
        &s.key,
        "postmantis.create_post",
        json!({"post": {"thread": ["MCP 1/2", "MCP 2/2"], "scheduled_at": when}, "profiles": [x]}),
    )
    .await;
    assert_eq!(thread["isError"], false, "{thread}");
    assert_eq!(thread["structuredContent"]["data"]["thread"][1]["body"], "MCP 2/2");
    let canceled = tool(&s, &s.key, "postmantis.cancel_post", json!({"id": id})).await;
    assert_eq!(canceled["isError"], false, "{canceled}");
    assert_eq!(canceled["structuredContent"]["data"]["status"], "canceled");
    // Errors come back as the same problem+json, marked as tool errors.
    let again = tool(&s, &s.key, "postmantis.cancel_post", json!({"id": id})).await;
    assert_eq!(again["isError"], true);
    assert_eq!(again["structuredContent"]["code"], "conflict");

    // A read key gets the permission error HTTP gives.
    let read_key = s.create_key(&["--permission", "read"]).await;
    let denied = tool(&s, &read_key, "postmantis.create_post", json!({"post": {"body": "no"}, "profiles": [x]})).await;
    assert_eq!(denied["isError"], true);
    assert_eq!(denied["structuredContent"]["code"], "forbidden");
    assert_eq!(tool(&s, &read_key, "postmantis.list_platforms", json!({})).await["isError"], false);
    // Without a key there is no session.
    let r = s
        .http
        .post(format!("{}/mcp", s.gateway))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
    let unknown = rpc(&s, &s.key, "resources/list", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_the_answer_of_their_protocol() {
    let s = Stack::start("malformed").await;
    // JSON-RPC: a parse error with a null id.
    let r = s
        .http
        .post(format!("{}/mcp", s.gateway))
        .bearer_auth(&s.key)
        .header("content-type", "application/json")
        .body("{\"jsonrpc\": \"2.0\", \"id\": 1,")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], -32700, "{v}");
    assert_eq!(v["id"], Value::Null);
    // A form the dashboard cannot read: a problem naming it, not actix's plain text.
    let r = s
        .http
        .post(format!("{}/dashboard/login", s.gateway))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a@b.c")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

/// The official MCP Python SDK (PyPI `mcp`; .ci/run installs it) as the client: what an
/// agent framework really sends, not our idea of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_mcp_sdk_runs_a_session() {
    let s = Stack::start("mcp-sdk").await;
    let x = s.profile("x").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mcp_sdk.py");
    let out = tokio::process::Command::new("python3")
        .args([script, &s.gateway, &s.key, &x])
        .output()
        .await
        .expect("python3 is needed");
    assert!(
        out.status.success(),
        "the SDK session failed (`pip install mcp`; .ci/run installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["server"], "postmantis");
    let tools: Vec<&str> = seen["tools"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for t in ["postmantis.create_post", "postmantis.get_post", "postmantis.cancel_post", "postmantis.list_platforms"] {
        assert!(tools.contains(&t), "{t} missing: {tools:?}");
    }
    assert_eq!(seen["create_is_error"], false, "{seen}");
    let id = seen["created"]["data"]["id"].as_str().unwrap();
    assert_eq!(seen["got"]["data"]["id"], id);
    assert_eq!(seen["got"]["data"]["body"], "through the SDK");
    assert!(seen["bad_refused"].as_str().unwrap().contains("must be a UUID"), "{seen}");
    // The post the SDK made is a real post of this workspace.
    assert_eq!(s.post_by_id(id).await["deliveries"][0]["profile_id"], x.as_str());
}
