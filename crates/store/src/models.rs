use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{
    DeliveryId, DeliveryStatus, MediaStatus, PostId, PostStatus, ProfileId, ProfileStatus, Provider, WorkspaceId,
};
use serde_json::Value;
use uuid::Uuid;

use crate::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub permission: String,
    pub providers: Option<Vec<String>>,
    pub profile_ids: Option<Vec<ProfileId>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `publish | draft_only | approval_required`
    pub policy: String,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = profiles)]
pub struct ProfileRow {
    pub id: ProfileId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub name: String,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    pub external_id: String,
    pub access_token: Option<String>,
    pub status: ProfileStatus,
    pub expires_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub not_before: Option<DateTime<Utc>>,
    pub refresh_token: Option<String>,
    /// The account a post naming only its platform goes to (one per platform).
    pub is_default: bool,
    pub account_type: String,
    pub profile_url: Option<String>,
    pub scopes: Vec<String>,
    pub platform_meta: Value,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = profiles)]
pub struct NewProfile {
    pub id: ProfileId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub name: String,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    pub external_id: String,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: PostId,
    pub workspace_id: WorkspaceId,
    pub body: Option<String>,
    pub status: PostStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub provider_options: Value,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The trace of the request that created it (W3C `traceparent`).
    pub traceparent: Option<String>,
    pub hashtags: Vec<String>,
    /// One body per provider id, in place of `body` there.
    pub bodies: Value,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub campaign: Option<String>,
    /// Set by a soft delete: the post is out of sight of lists; its outcome stays readable.
    pub archived_at: Option<DateTime<Utc>>,
    /// The review layer (the scheduler's): `None` when never submitted.
    pub review: Option<domain::ReviewStatus>,
    /// The post's own say over review (`None`: the workspace's settings).
    pub requires_approval: Option<bool>,
    pub rejection_count: i32,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    /// Every edit is a new version; `review_version` is the one the review round is on,
    /// `approved_version` the one the last approval named.
    pub version: i32,
    pub review_version: Option<i32>,
    pub approved_version: Option<i32>,
    /// Who made the post (`key …`, `person …`).
    pub created_by: Option<String>,
    /// The posting queue it took its slot from.
    pub queue_id: Option<uuid::Uuid>,
    /// The parts after the body, each `{"body": …}` (empty: not a thread).
    pub thread: Value,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = posts)]
// None is written as NULL (every such column's default), not as DEFAULT: an insert
// that names DEFAULT is one diesel will not keep prepared (see `prepared`).
#[diesel(treat_none_as_default_value = false)]
pub struct NewPostRow {
    pub id: PostId,
    pub workspace_id: WorkspaceId,
    pub body: Option<String>,
    pub status: PostStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub provider_options: Value,
    pub traceparent: Option<String>,
    /// The Idempotency-Key it was created under (namespaced by the API key), if any.
    pub idempotency_key: Option<String>,
    pub hashtags: Vec<String>,
    pub bodies: Value,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub campaign: Option<String>,
    pub requires_approval: Option<bool>,
    pub created_by: Option<String>,
    pub queue_id: Option<uuid::Uuid>,
    /// The parts after the body, each `{"body": …}` (empty: not a thread).
    pub thread: Value,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub post_id: PostId,
    pub profile_id: ProfileId,
    pub provider: Provider,
    pub status: DeliveryStatus,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub provider_post_id: Option<String>,
    pub url: Option<String>,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media_assets)]
pub struct AssetRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub source_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub origin: String,
    pub alt_text: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = media_assets)]
pub struct NewAsset {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub source_url: Option<String>,
    pub kind: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub origin: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = post_media)]
pub struct PostMediaRow {
    pub id: Uuid,
    pub post_id: PostId,
    pub asset_id: Uuid,
    pub position: i32,
    pub alt: Option<String>,
    pub status: MediaStatus,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// 0: the post's own media; n: the n-th part of a thread after the body.
    pub part: i16,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = post_media)]
pub struct NewPostMedia {
    pub id: Uuid,
    pub post_id: PostId,
    pub asset_id: Uuid,
    pub position: i32,
    pub alt: Option<String>,
    pub part: i16,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: Uuid,
    pub exchange: String,
    pub routing_key: String,
    pub message_type: String,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub available_at: DateTime<Utc>,
    pub traceparent: Option<String>,
    /// How long the message waits in the retry queue (its expiration), if it goes there.
    pub expiration_ms: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = publish_log)]
pub struct PublishLogRow {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub delivery_id: Option<DeliveryId>,
    pub profile_id: Option<ProfileId>,
    pub provider: Option<Provider>,
    pub kind: String,
    pub message: Option<String>,
    pub url: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The event's place in the feed, given once its transaction has committed.
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = publish_log)]
// None is written as NULL (every such column's default), not as DEFAULT: an insert
// that names DEFAULT is one diesel will not keep prepared (see `prepared`).
#[diesel(treat_none_as_default_value = false)]
pub struct NewLogEntry {
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub delivery_id: Option<DeliveryId>,
    pub profile_id: Option<ProfileId>,
    pub provider: Option<Provider>,
    pub kind: String,
    pub message: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads)]
pub struct UploadRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub token_hash: String,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl NewLogEntry {
    /// An event about the post as a whole (not one delivery).
    pub fn post(workspace_id: WorkspaceId, post_id: PostId, kind: &str) -> Self {
        Self {
            workspace_id,
            post_id,
            delivery_id: None,
            profile_id: None,
            provider: None,
            kind: kind.to_owned(),
            message: None,
            url: None,
        }
    }
}
