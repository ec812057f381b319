//! The MCP tools, generated from the OpenAPI document: each exposed operation becomes the
//! tool `postmantis.<operationId>`, whose input schema holds the operation's path and query
//! parameters and its JSON body's fields (every `$ref` inlined), and whose call is that one
//! HTTP request. A route or field added to the API reaches MCP with nothing written twice.

use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Map, Value, json};

/// The operations agents get as tools, with what an agent should know beyond the reference.
const EXPOSED: &[(&str, &str)] = &[
    ("health", "Runtime health, with queue depths, stale work and failures per provider visible to this key."),
    ("list_profiles", "Connected profiles this key may publish to. Call this first when profile ids are unknown."),
    ("get_profile", "One connected profile."),
    ("list_posts", "Posts, newest first, with deliveries and media."),
    ("get_post", "One post with its per-delivery results. completed does not mean published: read deliveries[]."),
    (
        "create_post",
        "Create a post: a draft (post.draft), now, or at post.scheduled_at. post.thread (the whole thread, first part first) makes a thread on X, Bluesky, Threads and Mastodon; provider_options.<provider>.first_comment a first comment on LinkedIn, Facebook, Instagram, YouTube and Reddit. Accepted into pending; read it back later for outcomes (deliveries[].parts for each public part). dry_run=true checks it and shows each provider request, part by part, without storing anything.",
    ),
    ("update_post", "Edit a draft, or a scheduled post whose deliveries have not started (PATCH semantics)."),
    ("publish_draft", "Publish a draft now, or at scheduled_at."),
    ("cancel_post", "Cancel a scheduled post none of whose deliveries started."),
    ("delete_draft", "Delete a draft for good."),
    ("create_media_asset", "Start an upload session; PUT the bytes to upload_url, then complete_media_asset."),
    ("complete_media_asset", "Verify an upload session's bytes; its asset_id can then be attached to posts."),
    ("list_publish_logs", "The Publishing Log: queued/scheduled, published, failed, canceled events, newest first."),
    (
        "list_platforms",
        "Each platform's limits, provider_options and capabilities (threads, first_comment, carousel, …).",
    ),
    ("get_platform", "One platform's limits, provider_options and capabilities."),
    (
        "suggest_captions",
        "Captions for a platform from the operator's model, each within the platform's limits, with hashtags.",
    ),
    ("suggest_hashtags", "Hashtags for a text, as many as the platform takes."),
    ("repurpose_text", "One version of a text per target platform, each within its limits."),
    (
        "fit_text",
        "Fit a text to each platform (cut at a sentence or word) and split it into a numbered thread; needs no model.",
    ),
    ("generate_image", "Generate an image; it becomes an owned asset (asset_id, url) usable in a post's media."),
    ("list_image_templates", "Image prompt templates with {{placeholders}} to fill before generate_image."),
    ("rewrite_draft", "Have the assistant rewrite a draft after review feedback (asynchronous: read list_rewrites)."),
    ("list_rewrites", "A post's rewrite jobs and their outcomes."),
    (
        "review_post",
        "A review step on a draft: submit, qa_approve, qa_reject (reason), client_approve, client_reject (reason), approve, reject, regenerate. Pass the version you reviewed: a step on an older version is refused (409).",
    ),
    (
        "list_comments",
        "A post's comments and rejection reasons, oldest first (anchors flagged stale when their text left the post).",
    ),
    (
        "add_comment",
        "Comment on a post, optionally anchored to a piece of its text ({type: text, text, offset}) or one of its media.",
    ),
    ("pick_up_comment", "Mark a comment picked up (you are acting on it)."),
    ("delete_comment", "Delete a comment."),
    ("list_versions", "A post's versions, each with what changed from the one before (word runs)."),
    ("get_workspace", "The workspace's review settings: stages required, delivery mode, time zone."),
    (
        "create_review_link",
        "A link a client reviews a post or a campaign with, no account needed (its URL is shown once).",
    ),
    ("list_review_links", "The workspace's review links (no secrets)."),
    ("revoke_review_link", "Revoke a review link at once."),
    (
        "bulk_create_posts",
        "Create up to 50 posts in one call (JSON), each answered on its own; dry_run checks them all and stores nothing.",
    ),
    ("list_campaigns", "The workspace's campaigns, newest first."),
    ("create_campaign", "Create a campaign (name, status, client_type, a flat calendar of day entries)."),
    ("get_campaign", "A campaign with its posts and their statuses."),
    ("list_queues", "A profile's posting queues (weekly slots in a zone)."),
    (
        "create_queue",
        "Create a posting queue for a profile: weekly slots {day_of_week, time} in an IANA zone; posts created with post.queue take its next free slot.",
    ),
    ("get_queue", "A queue's next free slots and the posts waiting in it."),
    (
        "get_post_metrics",
        "A post's figures per published delivery: the latest snapshot and its history (null where a platform gives none).",
    ),
    ("refresh_post_metrics", "Read a published post's figures now (at most once a minute per post)."),
    (
        "get_stats",
        "The workspace's posts by status and provider, approval rate, last 30 days and seven weekly buckets.",
    ),
    ("get_analytics", "Figures per day of publishing, filtered by provider, profile and dates."),
    (
        "get_profile_analytics",
        "Per connected profile: its account's followers (and change over the window), the posts the platform counts, read daily, and its published posts' figures.",
    ),
    (
        "list_feeds",
        "Feeds whose new items become posts, with their state (active, paused and why, last error) and item counts.",
    ),
    (
        "create_feed",
        "Add a feed (RSS, Atom, JSON Feed): its new items become posts on the profiles by the template, as drafts, for review, queued or at the best time. Only items published after it is added, unless backlog is given.",
    ),
    ("get_feed", "One feed and its newest items, each posted (with its post id) or skipped with the reason."),
    ("update_feed", "Change a feed's name, address, profiles, template, image, what items become, or interval."),
    ("check_feed", "Check a feed now; read it back with get_feed for what it made."),
    ("pause_feed", "Stop checking a feed until it is resumed."),
    ("resume_feed", "Check a paused feed again (its error count cleared)."),
    (
        "list_inbox",
        "Comments, mentions and messages to the connected accounts, newest first: filter by status, type, provider, profile, priority; page with cursor.",
    ),
    ("get_inbox_item", "One inbox item, with the replies sent to it and their status."),
    ("update_inbox_item", "Mark an inbox item read, archived or unread, or set its priority."),
    (
        "reply_to_inbox_item",
        "Answer an inbox item on its platform: the reply is published exactly once and the item becomes replied.",
    ),
    ("poll_inbox", "Fetch new comments, mentions and messages from every connected account now."),
    ("delete_inbox_item", "Forget an inbox item here (the platform keeps it)."),
    (
        "get_best_times",
        "Best posting times (weekday × hour, the workspace's zone) from its own history, or stated priors when there is too little.",
    ),
    (
        "schedule_campaign",
        "Schedule a campaign's approved posts by its calendar or a cadence in a time zone; run with dry_run first.",
    ),
];

pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    pub annotations: Value,
    method: Method,
    path: String,
    /// (name, must be a UUID)
    path_params: Vec<(String, bool)>,
    query_params: Vec<String>,
    has_body: bool,
}

pub fn all() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let doc = serde_json::to_value(crate::openapi::document()).unwrap_or_default();
        EXPOSED.iter().filter_map(|(op, hint)| tool(&doc, op, hint)).collect()
    })
}

pub fn find(name: &str) -> Option<&'static Tool> {
    all().iter().find(|t| t.name == name)
}

fn tool(doc: &Value, operation_id: &str, hint: &str) -> Option<Tool> {
    let (path, method, op) = doc["paths"].as_object()?.iter().find_map(|(path, item)| {
        item.as_object()?.iter().find_map(|(method, op)| {
            (op["operationId"] == operation_id).then(|| (path.clone(), method.to_uppercase(), op.clone()))
        })
    })?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let mut properties = Map::new();
    let mut required = Vec::new();
    let (mut path_params, mut query_params) = (Vec::new(), Vec::new());
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        let mut schema = inline(doc, &p["schema"], 0);
        if let Some(d) = p["description"].as_str() {
            schema["description"] = json!(d);
        }
        match p["in"].as_str() {
            Some("path") => {
                path_params.push((name.clone(), schema["format"] == "uuid"));
                required.push(json!(name));
            }
            Some("query") => query_params.push(name.clone()),
            // Headers (Idempotency-Key) are the HTTP client's business.
            _ => continue,
        }
        properties.insert(name, schema);
    }
    let body = &op["requestBody"]["content"]["application/json"]["schema"];
    let has_body = !body.is_null();
    if has_body {
        let body = inline(doc, body, 0);
        // An optional body (`oneOf: [schema, null]`) offers the schema's fields.
        let body =
            body["oneOf"].as_array().and_then(|v| v.iter().find(|s| s["type"] != "null").cloned()).unwrap_or(body);
        for (k, v) in body["properties"].as_object().into_iter().flatten() {
            properties.insert(k.clone(), v.clone());
        }
        required.extend(body["required"].as_array().into_iter().flatten().cloned());
    }
    let read_only = method == Method::GET;
    // Overwrites or takes away what the caller made.
    let destructive = method == Method::DELETE
        || method == Method::PATCH
        || path.ends_with("/cancel")
        || path.ends_with("/disconnect");
    // Repeating the call leaves the same state.
    let idempotent = read_only || method == Method::PUT || method == Method::DELETE || path.ends_with("/complete");
    // Reaches the social platforms (a post that will be published), not only PostMantis.
    let open_world = matches!(operation_id, "create_post" | "publish_draft" | "update_post");
    Some(Tool {
        name: format!("postmantis.{operation_id}"),
        description: hint.to_owned(),
        input_schema: json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        }),
        annotations: json!({
            "readOnlyHint": read_only,
            "destructiveHint": destructive,
            "idempotentHint": idempotent,
            "openWorldHint": open_world,
        }),
        method,
        path,
        path_params,
        query_params,
        has_body,
    })
}

/// A schema with every `#/components/schemas/…` reference replaced by its definition, so
/// a client needs nothing else to read it.
fn inline(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 16 {
        return json!({});
    }
    match schema {
        Value::Object(map) => {
            if let Some(name) =
                map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                return inline(doc, &doc["components"]["schemas"][name], depth + 1);
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), inline(doc, v, depth + 1))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(doc, v, depth + 1)).collect()),
        other => other.clone(),
    }
}

impl Tool {
    /// The API request this call makes: (method, path with query, JSON body).
    pub fn request(&self, args: &Value) -> Result<(Method, String, Option<Value>), String> {
        let mut path = self.path.clone();
        for (name, uuid) in &self.path_params {
            let raw = args[name].as_str().ok_or_else(|| format!("`{name}` is required"))?;
            // Ids go into a path: only a UUID (or a plain word), so `../webhooks` cannot
            // reach another route.
            let value = if *uuid {
                uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| format!("`{name}` must be a UUID"))?
            } else if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                raw.to_owned()
            } else {
                return Err(format!("`{name}` must be a plain name"));
            };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for k in &self.query_params {
            match &args[k.as_str()] {
                Value::Array(items) => {
                    for i in items.iter().filter_map(Value::as_str) {
                        q.append_pair(k, i);
                    }
                }
                Value::String(s) => {
                    q.append_pair(k, s);
                }
                v @ (Value::Number(_) | Value::Bool(_)) => {
                    q.append_pair(k, &v.to_string());
                }
                _ => {}
            }
        }
        let query = q.finish();
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let body = self.has_body.then(|| {
            let mut b = args.as_object().cloned().unwrap_or_default();
            for (name, _) in &self.path_params {
                b.remove(name);
            }
            for name in &self.query_params {
                b.remove(name);
            }
            Value::Object(b)
        });
        Ok((self.method.clone(), path, body))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_exposed_operation_is_a_tool_with_its_parameters_and_body_fields() {
        assert_eq!(all().len(), EXPOSED.len(), "an exposed operation id is not in the OpenAPI document");
        let create = find("postmantis.create_post").unwrap();
        let props = create.input_schema["properties"].as_object().unwrap();
        for k in ["post", "profiles", "media", "provider_options", "dry_run"] {
            assert!(props.contains_key(k), "create_post lacks {k}: {props:?}");
        }
        assert!(create.input_schema.to_string().contains("scheduled_at"), "nested fields are inlined");
        assert!(!create.input_schema.to_string().contains("$ref"));
        let get = find("postmantis.get_post").unwrap();
        assert_eq!(get.input_schema["required"], json!(["id"]));
        let logs = find("postmantis.list_publish_logs").unwrap();
        assert!(logs.input_schema["properties"]["limit"].is_object());
    }

    #[test]
    fn every_tool_says_whether_it_reads_destroys_or_repeats_safely() {
        let of = |name: &str| &find(name).unwrap().annotations;
        assert_eq!(of("postmantis.get_post")["readOnlyHint"], true);
        assert_eq!(of("postmantis.get_post")["destructiveHint"], false);
        assert_eq!(of("postmantis.cancel_post")["destructiveHint"], true);
        assert_eq!(of("postmantis.delete_draft")["destructiveHint"], true);
        assert_eq!(of("postmantis.update_post")["destructiveHint"], true);
        assert_eq!(of("postmantis.create_post")["destructiveHint"], false);
        assert_eq!(of("postmantis.create_post")["openWorldHint"], true);
        assert_eq!(of("postmantis.complete_media_asset")["idempotentHint"], true);
        assert_eq!(of("postmantis.create_post")["idempotentHint"], false);
        for t in all() {
            for k in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                assert!(t.annotations[k].is_boolean(), "{} lacks {k}", t.name);
            }
        }
    }

    #[test]
    fn a_call_is_the_operation_s_request_and_path_arguments_are_checked() {
        let get = find("postmantis.get_post").unwrap();
        for bad in ["../webhooks", "x/../../api/keys", "", "0190d3e0-0000-7000-8000-00000000000%2F"] {
            let err = get.request(&json!({"id": bad})).unwrap_err();
            assert!(err.contains("must be a UUID"), "{bad}: {err}");
        }
        let id = "0190d3e0-0000-7000-8000-000000000001";
        let (method, path, body) = get.request(&json!({"id": id})).unwrap();
        assert_eq!((method, path, body), (Method::GET, format!("/api/posts/{id}"), None));
        let (method, path, body) =
            find("postmantis.update_post").unwrap().request(&json!({"id": id, "post": {"body": "b"}})).unwrap();
        assert_eq!((method, path), (Method::PATCH, format!("/api/posts/{id}")));
        assert_eq!(body, Some(json!({"post": {"body": "b"}})), "the id goes to the path only");
        let (_, path, _) =
            find("postmantis.list_posts").unwrap().request(&json!({"status": "draft", "page": 2})).unwrap();
        assert!(path.starts_with("/api/posts?") && path.contains("status=draft") && path.contains("page=2"), "{path}");
        let (_, path, _) = find("postmantis.create_post").unwrap().request(&json!({"dry_run": true})).unwrap();
        assert_eq!(path, "/api/posts?dry_run=true");
        let err = find("postmantis.get_platform").unwrap().request(&json!({"provider": "../posts"})).unwrap_err();
        assert!(err.contains("plain name"), "{err}");
    }
}
