//! The OpenAPI 3.1 document of the public API, generated from the handlers' annotations
//! and the response types in `views`. Served at `/api/openapi.json`; committed as
//! `proto/openapi.json`, which a test keeps equal to this.

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        Components, Content, RefOr, Response,
        schema::Ref,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use uuid::Uuid;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PostMantis API",
        description = "Hand PostMantis a post for one or more connected profiles; it accepts at once, schedules, delivers to each provider in the background and reports every delivery's outcome. Every route is also served under `/api/v1` with the same JSON. Errors are `application/problem+json`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        routes::health::health,
        routes::profiles::list, routes::profiles::get, routes::profiles::disconnect,
        routes::posts::list, routes::posts::create, routes::posts::get, routes::posts::patch,
        routes::posts::delete, routes::posts::publish, routes::posts::cancel,
        routes::logs::list, routes::events::stream,
        routes::webhooks::create, routes::webhooks::list, routes::webhooks::delete, routes::webhooks::attempts,
        routes::platforms::list, routes::platforms::get,
        routes::uploads::create, routes::uploads::receive, routes::uploads::complete,
        routes::media::serve,
        routes::assistant::captions, routes::assistant::hashtags, routes::assistant::repurpose,
        routes::assistant::fit, routes::assistant::images, routes::assistant::image_templates,
        routes::rewrites::request, routes::rewrites::list,
        routes::reply_topics::list, routes::reply_topics::replace,
        routes::review::step, routes::review::comments, routes::review::comment,
        routes::review::pick_up, routes::review::delete_comment, routes::review::versions, routes::metrics::get, routes::metrics::refresh,
        routes::analytics::stats, routes::analytics::by_day, routes::analytics::by_profile, routes::analytics::best_times,
        routes::review_links::create, routes::review_links::list, routes::review_links::revoke,
        routes::bulk::create,
        routes::queues::list, routes::queues::create, routes::queues::get, routes::queues::update, routes::queues::delete,
        routes::campaigns::list, routes::campaigns::create, routes::campaigns::get, routes::campaigns::update,
        routes::campaigns::delete,
        routes::campaigns::schedule,
        routes::review::settings, routes::review::update_settings,
        routes::vault::list, routes::vault::download,
        routes::feeds::list, routes::feeds::create, routes::feeds::get, routes::feeds::update, routes::feeds::delete,
        routes::feeds::check, routes::feeds::pause, routes::feeds::resume,
        routes::inbox::list, routes::inbox::get, routes::inbox::update, routes::inbox::delete,
        routes::inbox::reply, routes::inbox::poll,
    ),
    components(schemas(Problem, FieldErrorDoc)),
    modifiers(&Common),
    tags(
        (name = "posts", description = "Create, schedule, read, edit, cancel"),
        (name = "profiles", description = "Connected accounts"),
        (name = "media", description = "Upload sessions and owned media"),
        (name = "events", description = "Publishing Log, event stream, webhooks"),
        (name = "platforms", description = "Each platform's limits and options"),
        (name = "metrics", description = "Published posts' figures over time, kept by the collector"),
        (name = "feeds", description = "Feeds (RSS, Atom, JSON Feed) whose new items become posts"),
        (name = "inbox", description = "Comments, mentions and messages to the connected accounts, and replies sent exactly once"),
        (name = "operations", description = "Health"),
        (name = "review", description = "Review steps (QA and client stages), comments, the workspace's review settings"),
        (name = "assistant", description = "Captions, hashtags, repurposing and images from the operator's model; fitting text to each platform"),
    ),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The bytes served and committed: pretty JSON with a final newline.
pub fn json() -> String {
    let doc = serde_json::to_value(document()).unwrap_or_default();
    serde_json::to_string_pretty(&canonical(doc)).unwrap_or_default() + "\n"
}

/// The document with every object's keys in sorted order. How serde_json orders a map
/// depends on a cargo feature any crate of a build may turn on (`preserve_order`), so a
/// workspace build and a single crate's build served the same document in two orders;
/// sorted, the bytes are the same in every build.
pub fn canonical(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

pub async fn serve_agency() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type("application/json").body(crate::agency::openapi::json())
}

pub async fn serve() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type("application/json").body(json())
}

/// The Bearer scheme, and the problem answers every authenticated route can give, added
/// to each operation once here rather than repeated on every handler.
struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("pm_…").build()),
        );
        let problem = |description: &str| -> RefOr<Response> {
            let mut r = Response::new(description);
            r.content.insert(
                "application/problem+json".into(),
                RefOr::T(Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))),
            );
            RefOr::T(r)
        };
        let common = [
            ("400", "Invalid request: `errors[]` names each field"),
            ("401", "Missing or invalid API key"),
            ("429", "Rate limited: see `Retry-After` and `RateLimit-*`"),
            ("500", "Internal error; nothing was written"),
            (
                "503",
                "A dependency is unavailable; see `Retry-After`. Nothing was written, unless `detail` names a post that may have been accepted (the database's answer lost after its commit): read that post before retrying",
            ),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = path == "/api/health" || path.starts_with("/media/") || path.starts_with("/uploads/");
            for op in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
            {
                for (code, text) in common {
                    if public && code == "401" {
                        continue;
                    }
                    op.responses.responses.entry(code.into()).or_insert_with(|| problem(text));
                }
                if !public {
                    let mut req =
                        utoipa::openapi::security::SecurityRequirement::new::<_, [&str; 0], &str>("api_key", []);
                    op.security.get_or_insert_with(Vec::new).push(std::mem::take(&mut req));
                }
            }
        }
    }
}

/// `application/problem+json` (RFC 9457), for every error.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// A relative URI `/problems/<slug>`.
    #[schema(example = "/problems/invalid-request")]
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    /// `invalid_request`, `unauthorized`, `forbidden`, `post_not_found`, `profile_not_found`,
    /// `upload_not_found`, `upload_not_ready`, `conflict`, `unsupported_media_type`,
    /// `payload_too_large`, `rate_limited`, `service_unavailable`, …
    #[schema(example = "invalid_request")]
    code: String,
    /// Present for validation errors.
    errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(ToSchema)]
#[schema(as = FieldError)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    #[schema(example = "post.scheduled_at")]
    field: String,
    message: String,
}

// ---- Envelopes and the shapes of answers built in the handlers ----

/// A post to create. `multipart/form-data` takes the same fields as `post[body]`,
/// `profiles[]`, `media[n][file|url|asset_id|alt]`, `provider_options[p][field]`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewPost {
    post: NewPostFields,
    /// Profile ids, each visible to the key and connected.
    profiles: Vec<Uuid>,
    media: Option<Vec<MediaInput>>,
    /// Per provider (`x`, `youtube`, …), its options as in `GET /api/platforms`; a
    /// `first_comment` is posted on the post right after it where the platform takes one.
    #[schema(value_type = Option<Object>)]
    provider_options: Option<Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewPostFields {
    body: Option<String>,
    /// A thread: every part, the first (the post's body) first; each part a string or
    /// `{"body": …}`. X, Bluesky, Threads and Mastodon (see `capabilities.threads` and
    /// `max_thread_parts` in `GET /api/platforms`); each part is checked and named
    /// (`post.thread[1]`).
    #[schema(value_type = Option<Vec<String>>)]
    thread: Option<Value>,
    /// Future time to publish at; absent or `null` means now.
    scheduled_at: Option<DateTime<Utc>>,
    /// Store as a draft; publish later.
    draft: Option<bool>,
    /// Hashtags, kept apart from the body and added to it where the platform takes them.
    hashtags: Option<Vec<String>>,
    /// One body per provider id, used instead of `body` there (checked against that
    /// platform's limits).
    #[schema(value_type = Option<Object>)]
    bodies: Option<Value>,
    labels: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    category: Option<String>,
    /// A campaign's id (`GET /api/campaigns`).
    campaign: Option<String>,
    /// The post's own say over review (`null`: the workspace's settings).
    requires_approval: Option<bool>,
    /// A posting queue of one of the post's profiles: the post takes its next free slot
    /// (no `scheduled_at`, not a draft).
    queue: Option<Uuid>,
}

/// Exactly one of `url`, `asset_id`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MediaInput {
    url: Option<String>,
    asset_id: Option<Uuid>,
    alt: Option<String>,
}

/// Only the fields to change; `null` clears a nullable one.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PostPatch {
    post: Option<PatchFields>,
    profiles: Option<Vec<Uuid>>,
    media: Option<Vec<MediaInput>>,
    #[schema(value_type = Option<Object>)]
    provider_options: Option<Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PatchFields {
    body: Option<String>,
    /// The whole thread, replacing the post's (its first part is the body); `[]` or `null`
    /// makes it a single post again.
    #[schema(value_type = Option<Vec<String>>)]
    thread: Option<Value>,
    /// Scheduled posts only; `null` means publish now.
    scheduled_at: Option<DateTime<Utc>>,
    /// Hashtags, kept apart from the body and added to it where the platform takes them.
    hashtags: Option<Vec<String>>,
    /// One body per provider id, used instead of `body` there (checked against that
    /// platform's limits).
    #[schema(value_type = Option<Object>)]
    bodies: Option<Value>,
    labels: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    category: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PublishBody {
    scheduled_at: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewWebhook {
    url: String,
    /// Event kinds; all when absent.
    events: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewUpload {
    filename: String,
    content_type: String,
    /// At most 1 GiB.
    size_bytes: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    /// `proto/openapi.json` is the contract agents read; run with `UPDATE_PROTO=1` after a
    /// deliberate change.
    #[test]
    fn proto_openapi_json_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/openapi.json");
        let current = super::json();
        if std::env::var("UPDATE_PROTO").is_ok() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == current, "the API drifted from proto/openapi.json (UPDATE_PROTO=1 to accept)");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_every_operation_documents_its_problems() {
        let v: serde_json::Value = serde_json::from_str(&super::json()).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        let paths = v["paths"].as_object().unwrap();
        assert!(paths.len() >= 18, "{} paths", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let problem = &op["responses"]["500"]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{method} {path} lacks its problem answers");
            }
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CaptionsBody {
    /// What the captions are about (≤ 4000 characters; data, never instructions).
    prompt: String,
    /// The platform (`x` when omitted): captions fit its limits.
    provider: Option<String>,
    /// professional (default), casual, humorous, inspirational, educational, provocative
    tone: Option<String>,
    #[schema(minimum = 1, maximum = 5)]
    count: Option<u32>,
    /// Add hashtags (default true), as many as the platform takes.
    hashtags: Option<bool>,
    emojis: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HashtagsBody {
    text: String,
    provider: Option<String>,
    #[schema(minimum = 1, maximum = 20)]
    count: Option<u32>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RepurposeBody {
    text: String,
    /// Where the text comes from (`blog`, `linkedin`, …).
    source: Option<String>,
    /// Provider ids: one version each.
    targets: Vec<String>,
    preserve_tone: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FitBody {
    text: String,
    providers: Vec<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImageBody {
    /// ≤ 4000 characters.
    prompt: String,
    /// 1024x1024 (default), 1024x1536 or 1536x1024
    size: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RewriteBody {
    /// The reviewers' comments (1 to 20, each ≤ 2000 characters): data for the model.
    feedback: Vec<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReplyTopic {
    topic: String,
    /// What to search X for.
    search_query: String,
    /// A reply to start from (≤ 280).
    draft_reply: String,
    context: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReplyTopicsBody {
    /// The whole list, in order (at most 50); it replaces the one before.
    topics: Vec<ReplyTopic>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewBody {
    /// submit, qa_approve, qa_reject, client_approve, client_reject, approve, reject (the
    /// legacy single stage), regenerate
    action: String,
    /// Required to reject at a stage (qa_reject, client_reject).
    reason: Option<String>,
    /// The version reviewed (the post's `version` as read): a step on an older one is a 409.
    version: Option<i32>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CommentBody {
    text: String,
    /// What the comment is about: `{type: text, text (≤ 400), offset}` or `{type: media,
    /// asset_id}` (one of the post's media). A text anchor is re-found after edits and
    /// flagged `stale` when its text is gone.
    #[schema(value_type = Option<Object>)]
    anchor: Option<serde_json::Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkBody {
    /// Up to 50 posts, each the body of `POST /api/posts`. A post without a date is a draft
    /// only when it says so (`post.draft`), as in a single create.
    #[schema(value_type = Vec<Object>)]
    posts: Vec<serde_json::Value>,
    /// Check every post, store nothing.
    dry_run: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeedBody {
    /// 1 to 200 characters (required on create).
    name: Option<String>,
    /// The feed's http(s) address: RSS 0.9–2.0, Atom or JSON Feed (required on create).
    feed_url: Option<String>,
    /// The profiles new items go to (required on create).
    profiles: Option<Vec<uuid::Uuid>>,
    /// The post text: `{{title}} {{url}} {{description}} {{author}} {{pubDate}}`, HTML
    /// stripped, fitted to every target platform (default `{{title}} {{url}}`).
    template: Option<String>,
    /// Attach the item's image (made an owned asset) when it has one.
    include_image: Option<bool>,
    /// What a new item becomes: `draft` (default), `review`, `queue` (with `queue`) or
    /// `best_time`. A key that may not publish gets `review` (or `draft`).
    becomes: Option<String>,
    /// The posting queue of one of `profiles`, when items become queued posts.
    queue: Option<uuid::Uuid>,
    /// 15 to 10080 (default 60).
    check_interval_minutes: Option<i32>,
    /// Older items the first check takes, newest first (0 to 50; create only; default 0:
    /// only what is published after the feed is added).
    backlog: Option<i32>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QueueBody {
    /// 1 to 100 characters, one per profile (required on create).
    name: Option<String>,
    /// IANA zone the slots are read in (required on create).
    timezone: Option<String>,
    /// Weekly slots `[{day_of_week (0 = Sunday), time "HH:MM"}]`, 1 to 100.
    #[schema(value_type = Option<Vec<Object>>)]
    slots: Option<serde_json::Value>,
    /// On an edit: move the posts waiting in the queue, in their order, to the new slots.
    reshuffle: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CampaignBody {
    /// 1 to 200 characters (required on create).
    name: Option<String>,
    /// draft, active or archived
    status: Option<String>,
    client_type: Option<String>,
    /// A flat list of day entries `{day, date (YYYY-MM-DD), pillar_id, channel, format, title, week}`.
    #[schema(value_type = Option<Vec<Object>>)]
    calendar: Option<serde_json::Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScheduleBody {
    /// The first instant a slot may take (a slot equal to it counts); now by default.
    start_date: Option<String>,
    /// auto (the calendar's dates when it has any, else the cadence), calendar or cadence
    mode: Option<String>,
    /// `{posts_per_day (1), hours (["09:00"]), days_of_week ([1, 3, 5]; 0 = Sunday)}`
    #[schema(value_type = Option<Object>)]
    cadence: Option<serde_json::Value>,
    /// Only posts going to one of these providers.
    platforms: Option<Vec<String>>,
    /// Also schedule posts awaiting review, approving them.
    include_pending: Option<bool>,
    /// IANA zone the slots are read in; the workspace's by default.
    timezone: Option<String>,
    /// Work out the schedule, store nothing.
    dry_run: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewLinkBody {
    /// The post the link opens (or `campaign`).
    post_id: Option<uuid::Uuid>,
    /// A campaign whose posts the link opens (or `post_id`).
    campaign: Option<String>,
    /// Who the link is for; every action through it is logged with this label.
    label: String,
    /// 1 to 2160; 168 (a week) unless given.
    expires_in_hours: Option<i64>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WorkspaceBody {
    requires_qa_approval: Option<bool>,
    requires_client_approval: Option<bool>,
    /// auto_publish, download_only or both
    delivery_mode: Option<String>,
    /// IANA zone
    timezone: Option<String>,
}
