//! The agency surface's OpenAPI document (`/api/v1/social/openapi.json`, committed as
//! `proto/agency-openapi.json` and drift-tested): seed 002's routes as PostMantis serves
//! them. Written out here rather than derived: the handlers read seed-shaped JSON by hand
//! (every field optional in its own way), so the schemas say what the seed says.

use serde_json::{Map, Value, json};

use super::media::MIME_TYPES;

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

fn envelope(data: Value) -> Value {
    json!({
        "type": "object",
        "required": ["success", "data", "error", "meta"],
        "properties": {
            "success": {"type": "boolean", "enum": [true]},
            "data": data,
            "error": {"type": "null"},
            "meta": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/PageMeta"}]},
        },
    })
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn list_of(name: &str) -> Value {
    json!({"type": "array", "items": reference(name)})
}

fn ok(status: &str, description: &str, data: Value) -> (String, Value) {
    (
        status.to_owned(),
        json!({"description": description, "content": {"application/json": {"schema": envelope(data)}}}),
    )
}

/// The refusals every route can give, in the envelope.
const REFUSALS: [(&str, &str); 10] = [
    ("400", "Missing, malformed or out-of-range input; or no X-Org-Id"),
    ("401", "Unauthorized"),
    ("403", "The key has no access to this organisation, or is read-only"),
    ("404", "Not found"),
    ("409", "Conflict: already published, cancelled, or in use"),
    ("413", "Too large"),
    ("415", "Unsupported media type"),
    ("422", "Content over a platform limit, media a platform does not take, or a past date"),
    ("429", "Rate limited; wait for Retry-After seconds"),
    ("503", "A PostMantis service is unavailable; retry"),
];

fn refusals(responses: &mut Map<String, Value>) {
    for (code, _) in REFUSALS {
        responses.entry(code).or_insert_with(|| json!({"$ref": format!("#/components/responses/Refused{code}")}));
    }
}

fn refusal_responses() -> Value {
    let all: Map<String, Value> = REFUSALS
        .iter()
        .map(|(code, description)| {
            let answer =
                json!({"description": description, "content": {"application/json": {"schema": reference("Error")}}});
            (format!("Refused{code}"), answer)
        })
        .collect();
    Value::Object(all)
}

struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(String, Value)>,
    /// Routes without `X-Org-Id` (organisations, the OAuth callback).
    tenant: bool,
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn page_params() -> Vec<Value> {
    vec![
        query("page", json!({"type": "integer", "minimum": 1}), "From 1"),
        query("limit", json!({"type": "integer", "minimum": 1, "maximum": 100}), "Default 50"),
    ]
}

fn org_param() -> Value {
    query("orgId", json!({"type": "string"}), "The organisation; must equal X-Org-Id")
}

fn ops() -> Vec<Op> {
    let id = || vec![path_param("id")];
    let comment_params = || vec![path_param("id"), path_param("commentId")];
    let op = |method, path, id_: &'static str, summary, params: Vec<Value>, body: Option<Value>, responses| Op {
        method,
        path,
        id: id_,
        summary,
        params,
        body,
        responses,
        tenant: true,
    };
    let post_fields = json!({
        "orgId": {"type": "string"},
        "content": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"text": {"type": "string"}, "platformOverrides": {"type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"text": {"type": "string"}}}]}}}}]},
        "platforms": {"type": "array", "items": {"type": "string"}, "description": "twitter (x), linkedin, facebook, instagram, tiktok, pinterest, reddit, bluesky, threads, youtube, mastodon, dribbble"},
        "platform": {"type": "string", "description": "Legacy: one platform"},
        "accountIds": {"type": "array", "items": {"type": "string"}},
        "scheduledFor": {"type": "string", "description": "ISO 8601"},
        "scheduledAt": {"type": "string", "description": "Alias of scheduledFor"},
        "status": {"type": "string", "enum": ["draft", "scheduled", "pending_approval", "cancelled"]},
        "hashtags": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "category": {"type": "string", "enum": ["work", "personal", "ai", "sport", "sa", "other"]},
        "campaignId": {"type": "string"},
        "campaign": {"type": ["string", "null"]},
        "threadParts": {"type": "array", "items": {"type": "string"}, "description": "The whole thread, first part first (it is the post's text; content is not published separately). X, Bluesky, Threads and Mastodon; each part checked against the platform's limits"},
        "media": {"type": "array", "items": {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}, "type": {"type": "string"}, "altText": {"type": "string"}, "order": {"type": "integer"}}}},
        "title": {"type": "string", "description": "A PostMantis addition: the title of platforms that take one (YouTube, Dribbble, Reddit, Pinterest)"},
        "platformOptions": {"type": "object", "description": "A PostMantis addition: native provider_options keyed by platform name"},
    });
    let new_post = obj(post_fields.clone(), &["content"]);
    vec![
        Op {
            tenant: false,
            ..op(
                "get",
                "/api/v1/organizations",
                "list_organizations",
                "The key's organisation",
                vec![],
                None,
                vec![ok("200", "Organisations", list_of("Organization"))],
            )
        },
        op(
            "get",
            "/api/v1/campaigns",
            "agency_list_campaigns",
            "The organisation's campaigns, newest first",
            vec![query("status", json!({"type": "string", "enum": ["draft", "active", "archived"]}), "")],
            None,
            vec![ok("200", "Campaigns", json!({"type": "array", "items": {"type": "object"}}))],
        ),
        op(
            "post",
            "/api/v1/campaigns",
            "agency_create_campaign",
            "Create a campaign",
            vec![],
            Some(json_body(obj(campaign_fields(), &["name"]))),
            vec![ok("201", "The campaign", json!({"type": "object"}))],
        ),
        op(
            "get",
            "/api/v1/campaigns/{id}",
            "agency_get_campaign",
            "A campaign with its posts and their statuses",
            id(),
            None,
            vec![ok("200", "The campaign", json!({"type": "object"}))],
        ),
        op(
            "patch",
            "/api/v1/campaigns/{id}",
            "agency_update_campaign",
            "Edit a campaign (status, calendar …)",
            id(),
            Some(json_body(obj(campaign_fields(), &[]))),
            vec![ok("200", "The campaign", json!({"type": "object"}))],
        ),
        op(
            "post",
            "/api/v1/campaigns/{id}/schedule",
            "agency_schedule_campaign",
            "Schedule the campaign's approved posts by its calendar or a cadence",
            id(),
            Some(json!({"required": false, "content": {"application/json": {"schema": obj(json!({
                "orgId": {"type": "string"},
                "startDate": {"type": "string", "format": "date-time"},
                "mode": {"type": "string", "enum": ["auto", "calendar", "cadence"]},
                "cadence": obj(json!({"postsPerDay": {"type": "integer", "minimum": 1, "maximum": 24}, "hours": {"type": "array", "items": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}}, "daysOfWeek": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}}}), &[]),
                "platforms": {"type": "array", "items": {"type": "string"}},
                "includePending": {"type": "boolean"},
                "timezone": {"type": "string"},
                "dryRun": {"type": "boolean"}
            }), &[])}}})),
            vec![ok(
                "200",
                "The schedule",
                obj(
                    json!({"scheduled": {"type": "array", "items": {"type": "object"}}, "skipped": {"type": "array", "items": {"type": "object"}}, "totals": {"type": "object"}, "startDate": {"type": "string"}, "endDate": {"type": ["string", "null"]}, "mode": {"type": "string"}, "dryRun": {"type": "boolean"}}),
                    &["scheduled", "skipped", "totals", "startDate", "mode", "dryRun"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/platforms",
            "agency_list_platforms",
            "Every platform with its limits",
            vec![org_param()],
            None,
            vec![ok("200", "Platforms", list_of("Platform"))],
        ),
        op(
            "get",
            "/api/v1/social/platforms/{platform}",
            "agency_get_platform",
            "One platform",
            vec![path_param("platform"), org_param()],
            None,
            vec![ok("200", "The platform", reference("Platform"))],
        ),
        op(
            "get",
            "/api/v1/social/stats",
            "agency_stats",
            "Posts by status and platform, the approval rate, the last 30 days and seven weekly buckets (W1 oldest)",
            vec![org_param()],
            None,
            vec![ok(
                "200",
                "Stats",
                obj(
                    json!({"total": json!({"type": "integer"}), "byStatus": json!({"type": "object"}), "byPlatform": json!({"type": "object"}), "approvalRate": {"type": ["integer", "null"]},
                        "last30Days": json!({"type": "integer"}), "last30DaysSeries": {"type": "array", "items": obj(json!({"label": json!({"type": "string"}), "value": json!({"type": "integer"})}), &["label", "value"])}}),
                    &["total", "byStatus", "byPlatform", "approvalRate", "last30Days", "last30DaysSeries"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/analytics",
            "agency_analytics",
            "Every post's snapshots (platform, postId filters), or view=best-times / view=accounts",
            vec![
                org_param(),
                query("platform", json!({"type": "string"}), "Only this platform"),
                query("postId", json!({"type": "string"}), "Only this post's snapshots"),
                query(
                    "view",
                    json!({"type": "string", "enum": ["best-times", "accounts"]}),
                    "Best posting times, or per account",
                ),
            ],
            None,
            vec![ok(
                "200",
                "Snapshots, best-time slots or accounts",
                json!({"type": "array", "items": {"type": "object"}}),
            )],
        ),
        op(
            "get",
            "/api/v1/social/ai/best-time",
            "agency_best_time",
            "The best posting slots from the organisation's own history (or the platform's stated priors, said so)",
            vec![org_param(), query("platform", json!({"type": "string"}), "twitter by default")],
            None,
            vec![ok(
                "200",
                "Slots and a recommendation",
                obj(
                    json!({"slots": {"type": "array", "items": {"type": "object"}}, "recommendation": json!({"type": "string"}), "basis": json!({"type": "string"}), "timezone": json!({"type": "string"})}),
                    &["slots", "recommendation"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/inbox",
            "agency_list_inbox",
            "Inbox items of the organisation, newest first, a cursor page at a time",
            vec![
                org_param(),
                query(
                    "status",
                    json!({"type": "string", "enum": ["unread", "read", "replied", "archived"]}),
                    "Only these",
                ),
                query(
                    "type",
                    json!({"type": "string", "enum": ["comment", "mention", "reply", "dm", "like", "share", "follow"]}),
                    "Only these",
                ),
                query("platform", json!({"type": "string"}), "Only this platform"),
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": 200}), "Default 50"),
                query("startAfter", json!({"type": "string"}), "The cursor: the last item id of the page before"),
            ],
            None,
            vec![ok(
                "200",
                "A page",
                obj(
                    json!({"items": {"type": "array", "items": inbox_schema()}, "hasMore": {"type": "boolean"}, "cursor": {"type": ["string", "null"]}}),
                    &["items", "hasMore", "cursor"],
                ),
            )],
        ),
        op(
            "post",
            "/api/v1/social/inbox",
            "agency_create_inbox_item",
            "Add an item (kept once per account and platform item id)",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "platform": {"type": "string"}, "type": {"type": "string", "enum": ["comment", "mention", "reply", "dm", "like", "share", "follow"]},
                    "fromUser": {"type": "object", "properties": {"name": {"type": "string"}, "username": {"type": "string"}, "avatarUrl": {"type": "string"}, "profileUrl": {"type": "string"}}},
                    "content": {"type": "string"}, "platformItemId": {"type": "string", "minLength": 1}, "platformUrl": {"type": "string", "minLength": 1},
                    "accountId": {"type": "string"}, "priority": {"type": "string", "enum": ["high", "normal", "low"]}}),
                &["platform", "type", "fromUser", "content", "platformItemId", "platformUrl"],
            ))),
            vec![ok("201", "The item", inbox_schema()), ok("200", "Known already: that item", inbox_schema())],
        ),
        op(
            "post",
            "/api/v1/social/inbox/poll",
            "agency_poll_inbox",
            "Poll every connected account with an inbox now",
            vec![],
            None,
            vec![ok(
                "200",
                "Polled",
                obj(json!({"polled": {"type": "boolean"}, "newItems": {"type": "integer"}}), &["polled", "newItems"]),
            )],
        ),
        op(
            "get",
            "/api/v1/social/inbox/{id}",
            "agency_get_inbox_item",
            "One item with the replies sent to it",
            vec![path_param("id"), org_param()],
            None,
            vec![ok("200", "The item", inbox_schema())],
        ),
        op(
            "patch",
            "/api/v1/social/inbox/{id}",
            "agency_update_inbox_item",
            "Set an item's status and/or priority",
            vec![path_param("id")],
            Some(json_body(obj(
                json!({"status": {"type": "string", "enum": ["unread", "read", "replied", "archived"]}, "priority": {"type": "string", "enum": ["high", "normal", "low"]}}),
                &[],
            ))),
            vec![ok("200", "The item", inbox_schema())],
        ),
        op(
            "delete",
            "/api/v1/social/inbox/{id}",
            "agency_delete_inbox_item",
            "Hard-delete an item",
            vec![path_param("id"), org_param()],
            None,
            vec![ok("200", "Deleted", obj(json!({"deleted": {"type": "boolean"}}), &["deleted"]))],
        ),
        op(
            "post",
            "/api/v1/social/inbox/{id}/reply",
            "agency_reply_inbox_item",
            "Answer an item on its platform: published once, the item then replied",
            vec![path_param("id")],
            Some(json_body(obj(json!({"text": {"type": "string", "minLength": 1}}), &["text"]))),
            vec![ok(
                "202",
                "The reply post",
                obj(
                    json!({"inboxItemId": {"type": "string"}, "postId": {"type": "string"}, "status": {"type": "string"}}),
                    &["postId"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/rss/feeds",
            "agency_list_feeds",
            "Every RSS feed of the organisation (no pagination)",
            vec![org_param()],
            None,
            vec![ok("200", "Feeds", json!({"type": "array", "items": feed_schema()}))],
        ),
        op(
            "post",
            "/api/v1/social/rss/feeds",
            "agency_create_feed",
            "Subscribe to a feed: its new items become posts (drafts unless autoSchedule)",
            vec![],
            Some(json_body(feed_fields(&["name", "feedUrl", "targetPlatforms"]))),
            vec![ok("201", "The feed", feed_schema())],
        ),
        op(
            "get",
            "/api/v1/social/rss/feeds/{id}",
            "agency_get_feed",
            "One feed with its newest items and each item's fate",
            vec![path_param("id"), org_param()],
            None,
            vec![ok("200", "The feed", feed_schema())],
        ),
        op(
            "patch",
            "/api/v1/social/rss/feeds/{id}",
            "agency_update_feed",
            "Change a feed's configuration",
            vec![path_param("id")],
            Some(json_body(feed_fields(&[]))),
            vec![ok("200", "The feed", feed_schema())],
        ),
        op(
            "delete",
            "/api/v1/social/rss/feeds/{id}",
            "agency_delete_feed",
            "Hard-delete a feed (the posts it made stay)",
            vec![path_param("id"), org_param()],
            None,
            vec![ok("200", "Deleted", obj(json!({"deleted": {"type": "boolean"}}), &["deleted"]))],
        ),
        op(
            "post",
            "/api/v1/social/rss/feeds/{id}",
            "agency_feed_action",
            "check (default: checked within seconds), pause, or resume (error count reset)",
            vec![path_param("id")],
            Some(json_body(obj(json!({"action": {"type": "string", "enum": ["check", "pause", "resume"]}}), &[]))),
            vec![ok("200", "The feed", feed_schema())],
        ),
        op(
            "get",
            "/api/v1/social/health",
            "agency_health",
            "Deliveries and accounts by status",
            vec![org_param()],
            None,
            vec![ok("200", "Health", reference("Health"))],
        ),
        op(
            "get",
            "/api/v1/social/accounts",
            "agency_list_accounts",
            "Connected accounts (tokens never shown)",
            [
                vec![
                    org_param(),
                    query("platform", json!({"type": "string"}), "A platform name"),
                    query(
                        "status",
                        json!({"type": "string", "enum": ["active", "token_expired", "disconnected", "rate_limited"]}),
                        "",
                    ),
                ],
                page_params(),
            ]
            .concat(),
            None,
            vec![ok("200", "A page of accounts", list_of("Account"))],
        ),
        op(
            "post",
            "/api/v1/social/accounts",
            "agency_register_account",
            "Register a Bluesky account by app password",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "platform": {"type": "string"}, "identifier": {"type": "string"}, "appPassword": {"type": "string"}, "displayName": {"type": "string"}}),
                &["platform"],
            ))),
            vec![ok("201", "The account", reference("Account"))],
        ),
        op(
            "post",
            "/api/v1/social/accounts/confirm",
            "agency_confirm_accounts",
            "Connect the chosen destinations of a pending OAuth selection",
            vec![],
            Some(json_body(obj(
                json!({"nonce": {"type": "string"}, "selections": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer", "minimum": 0}, "isDefault": {"type": "boolean"}}, "required": ["index"]}}}),
                &["nonce", "selections"],
            ))),
            vec![ok(
                "201",
                "The connected accounts",
                obj(json!({"accountIds": {"type": "array", "items": {"type": "string"}}}), &["accountIds"]),
            )],
        ),
        op(
            "get",
            "/api/v1/social/accounts/{id}",
            "agency_get_account",
            "One account",
            id(),
            None,
            vec![ok("200", "The account", reference("Account"))],
        ),
        op(
            "put",
            "/api/v1/social/accounts/{id}",
            "agency_update_account",
            "Edit an account's description",
            id(),
            Some(json_body(obj(
                json!({"displayName": {"type": "string"}, "username": {"type": ["string", "null"]}, "avatarUrl": {"type": ["string", "null"]}, "profileUrl": {"type": ["string", "null"]}, "accountType": {"type": "string"}, "status": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string"}}, "platformMeta": {"type": "object"}}),
                &[],
            ))),
            vec![ok("200", "The account", reference("Account"))],
        ),
        op(
            "delete",
            "/api/v1/social/accounts/{id}",
            "agency_disconnect_account",
            "Disconnect (history kept, tokens cleared)",
            id(),
            None,
            vec![ok(
                "200",
                "Disconnected",
                obj(json!({"id": {"type": "string"}, "status": {"type": "string"}}), &["id", "status"]),
            )],
        ),
        op(
            "put",
            "/api/v1/social/accounts/{id}/set-default",
            "agency_set_default_account",
            "Make the account its platform's default",
            id(),
            None,
            vec![ok("200", "The default", obj(json!({"id": {"type": "string"}}), &["id"]))],
        ),
        op(
            "get",
            "/api/v1/social/oauth/{platform}",
            "agency_start_oauth",
            "Start OAuth: a redirect to the platform",
            vec![
                path_param("platform"),
                org_param(),
                query("redirectUrl", json!({"type": "string"}), "A local path to return to"),
            ],
            None,
            vec![("302".into(), json!({"description": "To the platform's consent page"}))],
        ),
        Op {
            tenant: false,
            ..op(
                "get",
                "/api/v1/social/oauth/{platform}/callback",
                "agency_oauth_callback",
                "The platform's redirect back",
                vec![
                    path_param("platform"),
                    query("code", json!({"type": "string"}), ""),
                    query("state", json!({"type": "string"}), ""),
                ],
                None,
                vec![
                    ok("200", "Connected, or a choice waits", json!({"type": "object"})),
                    ("303".into(), json!({"description": "Back to redirectUrl"})),
                ],
            )
        },
        op(
            "get",
            "/api/v1/social/oauth/pending/{nonce}",
            "agency_pending_oauth",
            "A pending choice of destinations",
            vec![path_param("nonce")],
            None,
            vec![ok(
                "200",
                "The options",
                obj(
                    json!({"platform": {"type": "string"}, "options": {"type": "array", "items": {"type": "object"}}}),
                    &["platform", "options"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/posts",
            "agency_list_posts",
            "Every matching post, by scheduledFor",
            vec![
                org_param(),
                query("platform", json!({"type": "string"}), ""),
                query("status", json!({"type": "string"}), ""),
                query("from", json!({"type": "string"}), "ISO 8601"),
                query("to", json!({"type": "string"}), "ISO 8601"),
            ],
            None,
            vec![ok("200", "Posts", list_of("Post"))],
        ),
        op(
            "post",
            "/api/v1/social/posts",
            "agency_create_post",
            "Create a post (draft or scheduled)",
            vec![json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string"}})],
            Some(json_body(new_post.clone())),
            vec![ok("201", "The post, read back", reference("Post"))],
        ),
        op(
            "post",
            "/api/v1/social/posts/bulk",
            "agency_bulk_posts",
            "Create up to 50 posts",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "posts": {"type": "array", "items": new_post}}),
                &["posts"],
            ))),
            vec![ok(
                "200",
                "Each post's result",
                obj(
                    json!({"total": {"type": "integer"}, "succeeded": {"type": "integer"}, "failed": {"type": "integer"}, "results": {"type": "array", "items": {"type": "object"}}}),
                    &["total", "succeeded", "failed", "results"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/posts/{id}",
            "agency_get_post",
            "One post",
            id(),
            None,
            vec![ok("200", "The post", reference("Post"))],
        ),
        op(
            "put",
            "/api/v1/social/posts/{id}",
            "agency_update_post",
            "Update a post",
            id(),
            Some(json_body(obj(post_fields, &[]))),
            vec![ok("200", "The post", reference("Post"))],
        ),
        op(
            "delete",
            "/api/v1/social/posts/{id}",
            "agency_delete_post",
            "Soft delete: cancelled",
            id(),
            None,
            vec![ok(
                "200",
                "Cancelled",
                obj(json!({"id": {"type": "string"}, "status": {"type": "string"}}), &["id", "status"]),
            )],
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/publish",
            "agency_publish_post",
            "Publish now",
            id(),
            None,
            vec![ok(
                "200",
                "Publishing",
                obj(
                    json!({"id": {"type": "string"}, "externalId": {"type": ["string", "null"]}, "platform": {"type": ["string", "null"]}, "status": {"type": "string"}}),
                    &["id", "externalId", "platform"],
                ),
            )],
        ),
        op(
            "post",
            "/api/v1/social/media/upload",
            "agency_upload_media",
            "Upload a file to the library",
            vec![],
            Some(
                json!({"required": true, "content": {"multipart/form-data": {"schema": obj(json!({"file": {"type": "string", "format": "binary"}, "altText": {"type": "string"}}), &["file"])}}}),
            ),
            vec![ok("201", "The file", reference("Media"))],
        ),
        op(
            "get",
            "/api/v1/social/media",
            "agency_list_media",
            "The library",
            [
                vec![
                    org_param(),
                    query("type", json!({"type": "string", "enum": ["image", "video", "gif"]}), ""),
                    query(
                        "status",
                        json!({"type": "string", "enum": ["uploading", "processing", "ready", "failed"]}),
                        "",
                    ),
                ],
                page_params(),
            ]
            .concat(),
            None,
            vec![ok("200", "A page of files", list_of("Media"))],
        ),
        op(
            "post",
            "/api/v1/social/media",
            "agency_register_media",
            "Register a file from a URL",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "originalUrl": {"type": "string"}, "originalFilename": {"type": "string"}, "originalMimeType": {"type": "string"}, "originalSize": {"type": "integer"}, "type": {"type": "string", "enum": ["image", "video", "gif"]}, "altText": {"type": "string"}}),
                &["originalUrl"],
            ))),
            vec![ok("201", "The file", reference("Media"))],
        ),
        op(
            "get",
            "/api/v1/social/media/{id}",
            "agency_get_media",
            "One file",
            id(),
            None,
            vec![ok("200", "The file", reference("Media"))],
        ),
        op(
            "delete",
            "/api/v1/social/media/{id}",
            "agency_delete_media",
            "Remove a file (refused while a post to be delivered uses it)",
            id(),
            None,
            vec![ok(
                "200",
                "Removed",
                obj(json!({"id": {"type": "string"}, "deleted": {"type": "boolean"}}), &["id", "deleted"]),
            )],
        ),
        op(
            "post",
            "/api/v1/social/ai/generate",
            "agency_ai_generate",
            "Captions from the operator's model, within the platform's limits",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "prompt": {"type": "string", "maxLength": 4000}, "platform": {"type": "string"}, "tone": {"type": "string", "enum": ["professional", "casual", "humorous", "inspirational", "educational", "provocative"]}, "includeHashtags": {"type": "boolean"}, "includeEmojis": {"type": "boolean"}, "count": {"type": "integer", "minimum": 1, "maximum": 5}, "context": {"type": "string"}}),
                &["prompt"],
            ))),
            vec![ok(
                "200",
                "Captions",
                obj(
                    json!({"captions": {"type": "array", "items": obj(json!({"text": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}}}), &["text", "hashtags"])}}),
                    &["captions"],
                ),
            )],
        ),
        op(
            "post",
            "/api/v1/social/ai/hashtags",
            "agency_ai_hashtags",
            "Hashtag suggestions",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "text": {"type": "string"}, "platform": {"type": "string"}, "count": {"type": "integer", "minimum": 1, "maximum": 20}}),
                &["text"],
            ))),
            vec![ok(
                "200",
                "Hashtags",
                obj(
                    json!({"hashtags": {"type": "array", "items": obj(json!({"tag": {"type": "string"}, "relevance": {"type": "number"}}), &["tag", "relevance"])}}),
                    &["hashtags"],
                ),
            )],
        ),
        op(
            "post",
            "/api/v1/social/ai/repurpose",
            "agency_ai_repurpose",
            "One version per target platform",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "text": {"type": "string"}, "sourcePlatform": {"type": "string"}, "targetPlatforms": {"type": "array", "items": {"type": "string"}}, "preserveTone": {"type": "boolean"}}),
                &["text", "targetPlatforms"],
            ))),
            vec![ok(
                "200",
                "Versions",
                obj(
                    json!({"versions": {"type": "array", "items": obj(json!({"platform": {"type": "string"}, "text": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}}}), &["platform", "text", "hashtags"])}}),
                    &["versions"],
                ),
            )],
        ),
        op(
            "post",
            "/api/v1/social/ai/image",
            "agency_ai_image",
            "An image, kept as an owned file of the library",
            vec![],
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "prompt": {"type": "string", "maxLength": 4000}, "size": {"type": "string", "enum": ["1024x1024", "1024x1536", "1536x1024"]}}),
                &["prompt"],
            ))),
            vec![ok(
                "200",
                "The image",
                obj(
                    json!({"id": {"type": "string"}, "url": {"type": "string"}, "revisedPrompt": {"type": ["string", "null"]}, "provider": {"type": "string"}}),
                    &["id", "url", "revisedPrompt", "provider"],
                ),
            )],
        ),
        Op {
            tenant: false,
            ..op(
                "get",
                "/api/v1/social/ai/image-templates",
                "agency_ai_image_templates",
                "Image prompt templates (no auth)",
                vec![],
                None,
                vec![ok(
                    "200",
                    "Templates",
                    json!({"type": "array", "items": obj(json!({"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "promptTemplate": {"type": "string"}, "suggestedSize": {"type": "string"}, "category": {"type": "string"}}), &["id", "name", "promptTemplate", "suggestedSize", "category"])}),
                )],
            )
        },
        op(
            "get",
            "/api/v1/social/x/reply-suggestions",
            "agency_x_reply_suggestions",
            "The workspace's X engagement topics",
            vec![org_param()],
            None,
            vec![ok(
                "200",
                "Topics",
                json!({"type": "array", "items": obj(json!({"topic": {"type": "string"}, "searchQuery": {"type": "string"}, "draftReply": {"type": "string"}, "context": {"type": "string"}}), &["topic", "searchQuery", "draftReply", "context"])}),
            )],
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/submit",
            "agency_submit_post",
            "Submit a draft into review",
            id(),
            None,
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/qa-approve",
            "agency_qa_approve",
            "QA approves",
            id(),
            None,
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/qa-reject",
            "agency_qa_reject",
            "QA rejects with a reason (the assistant rewrites it)",
            id(),
            Some(json_body(obj(json!({"orgId": {"type": "string"}, "reason": {"type": "string"}}), &["reason"]))),
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/client-approve",
            "agency_client_approve",
            "The client approves",
            id(),
            None,
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/client-reject",
            "agency_client_reject",
            "The client rejects with a reason",
            id(),
            Some(json_body(obj(json!({"orgId": {"type": "string"}, "reason": {"type": "string"}}), &["reason"]))),
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/regenerate",
            "agency_regenerate",
            "Have the assistant rewrite it now",
            id(),
            None,
            new_status(),
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/approve",
            "agency_approve",
            "Legacy single-stage approval",
            id(),
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "action": {"type": "string", "enum": ["approve", "reject"]}}),
                &["action"],
            ))),
            new_status(),
        ),
        op(
            "get",
            "/api/v1/social/posts/pending",
            "agency_pending_posts",
            "Posts waiting for a reviewer",
            vec![query("limit", json!({"type": "integer", "minimum": 1, "maximum": 100}), "Default 5")],
            None,
            vec![ok("200", "Posts", json!({"type": "array", "items": {"type": "object"}}))],
        ),
        op(
            "get",
            "/api/v1/social/posts/{id}/comments",
            "agency_list_comments",
            "Comments and rejection reasons",
            id(),
            None,
            vec![ok("200", "Comments", json!({"type": "array", "items": {"type": "object"}}))],
        ),
        op(
            "post",
            "/api/v1/social/posts/{id}/comments",
            "agency_add_comment",
            "Comment on a post",
            id(),
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "text": {"type": "string"}, "anchor": {"type": "object", "description": "{type: text, text, offset} or {type: image, mediaUrl}; strings clamped to 400 / 1000 characters"}}),
                &["text"],
            ))),
            vec![ok("201", "The comment", json!({"type": "object"}))],
        ),
        op(
            "patch",
            "/api/v1/social/posts/{id}/comments/{commentId}",
            "agency_pick_up_comment",
            "Mark a comment picked up by an agent (no body)",
            comment_params(),
            None,
            vec![ok("200", "The comment", json!({"type": "object"}))],
        ),
        op(
            "delete",
            "/api/v1/social/posts/{id}/comments/{commentId}",
            "agency_delete_comment",
            "Delete a comment",
            comment_params(),
            None,
            vec![ok(
                "200",
                "Deleted",
                obj(json!({"id": {"type": "string"}, "deleted": {"type": "boolean"}}), &["id", "deleted"]),
            )],
        ),
        op(
            "post",
            "/api/v1/portal/social/posts/{id}/publish-now",
            "agency_portal_publish_now",
            "Publish an approved post now",
            id(),
            None,
            new_status(),
        ),
        op(
            "post",
            "/api/v1/portal/social/posts/{id}/reschedule",
            "agency_portal_reschedule",
            "Reschedule an approved, unpublished post",
            id(),
            Some(json_body(obj(
                json!({"orgId": {"type": "string"}, "scheduledAt": {"type": "string", "format": "date-time"}}),
                &["scheduledAt"],
            ))),
            vec![ok(
                "200",
                "The post's new status and time",
                obj(
                    json!({"id": {"type": "string"}, "status": {"type": "string"}, "scheduledAt": {"type": ["string", "null"]}}),
                    &["id", "status"],
                ),
            )],
        ),
        op(
            "get",
            "/api/v1/social/vault",
            "agency_vault",
            "Approved content, published or not",
            vec![
                org_param(),
                query("platform", json!({"type": "string"}), ""),
                query("label", json!({"type": "string"}), ""),
                query("deliveryMode", json!({"type": "string"}), ""),
                query("from", json!({"type": "string"}), "ISO 8601"),
                query("to", json!({"type": "string"}), "ISO 8601"),
            ],
            None,
            vec![ok("200", "Vault posts", json!({"type": "array", "items": {"type": "object"}}))],
        ),
        op(
            "get",
            "/api/v1/social/posts/{id}/download",
            "agency_download_post",
            "The post as a JSON bundle (attachment, no envelope)",
            id(),
            None,
            vec![(
                "200".into(),
                json!({"description": "post-{id}.json", "content": {"application/json": {"schema": {"type": "object", "required": ["postId", "content", "platforms", "downloadFormat"]}}}}),
            )],
        ),
    ]
}

/// The answer of a review step or a portal action: the post's id and its new status.
fn feed_fields(required: &[&str]) -> Value {
    obj(
        json!({"orgId": {"type": "string"}, "name": {"type": "string"}, "feedUrl": {"type": "string", "format": "uri"},
            "targetPlatforms": {"type": "array", "items": {"type": "string"}}, "targetAccountIds": {"type": "array", "items": {"type": "string"}},
            "postTemplate": {"type": "string"}, "includeImage": {"type": "boolean"}, "autoSchedule": {"type": "boolean"},
            "schedulingStrategy": {"type": "string", "enum": ["queue", "optimal"]}, "checkIntervalMinutes": {"type": "integer", "minimum": 15},
            "backlog": {"type": "integer", "minimum": 0, "maximum": 50}}),
        required,
    )
}

fn inbox_schema() -> Value {
    obj(
        json!({"id": {"type": "string"}, "orgId": {"type": "string"}, "accountId": {"type": "string"}, "platform": {"type": "string"},
            "type": {"type": "string"}, "fromUser": {"type": "object"}, "content": {"type": "string"}, "postId": {"type": ["string", "null"]},
            "platformItemId": {"type": "string"}, "platformUrl": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["unread", "read", "replied", "archived"]}, "priority": {"type": "string", "enum": ["high", "normal", "low"]},
            "sentiment": {"type": ["string", "null"], "enum": ["positive", "neutral", "negative", null]},
            "canReply": {"type": "boolean"}, "createdAt": {"type": "string"}, "updatedAt": {"type": "string"}}),
        &["id", "platform", "type", "content", "platformItemId", "status", "priority"],
    )
}

fn feed_schema() -> Value {
    obj(
        json!({"id": {"type": "string"}, "orgId": {"type": "string"}, "name": {"type": "string"}, "feedUrl": {"type": "string"},
            "targetPlatforms": {"type": "array", "items": {"type": "string"}}, "targetAccountIds": {"type": "array", "items": {"type": "string"}},
            "postTemplate": {"type": "string"}, "includeImage": {"type": "boolean"}, "autoSchedule": {"type": "boolean"},
            "schedulingStrategy": {"type": "string"}, "checkIntervalMinutes": {"type": "integer"}, "status": {"type": "string", "enum": ["active", "paused"]},
            "pausedReason": {"type": ["string", "null"]}, "errorCount": {"type": "integer"}, "lastError": {"type": ["string", "null"]},
            "lastCheckedAt": {"type": ["string", "null"]}, "itemsPosted": {"type": "integer"}, "itemsSkipped": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object"}}}),
        &["id", "name", "feedUrl", "status", "errorCount"],
    )
}

fn new_status() -> Vec<(String, Value)> {
    vec![ok(
        "200",
        "The post's new status",
        obj(json!({"id": {"type": "string"}, "status": {"type": "string"}}), &["id", "status"]),
    )]
}

fn campaign_fields() -> Value {
    json!({
        "orgId": {"type": "string"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "status": {"type": "string", "enum": ["draft", "active", "archived"]},
        "clientType": {"type": ["string", "null"], "maxLength": 100},
        "calendar": {"type": "array", "items": {"type": "object", "properties": {"day": {}, "date": {"type": "string", "format": "date"}, "pillarId": {}, "channel": {"type": "string"}, "format": {"type": "string"}, "title": {"type": "string"}, "week": {}}}}
    })
}

fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    let ns = |t: &str| json!({"type": [t, "null"]});
    json!({
        "Error": {"type": "object", "required": ["success", "data", "error", "meta"], "properties": {
            "success": {"type": "boolean", "enum": [false]}, "data": {"type": "null"}, "error": s("string"), "meta": {"type": "null"}}},
        "PageMeta": obj(json!({"total": s("integer"), "page": s("integer"), "limit": s("integer")}), &["total", "page", "limit"]),
        "Organization": obj(json!({"id": s("string"), "name": s("string")}), &["id", "name"]),
        "Platform": obj(json!({"platform": s("string"), "name": s("string"), "maxCharacters": s("integer"), "maxMediaItems": s("integer"),
            "supportedMediaTypes": {"type": "array", "items": s("string")}, "supportsThreads": s("boolean"), "supportsHashtags": s("boolean"),
            "supportsCarousel": s("boolean"), "supportsFirstComment": s("boolean"), "maxThreadParts": s("integer"),
            "requiresMedia": s("boolean"), "active": s("boolean"),
            "capabilities": {"type": "object", "description": "What PostMantis does on the platform in this build; a request for a false one is refused naming it",
                "properties": {"threads": s("boolean"), "firstComment": s("boolean"), "carousel": s("boolean"), "edit": s("boolean"),
                    "delete": s("boolean"), "reply": s("boolean"), "metrics": s("boolean"),
                    "inbox": {"type": "object", "properties": {"comments": s("boolean"), "mentions": s("boolean"), "messages": s("boolean")}}}}}),
            &["platform", "maxCharacters", "maxMediaItems", "supportedMediaTypes", "supportsThreads", "supportsHashtags", "supportsCarousel", "active"]),
        "Health": obj(json!({
            "queue": obj(json!({"pending": s("integer"), "processing": s("integer"), "completed": s("integer"), "failed": s("integer"), "stale": s("integer")}), &["pending", "processing", "completed", "failed", "stale"]),
            "accounts": obj(json!({"active": s("integer"), "token_expired": s("integer"), "disconnected": s("integer"), "rate_limited": s("integer"), "total": s("integer")}), &["active", "token_expired", "disconnected", "rate_limited", "total"]),
            "timestamp": s("string")}), &["queue", "accounts", "timestamp"]),
        "Account": obj(json!({"id": s("string"), "orgId": s("string"), "platform": s("string"), "platformAccountId": s("string"), "displayName": s("string"),
            "username": ns("string"), "avatarUrl": ns("string"), "profileUrl": ns("string"), "accountType": s("string"),
            "status": {"type": "string", "enum": ["active", "token_expired", "disconnected", "rate_limited"]}, "isDefault": s("boolean"),
            "scopes": {"type": "array", "items": s("string")}, "platformMeta": s("object"), "connectedAt": s("string")}),
            &["id", "platform", "platformAccountId", "displayName", "accountType", "status", "isDefault"]),
        "Post": obj(json!({"id": s("string"), "orgId": s("string"), "platform": ns("string"), "platforms": {"type": "array", "items": s("string")},
            "accountIds": {"type": "array", "items": s("string")},
            "content": obj(json!({"text": s("string"), "platformOverrides": s("object")}), &["text", "platformOverrides"]),
            "media": {"type": "array", "items": s("object")}, "hashtags": {"type": "array", "items": s("string")},
            "labels": {"type": "array", "items": s("string")}, "tags": {"type": "array", "items": s("string")},
            "campaign": ns("string"), "category": s("string"), "threadParts": {"type": "array", "items": s("string")},
            "status": {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "partially_published", "failed", "cancelled"]},
            "scheduledAt": ns("string"), "scheduledFor": ns("string"), "publishedAt": ns("string"),
            "createdAt": s("string"), "updatedAt": s("string"), "deliveries": {"type": "array", "items": s("object")}}),
            &["id", "platforms", "accountIds", "content", "status", "scheduledFor"]),
        "Media": obj(json!({"id": s("string"), "url": s("string"), "storagePath": s("string"),
            "mimeType": {"type": "string", "enum": MIME_TYPES}, "type": s("string"), "altText": ns("string"), "size": s("integer"), "status": s("string")}),
            &["id", "url", "storagePath", "mimeType"]),
    })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for op in ops() {
        let mut responses: Map<String, Value> = op.responses.into_iter().collect();
        refusals(&mut responses);
        let mut operation = json!({
            "operationId": op.id,
            "summary": op.summary,
            "tags": ["agency"],
            "parameters": op.params,
            "responses": responses,
        });
        if let Some(body) = op.body {
            operation["requestBody"] = body;
        }
        if !op.tenant || op.path == "/api/v1/organizations" {
            operation["security"] = json!([{"api_key": []}]);
        }
        if op.path.ends_with("/callback") || op.path.ends_with("/image-templates") {
            operation["security"] = json!([]);
        }
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "PostMantis agency API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Seed 002's social-media-manager API over PostMantis: `Authorization: Bearer <API key>` and `X-Org-Id: <workspace id>`, answers in `{success, data, error, meta}`. PostMantis's own API (`/api/openapi.json`) is the primary contract.",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "security": [{"api_key": [], "org": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "api_key": {"type": "http", "scheme": "bearer"},
                "org": {"type": "apiKey", "in": "header", "name": "X-Org-Id"},
            },
            "schemas": schemas(),
            "responses": refusal_responses(),
        },
    })
}

/// The bytes served and committed: pretty JSON with a final newline.
pub fn json() -> String {
    serde_json::to_string_pretty(&crate::openapi::canonical(document())).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/agency-openapi.json` the document the gateway serves.
    #[test]
    fn the_committed_document_is_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/agency-openapi.json");
        let now = super::json();
        if std::env::var_os("UPDATE_PROTO").is_some() {
            if let Err(e) = std::fs::write(path, &now) {
                panic!("{e}");
            }
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == now, "the agency API drifted from proto/agency-openapi.json (UPDATE_PROTO=1 to accept)");
    }
}
