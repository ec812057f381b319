//! The MCP server at `/mcp` (streamable HTTP transport, JSON-RPC 2.0). Every tool is a thin
//! wrapper over one API call, made through the gateway's own HTTP API with the caller's key:
//! the same semantics, scope, errors, rate limits and JSON as HTTP, by construction.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::{app::AppState, auth, error::ApiError};

/// Newest first; the client's version is used when we speak it.
const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];

struct Tool {
    name: &'static str,
    description: &'static str,
    read_only: bool,
    schema: fn() -> Value,
}

fn id_schema(what: &str) -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid", "description": what}}, "required": ["id"], "additionalProperties": false})
}

fn post_body_schema(with_id: bool) -> Value {
    let mut s = json!({
        "type": "object",
        "properties": {
            "post": {"type": "object", "properties": {
                "body": {"type": ["string", "null"]},
                "scheduled_at": {"type": ["string", "null"], "format": "date-time"},
                "draft": {"type": "boolean"}
            }, "additionalProperties": false},
            "profiles": {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 1},
            "media": {"type": "array", "maxItems": 20, "items": {"type": "object", "properties": {
                "url": {"type": "string", "format": "uri"}, "asset_id": {"type": "string", "format": "uuid"}, "alt": {"type": "string"}
            }, "additionalProperties": false}},
            "provider_options": {"type": "object", "description": "Keyed by provider id; see list_platforms for each provider's options"}
        },
        "additionalProperties": false
    });
    if with_id {
        s["properties"]["id"] = json!({"type": "string", "format": "uuid"});
        s["required"] = json!(["id"]);
    } else {
        s["required"] = json!(["post", "profiles"]);
    }
    s
}

/// What a client may assume of a tool (MCP tool annotations). `destructiveHint` defaults
/// to true in the protocol, so every tool that writes says it explicitly.
fn annotations(t: &Tool) -> Value {
    let name = t.name.trim_start_matches("postmantis.");
    // Overwrites or removes what the caller made.
    let destructive = matches!(name, "update_post" | "cancel_post" | "delete_draft");
    // Repeating the call leaves the same state (reads, and completing an upload).
    let idempotent = t.read_only || name == "complete_media_asset";
    // Reaches the social platforms (publishing), not only PostMantis.
    let open_world = matches!(name, "create_post" | "publish_draft" | "update_post");
    json!({
        "readOnlyHint": t.read_only,
        "destructiveHint": !t.read_only && destructive,
        "idempotentHint": idempotent,
        "openWorldHint": open_world,
    })
}

fn empty() -> Value {
    json!({"type": "object", "properties": {}, "additionalProperties": false})
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "postmantis.health",
        description: "Runtime health, with queue depths, stale work and failures per provider visible to this key.",
        read_only: true,
        schema: empty,
    },
    Tool {
        name: "postmantis.list_profiles",
        description: "Connected profiles this key may publish to. Call this first when profile ids are unknown.",
        read_only: true,
        schema: empty,
    },
    Tool {
        name: "postmantis.get_profile",
        description: "One connected profile.",
        read_only: true,
        schema: || id_schema("profile id"),
    },
    Tool {
        name: "postmantis.list_posts",
        description: "Posts, newest first, with deliveries and media.",
        read_only: true,
        schema: || {
            json!({"type": "object", "properties": {
            "status": {"enum": ["draft", "pending", "scheduled", "completed", "canceled"]},
            "profile_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            "providers": {"type": "array", "items": {"type": "string"}},
            "scheduled_after": {"type": "string", "format": "date-time"},
            "scheduled_before": {"type": "string", "format": "date-time"},
            "page": {"type": "integer", "minimum": 0},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100}
        }, "additionalProperties": false})
        },
    },
    Tool {
        name: "postmantis.get_post",
        description: "One post with its per-delivery results. completed does not mean published: read deliveries[].",
        read_only: true,
        schema: || id_schema("post id"),
    },
    Tool {
        name: "postmantis.create_post",
        description: "Create a post: a draft (post.draft), now, or at post.scheduled_at. Accepted into pending; read it back later for outcomes.",
        read_only: false,
        schema: || post_body_schema(false),
    },
    Tool {
        name: "postmantis.update_post",
        description: "Edit a draft, or a scheduled post whose deliveries have not started (PATCH semantics).",
        read_only: false,
        schema: || post_body_schema(true),
    },
    Tool {
        name: "postmantis.publish_draft",
        description: "Publish a draft now, or at scheduled_at.",
        read_only: false,
        schema: || json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "scheduled_at": {"type": "string", "format": "date-time"}}, "required": ["id"], "additionalProperties": false}),
    },
    Tool {
        name: "postmantis.cancel_post",
        description: "Cancel a scheduled post none of whose deliveries started.",
        read_only: false,
        schema: || id_schema("post id"),
    },
    Tool {
        name: "postmantis.delete_draft",
        description: "Delete a draft for good.",
        read_only: false,
        schema: || id_schema("post id"),
    },
    Tool {
        name: "postmantis.create_media_asset",
        description: "Start an upload session; PUT the bytes to upload_url, then complete_media_asset.",
        read_only: false,
        schema: || json!({"type": "object", "properties": {"filename": {"type": "string"}, "content_type": {"type": "string"}, "size_bytes": {"type": "integer", "minimum": 1}}, "required": ["filename", "content_type", "size_bytes"], "additionalProperties": false}),
    },
    Tool {
        name: "postmantis.complete_media_asset",
        description: "Verify an upload session's bytes; its asset_id can then be attached to posts.",
        read_only: false,
        schema: || json!({"type": "object", "properties": {"asset_id": {"type": "string", "format": "uuid"}}, "required": ["asset_id"], "additionalProperties": false}),
    },
    Tool {
        name: "postmantis.list_publish_logs",
        description: "The Publishing Log: queued/scheduled, published, failed, canceled events, newest first.",
        read_only: true,
        schema: || {
            json!({"type": "object", "properties": {
            "post_id": {"type": "string", "format": "uuid"}, "profile_id": {"type": "string", "format": "uuid"},
            "provider": {"type": "string"}, "kind": {"type": "string"}, "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"}, "cursor": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 200}
        }, "additionalProperties": false})
        },
    },
    Tool {
        name: "postmantis.list_platforms",
        description: "Each platform's limits and provider_options.",
        read_only: true,
        schema: empty,
    },
];

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The API request a tool call makes: (method, path, body).
fn route(name: &str, args: &Value) -> Result<(reqwest::Method, String, Option<Value>), String> {
    use reqwest::Method;
    // Ids go into a path: only a UUID, so `../webhooks` cannot reach another route.
    let uuid_arg = |name: &str| {
        let raw = args[name].as_str().ok_or_else(|| format!("`{name}` is required"))?;
        uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| format!("`{name}` must be a UUID"))
    };
    let id = || uuid_arg("id");
    let query = |keys: &[&str]| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for k in keys {
            match &args[*k] {
                Value::Array(items) => {
                    for i in items.iter().filter_map(Value::as_str) {
                        q.append_pair(k, i);
                    }
                }
                Value::String(s) => {
                    q.append_pair(k, s);
                }
                Value::Number(n) => {
                    q.append_pair(k, &n.to_string());
                }
                _ => {}
            }
        }
        let s = q.finish();
        if s.is_empty() { s } else { format!("?{s}") }
    };
    let without_id = || {
        let mut b = args.clone();
        if let Some(o) = b.as_object_mut() {
            o.remove("id");
        }
        b
    };
    Ok(match name {
        "postmantis.health" => (Method::GET, "/api/health".into(), None),
        "postmantis.list_profiles" => (Method::GET, "/api/profiles".into(), None),
        "postmantis.get_profile" => (Method::GET, format!("/api/profiles/{}", id()?), None),
        "postmantis.list_posts" => (
            Method::GET,
            format!(
                "/api/posts{}",
                query(&[
                    "status",
                    "profile_ids",
                    "providers",
                    "scheduled_after",
                    "scheduled_before",
                    "page",
                    "per_page"
                ])
            ),
            None,
        ),
        "postmantis.get_post" => (Method::GET, format!("/api/posts/{}", id()?), None),
        "postmantis.create_post" => (Method::POST, "/api/posts".into(), Some(args.clone())),
        "postmantis.update_post" => (Method::PATCH, format!("/api/posts/{}", id()?), Some(without_id())),
        "postmantis.publish_draft" => (Method::POST, format!("/api/posts/{}/publish", id()?), Some(without_id())),
        "postmantis.cancel_post" => (Method::POST, format!("/api/posts/{}/cancel", id()?), None),
        "postmantis.delete_draft" => (Method::DELETE, format!("/api/posts/{}", id()?), None),
        "postmantis.create_media_asset" => (Method::POST, "/api/uploads".into(), Some(args.clone())),
        "postmantis.complete_media_asset" => {
            let asset = uuid_arg("asset_id")?;
            (Method::POST, format!("/api/uploads/{asset}/complete"), None)
        }
        "postmantis.list_publish_logs" => (
            Method::GET,
            format!(
                "/api/publish/logs{}",
                query(&["post_id", "profile_id", "provider", "kind", "since", "until", "cursor", "limit"])
            ),
            None,
        ),
        "postmantis.list_platforms" => (Method::GET, "/api/platforms".into(), None),
        other => return Err(format!("unknown tool `{other}`")),
    })
}

async fn call_tool(state: &AppState, token: &str, name: &str, args: &Value) -> Result<Value, String> {
    let (method, path, body) = route(name, args)?;
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
                json!({"tools": TOOLS.iter().map(|t| json!({
                    "name": t.name,
                    "description": t.description,
                    "inputSchema": (t.schema)(),
                    "annotations": annotations(t),
                })).collect::<Vec<_>>()}),
            ),
            "tools/call" => {
                let name = m.pointer("/params/name").and_then(Value::as_str).unwrap_or("");
                let args = m.pointer("/params/arguments").cloned().unwrap_or(json!({}));
                if !TOOLS.iter().any(|t| t.name == name) {
                    rpc_error(&id, -32602, &format!("unknown tool `{name}`"))
                } else {
                    match call_tool(&state, &token, name, &args).await {
                        Ok(r) => rpc_result(&id, r),
                        Err(e) => rpc_error(&id, -32602, &e),
                    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod path_tests {
    use serde_json::json;

    #[test]
    fn every_tool_says_whether_it_reads_destroys_or_repeats_safely() {
        let of = |name: &str| super::annotations(super::TOOLS.iter().find(|t| t.name == name).unwrap());
        assert_eq!(of("postmantis.get_post")["readOnlyHint"], true);
        assert_eq!(of("postmantis.get_post")["destructiveHint"], false);
        assert_eq!(of("postmantis.cancel_post")["destructiveHint"], true);
        assert_eq!(of("postmantis.delete_draft")["destructiveHint"], true);
        assert_eq!(of("postmantis.create_post")["destructiveHint"], false);
        assert_eq!(of("postmantis.create_post")["openWorldHint"], true);
        assert_eq!(of("postmantis.complete_media_asset")["idempotentHint"], true);
        for t in super::TOOLS {
            let a = super::annotations(t);
            for k in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                assert!(a[k].is_boolean(), "{} lacks {k}", t.name);
            }
        }
    }

    #[test]
    fn path_arguments_must_be_uuids() {
        for bad in ["../webhooks", "x/../../api/keys", "", "0190d3e0-0000-7000-8000-00000000000%2F"] {
            let err = super::route("postmantis.get_post", &json!({"id": bad})).unwrap_err();
            assert!(err.contains("must be a UUID"), "{bad}: {err}");
            let err = super::route("postmantis.complete_media_asset", &json!({"asset_id": bad})).unwrap_err();
            assert!(err.contains("must be a UUID"), "{bad}: {err}");
        }
        let id = "0190d3e0-0000-7000-8000-000000000001";
        let (_, path, _) = super::route("postmantis.get_post", &json!({"id": id})).unwrap();
        assert_eq!(path, format!("/api/posts/{id}"));
    }
}
