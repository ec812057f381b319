//! The MCP server at `/mcp` (streamable HTTP transport, JSON-RPC 2.0). Every tool is one
//! API operation (`tools`, generated from the OpenAPI document), called through the
//! gateway's own HTTP API with the caller's key: the same semantics, scope, errors, rate
//! limits and JSON as HTTP, by construction.

mod tools;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::{app::AppState, auth, error::ApiError};

/// Newest first; the client's version is used when we speak it.
const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

async fn call_tool(state: &AppState, token: &str, tool: &tools::Tool, args: &Value) -> Result<Value, String> {
    let (method, path, body) = tool.request(args)?;
    let mut req = state.http.request(method, format!("{}{path}", state.self_url)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| format!("the API could not be reached: {e}"))?;
    let ok = resp.status().is_success();
    let text = resp.text().await.unwrap_or_default();
    let value: Value = if text.is_empty() {
        json!({"ok": true})
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
    };
    Ok(json!({
        "content": [{"type": "text", "text": if text.is_empty() { "{\"ok\":true}".to_owned() } else { text }}],
        "structuredContent": value,
        "isError": !ok,
    }))
}

/// `POST /mcp`: one JSON-RPC message (or a batch), answered as JSON.
pub async fn handle(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = auth::bearer(&req).ok_or(ApiError::Unauthorized)?;
    auth::authenticate(&state, &token).await?;
    // JSON-RPC's own answer to a body that is not JSON: a parse error with a null id.
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(HttpResponse::BadRequest().json(rpc_error(&Value::Null, -32700, &format!("Parse error: {e}"))));
        }
    };
    let messages = match body {
        Value::Array(batch) => batch,
        one => vec![one],
    };
    let mut answers = Vec::new();
    for m in messages {
        let id = m.get("id").cloned();
        let method = m["method"].as_str().unwrap_or("");
        let Some(id) = id else { continue }; // a notification (e.g. notifications/initialized): no answer
        let answer = match method {
            "initialize" => {
                let asked = m.pointer("/params/protocolVersion").and_then(Value::as_str).unwrap_or("");
                let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(PROTOCOL_VERSIONS[0]);
                rpc_result(
                    &id,
                    json!({
                        "protocolVersion": version,
                        "capabilities": {"tools": {"listChanged": false}},
                        "serverInfo": {"name": "postmantis", "version": env!("CARGO_PKG_VERSION")},
                        "instructions": "List profiles first when ids are unknown; default to drafts unless told to publish; re-read a post after publishing; completed does not mean published, read deliveries[].",
                    }),
                )
            }
            "ping" => rpc_result(&id, json!({})),
            "tools/list" => rpc_result(
                &id,
                json!({"tools": tools::all().iter().map(|t| json!({
                    "name": t.name,
                    "description": t.description,
                    "inputSchema": t.input_schema,
                    "annotations": t.annotations,
                })).collect::<Vec<_>>()}),
            ),
            "tools/call" => {
                let name = m.pointer("/params/name").and_then(Value::as_str).unwrap_or("");
                let args = m.pointer("/params/arguments").cloned().unwrap_or(json!({}));
                match tools::find(name) {
                    None => rpc_error(&id, -32602, &format!("unknown tool `{name}`")),
                    Some(tool) => match call_tool(&state, &token, tool, &args).await {
                        Ok(r) => rpc_result(&id, r),
                        Err(e) => rpc_error(&id, -32602, &e),
                    },
                }
            }
            "" => rpc_error(&id, -32600, "not a JSON-RPC request"),
            other => rpc_error(&id, -32601, &format!("method `{other}` not found")),
        };
        answers.push(answer);
    }
    Ok(match answers.len() {
        0 => HttpResponse::Accepted().finish(),
        1 => HttpResponse::Ok().json(answers.remove(0)),
        _ => HttpResponse::Ok().json(answers),
    })
}

/// `GET /mcp`: this server does not open server-initiated streams.
pub async fn no_stream() -> HttpResponse {
    HttpResponse::MethodNotAllowed().insert_header(("Allow", "POST")).finish()
}
