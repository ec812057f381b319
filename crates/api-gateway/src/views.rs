//! The public JSON shapes: snake_case, optional fields present as `null` (contract [A]).
//! Each is a typed struct, so the OpenAPI document is derived from what is served.

use domain::{DeliveryId, PostId, ProfileId};

use chrono::{DateTime, Utc};
use domain::PostStatus;
use serde::Serialize;
use serde_json::Value;
use store::{models::*, posts::PostView};
use utoipa::ToSchema;
use uuid::Uuid;

/// Every successful JSON answer of one thing: `{"data": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    pub data: T,
}

impl<T> Envelope<T> {
    pub fn of(data: T) -> Self {
        Self { data }
    }
}

/// A list: `{"data": […], "meta": …}`, `meta` saying how to get the rest.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T, M> {
    pub data: Vec<T>,
    pub meta: M,
}

/// Offset paging: zero-based `page`, and the total of matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    /// Zero-based.
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Cursor paging of the Publishing Log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorMeta {
    pub limit: i64,
    /// Pass as `cursor` for older entries; `null` at the end.
    pub next_cursor: Option<String>,
}

/// A whole list in one answer, no paging: `meta` is empty.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct NoMeta {}

/// A post with its deliveries and media: the three status layers in one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Post {
    pub id: PostId,
    pub body: Option<String>,
    /// Post layer, owned by the scheduler.
    #[schema(example = "scheduled")]
    pub status: PostStatusDoc,
    pub draft: bool,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Per-provider options, as given.
    #[schema(value_type = Object)]
    pub provider_options: Value,
    pub hashtags: Vec<String>,
    /// One body per provider id, in place of `body` there.
    #[schema(value_type = Object)]
    pub bodies: Value,
    /// A thread, first part (the body) first; empty for a single post.
    pub thread: Vec<ThreadPart>,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub campaign: Option<String>,
    /// What became of the post, read from its status and its deliveries':
    /// `draft | scheduled | publishing | published | partially_published | failed | canceled`.
    #[schema(example = "published")]
    pub outcome: String,
    /// Set when the post was deleted (soft) on the agency surface; what was published stays.
    pub archived_at: Option<DateTime<Utc>>,
    /// The review layer (a draft in review): `pending_approval | qa_review | client_review |
    /// regenerating | changes_requested | approved | vaulted`; null when never submitted.
    pub review: Option<String>,
    pub rejection_count: i32,
    pub approved_at: Option<DateTime<Utc>>,
    /// Who gave the final approval.
    pub approved_by: Option<String>,
    /// The post's own say over review (null: the workspace's settings).
    pub requires_approval: Option<bool>,
    /// Every edit of a draft is a new version (see `GET /api/posts/{id}/versions`).
    pub version: i32,
    /// The version the current review round is on.
    pub review_version: Option<i32>,
    /// The version the final approval named (an edit withdraws it).
    pub approved_version: Option<i32>,
    /// Who made the post (`key …`, `person …`).
    pub created_by: Option<String>,
    pub media: Vec<PostMedia>,
    pub deliveries: Vec<Delivery>,
}

/// One part of a thread: its text and its own media (the first part's are the post's).
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadPart {
    pub body: String,
    pub media: Vec<PostMedia>,
}

/// One part of a delivery made public: the post (part 1), each next part of a thread, or
/// the first comment. Recorded as each is confirmed, so a failed delivery still shows
/// exactly what is out there.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPart {
    /// 1 for the post, then in order.
    pub part: i32,
    /// `post | reply | comment`
    pub kind: String,
    pub provider_post_id: String,
    pub url: String,
    pub published_at: DateTime<Utc>,
    /// Found by a look-up after an attempt's answer was lost.
    pub recovered: bool,
}

/// `draft | pending | scheduled | completed | canceled`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, pattern = "^(draft|pending|scheduled|completed|canceled)$")]
pub struct PostStatusDoc(pub String);

/// One medium of a post (media layer, owned by media-ingest).
#[derive(Debug, Serialize, ToSchema)]
pub struct PostMedia {
    pub id: Uuid,
    /// `pending | processed | failed`
    pub status: String,
    pub content_type: String,
    pub url: String,
    pub asset_id: Uuid,
    pub alt: Option<String>,
    pub error_message: Option<String>,
}

/// One profile's delivery of a post (delivery layer, owned by the delivery workers).
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: DeliveryId,
    pub profile_id: ProfileId,
    pub provider: String,
    pub profile_name: String,
    /// `pending | published | failed`
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub provider_post_id: Option<String>,
    pub url: Option<String>,
    pub error_message: Option<String>,
    /// For a thread or a post with a first comment: the parts public so far, in order.
    pub parts: Vec<DeliveryPart>,
}

pub fn post(v: &PostView, media_base: &str) -> Post {
    let p = &v.post;
    Post {
        id: p.id,
        body: p.body.clone(),
        status: PostStatusDoc(p.status.as_str().into()),
        draft: p.status == PostStatus::Draft,
        scheduled_at: p.scheduled_at,
        canceled_at: p.canceled_at,
        completed_at: p.completed_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
        provider_options: p.provider_options.clone(),
        hashtags: p.hashtags.clone(),
        bodies: p.bodies.clone(),
        thread: thread(v, media_base),
        labels: p.labels.clone(),
        tags: p.tags.clone(),
        category: p.category.clone(),
        campaign: p.campaign.clone(),
        outcome: v.outcome().as_str().to_owned(),
        archived_at: p.archived_at,
        review: p.review.map(|r| r.as_str().to_owned()),
        rejection_count: p.rejection_count,
        approved_at: p.approved_at,
        approved_by: p.approved_by.clone(),
        requires_approval: p.requires_approval,
        version: p.version,
        review_version: p.review_version,
        approved_version: p.approved_version,
        created_by: p.created_by.clone(),
        media: v.media.iter().map(|(m, a)| media(m, a, media_base)).collect(),
        deliveries: v.deliveries.iter().map(|(d, name)| delivery(d, name, p, &v.parts_of(d.id))).collect(),
    }
}

fn thread(v: &PostView, media_base: &str) -> Vec<ThreadPart> {
    let rest = domain::input::PostDetails::thread_from(&v.post.thread);
    if rest.is_empty() {
        return Vec::new();
    }
    let listed = |ms: &[&(PostMediaRow, AssetRow)]| ms.iter().map(|(m, a)| media(m, a, media_base)).collect();
    let first = ThreadPart {
        body: v.post.body.clone().unwrap_or_default(),
        media: listed(&v.media.iter().collect::<Vec<_>>()),
    };
    let parts = v.media_of_parts(rest.len());
    std::iter::once(first)
        .chain(rest.into_iter().zip(parts).map(|(body, ms)| ThreadPart { body, media: listed(&ms) }))
        .collect()
}

fn media(m: &PostMediaRow, a: &AssetRow, media_base: &str) -> PostMedia {
    PostMedia {
        id: m.id,
        status: m.status.as_str().into(),
        content_type: a.content_type.clone(),
        url: format!("{}/media/{}", media_base.trim_end_matches('/'), a.id),
        asset_id: a.id,
        alt: m.alt.clone(),
        error_message: m.error_message.clone(),
    }
}

fn delivery(d: &DeliveryRow, profile_name: &str, p: &PostRow, parts: &[&store::parts::PartRow]) -> Delivery {
    Delivery {
        id: d.id,
        profile_id: d.profile_id,
        provider: d.provider.as_str().to_owned(),
        profile_name: profile_name.to_owned(),
        status: d.status.as_str().into(),
        scheduled_at: p.scheduled_at,
        published_at: d.published_at,
        failed_at: d.failed_at,
        provider_post_id: d.provider_post_id.clone(),
        url: d.url.clone(),
        error_message: d.error_message.clone(),
        parts: parts
            .iter()
            .map(|x| DeliveryPart {
                part: i32::from(x.part) + 1,
                kind: x.kind.clone(),
                provider_post_id: x.provider_post_id.clone(),
                url: x.url.clone(),
                published_at: x.published_at,
                recovered: x.recovered,
            })
            .collect(),
    }
}

/// A connected account on one platform.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub id: ProfileId,
    pub name: String,
    pub provider: String,
    /// `active | reauth_required | disconnected`
    pub status: String,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    /// When the stored access token expires (refreshed ahead of it).
    pub expires_at: Option<DateTime<Utc>>,
    /// `personal`, `page`, `organization` or `board`: what the connection publishes as.
    pub account_type: String,
    /// The profile a post naming only its platform goes to (agency surface).
    pub is_default: bool,
    /// What the profile supplies to its posts (`options`, e.g. a board's `board_id`).
    #[schema(value_type = Object)]
    pub platform_meta: Value,
    pub posts_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn profile(p: &ProfileRow, posts_count: i64) -> Profile {
    Profile {
        id: p.id,
        name: p.name.clone(),
        provider: p.provider.as_str().to_owned(),
        status: p.status.as_str().into(),
        username: p.username.clone(),
        picture_url: p.picture_url.clone(),
        expires_at: p.expires_at,
        account_type: p.account_type.clone(),
        is_default: p.is_default,
        platform_meta: p.platform_meta.clone(),
        posts_count,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// A domain event of the Publishing Log (also the event feed's and webhooks' payload).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntry {
    /// Increasing; the cursor and the SSE event id.
    pub id: String,
    #[schema(example = "delivery.published")]
    pub kind: String,
    pub post_id: PostId,
    pub delivery_id: Option<DeliveryId>,
    pub profile_id: Option<ProfileId>,
    pub provider: Option<String>,
    pub message: Option<String>,
    pub url: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

pub fn log_entry(e: &PublishLogRow) -> LogEntry {
    LogEntry {
        id: e.id.to_string(),
        kind: e.kind.clone(),
        post_id: e.post_id,
        delivery_id: e.delivery_id,
        profile_id: e.profile_id,
        provider: e.provider.map(|p| p.as_str().to_owned()),
        message: e.message.clone(),
        url: e.url.clone(),
        occurred_at: e.occurred_at,
    }
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event kinds; all when `null`.
    pub events: Option<Vec<String>>,
    /// `active | disabled`
    pub status: String,
    pub consecutive_failures: i32,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only in the answer to the create: the `whsec_` signing secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

pub fn webhook(e: &store::webhooks::Endpoint, secret: Option<String>) -> Webhook {
    Webhook {
        id: e.id,
        url: e.url.clone(),
        events: e.events.clone(),
        status: e.status.clone(),
        consecutive_failures: e.failures,
        disabled_reason: e.disabled_reason.clone(),
        created_at: e.created_at,
        updated_at: e.updated_at,
        secret,
    }
}

/// One send of an event to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAttempt {
    /// The event's position in the feed (a string: it may outgrow a JSON number).
    pub event_id: String,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
    pub at: DateTime<Utc>,
}

pub fn webhook_attempt(a: &store::webhooks::Attempt) -> WebhookAttempt {
    WebhookAttempt {
        event_id: a.event_id.to_string(),
        attempt: a.attempt,
        status_code: a.status_code,
        error: a.error.clone(),
        succeeded: a.succeeded,
        at: a.at,
    }
}

/// An endpoint's recent sends, with the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAttempts {
    pub data: Vec<WebhookAttempt>,
    pub endpoint: Webhook,
}

/// An upload session, and once completed the asset it became.
#[derive(Debug, Serialize, ToSchema)]
pub struct Upload {
    pub asset_id: Uuid,
    /// `pending | completed`
    pub status: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub upload_url: Option<String>,
    pub upload_method: Option<String>,
    #[schema(value_type = Object)]
    pub upload_headers: Value,
    pub expires_at: Option<DateTime<Utc>>,
    /// The owned asset's URL, once completed.
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub fn upload(u: &UploadRow, upload_url: Option<String>, media_base: &str) -> Upload {
    let done = u.status == "completed";
    Upload {
        asset_id: u.id,
        status: u.status.clone(),
        filename: u.filename.clone(),
        content_type: u.content_type.clone(),
        size_bytes: u.size_bytes,
        upload_url: if done { None } else { upload_url },
        upload_method: (!done).then(|| "PUT".to_owned()),
        upload_headers: if done {
            Value::Object(Default::default())
        } else {
            serde_json::json!({"Content-Type": u.content_type})
        },
        expires_at: (!done).then_some(u.expires_at),
        url: done.then(|| format!("{}/media/{}", media_base.trim_end_matches('/'), u.id)),
        created_at: u.created_at,
        completed_at: u.completed_at,
    }
}

/// Bytes an upload URL took.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    pub asset_id: Uuid,
    pub received_bytes: i64,
}

/// `GET /api/health`: liveness for anyone; with a key, the figures an operator needs,
/// limited to what the key may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok | degraded`
    pub status: &'static str,
    pub checks: HealthChecks,
    #[serde(flatten)]
    pub figures: Option<OperatorFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChecks {
    /// `ok | unavailable`
    pub database: &'static str,
    /// `ok | unavailable`
    pub broker: &'static str,
}

/// What a key sees beyond liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorFigures {
    /// Messages waiting in each queue.
    pub queues: std::collections::BTreeMap<String, u32>,
    /// Consumers attached to each queue (a delivery queue with none is not delivered).
    pub consumers: std::collections::BTreeMap<String, u32>,
    /// When the queue figures were read (they are refreshed every few seconds).
    pub queues_read_at: Option<DateTime<Utc>>,
    /// What an operator must act on: a queue nothing consumes, say.
    pub warnings: Vec<String>,
    /// Each reconciliation sweep's last run: when, and the stuck work it re-drove.
    #[schema(value_type = Object)]
    pub reconciliation: Value,
    /// Outbox rows not yet handed to the broker.
    pub outbox_backlog: i64,
    pub stale: StaleWork,
    /// Per provider: the last 24 hours' outcomes and deliveries overdue.
    pub providers: std::collections::BTreeMap<String, ProviderFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaleWork {
    /// Accepted more than five minutes ago and still pending.
    pub pending_posts: i64,
    /// Due more than five minutes ago and still not dispatched.
    pub overdue_posts: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderFigures {
    pub published_24h: i64,
    pub failed_24h: i64,
    pub stale_deliveries: i64,
}
