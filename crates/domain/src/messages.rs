//! Messages between services. Each has a stable `type` name carried in the AMQP `type`
//! property; the version lives in the name so a consumer can run beside an older producer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::{DeliveryId, DeliveryStatus, PostId, Provider, WorkspaceId};

/// A message body that knows its wire type name and, for events, its routing key.
pub trait Message: Serialize + DeserializeOwned {
    const TYPE: &'static str;
}

/// Events on the topic exchange; the routing key is the event name.
pub trait Event: Message {
    const ROUTING_KEY: &'static str;
}

macro_rules! event {
    ($name:ident, $ty:literal, $key:literal) => {
        impl Message for $name {
            const TYPE: &'static str = $ty;
        }
        impl Event for $name {
            const ROUTING_KEY: &'static str = $key;
        }
    };
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostAcceptedV1 {
    pub post_id: PostId,
    pub workspace_id: WorkspaceId,
}
event!(PostAcceptedV1, "post.accepted.v1", "post.accepted");

/// A draft's body is to be rewritten by the assistant (a rewrite job was queued).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewriteRequestedV1 {
    pub job_id: uuid::Uuid,
    pub post_id: PostId,
}
event!(RewriteRequestedV1, "rewrite.requested.v1", "rewrite.requested");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostScheduledV1 {
    pub post_id: PostId,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Whether the post had media still to prepare when this was sent (media-ingest
    /// skips its look when `false`; absent: look).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_pending: Option<bool>,
}
event!(PostScheduledV1, "post.scheduled.v1", "post.scheduled");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCompletedV1 {
    pub post_id: PostId,
    /// Whether the post had media still to prepare when this was sent (media-ingest
    /// skips its look when `false`; absent: look).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_pending: Option<bool>,
}
event!(PostCompletedV1, "post.completed.v1", "post.completed");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCanceledV1 {
    pub post_id: PostId,
}
event!(PostCanceledV1, "post.canceled.v1", "post.canceled");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliverySettledV1 {
    pub delivery_id: DeliveryId,
    pub post_id: PostId,
    pub status: DeliveryStatus,
}
event!(DeliverySettledV1, "delivery.settled.v1", "delivery.settled");

/// One delivery task, routed on the deliveries exchange by provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRequestedV1 {
    pub delivery_id: DeliveryId,
    pub post_id: PostId,
    pub provider: Provider,
    /// 1-based; the retry path republishes with `attempt + 1`.
    pub attempt: i32,
    /// The attempt this round of tries started at: 1, or later after a manual retry.
    /// The attempt budget counts from here.
    #[serde(default = "first")]
    pub first_attempt: i32,
    /// A manual retry: the worker first takes the failed delivery back to pending (its
    /// own transition), then makes this attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reopen: bool,
}

fn first() -> i32 {
    1
}

impl DeliveryRequestedV1 {
    /// A first attempt of a fresh round.
    pub fn first(delivery_id: DeliveryId, post_id: PostId, provider: Provider, attempt: i32) -> Self {
        Self { delivery_id, post_id, provider, attempt, first_attempt: attempt, reopen: false }
    }

    /// The first attempt of a manual retry of a failed delivery.
    pub fn retry_of_failed(delivery_id: DeliveryId, post_id: PostId, provider: Provider, attempt: i32) -> Self {
        Self { reopen: true, ..Self::first(delivery_id, post_id, provider, attempt) }
    }

    /// The next attempt of the same round (the delivery is pending by then).
    pub fn next(&self) -> Self {
        Self { attempt: self.attempt + 1, reopen: false, ..self.clone() }
    }

    /// Attempts made in this round including this one.
    pub fn round_attempts(&self) -> i32 {
        self.attempt - self.first_attempt + 1
    }
}
impl Message for DeliveryRequestedV1 {
    const TYPE: &'static str = "delivery.requested.v1";
}

/// One webhook send: an event of the log to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookRequestedV1 {
    pub endpoint_id: Uuid,
    pub event_id: i64,
    /// 1-based; failed sends come back with `attempt + 1` after a growing delay.
    pub attempt: i32,
}
impl Message for WebhookRequestedV1 {
    const TYPE: &'static str = "webhook.requested.v1";
}

/// Commands the gateway sends to the scheduler, which alone changes post status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum SchedulerCommandV1 {
    Cancel {
        post_id: PostId,
    },
    /// draft → pending, now or at `scheduled_at` (checked by the gateway first).
    PublishDraft {
        post_id: PostId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scheduled_at: Option<DateTime<Utc>>,
    },
    /// Hand a failed delivery out again (the dashboard's manual retry).
    RetryDelivery {
        post_id: PostId,
        delivery_id: DeliveryId,
    },
    /// A review step on a draft. `expected` is the review status the caller saw: another
    /// reviewer's step in between makes this one a conflict.
    Review {
        post_id: PostId,
        action: crate::ReviewAction,
        #[serde(default)]
        expected: Option<crate::ReviewStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who acts, as recorded on an approval or a rejection comment.
        actor: String,
        /// The version the reviewer saw: a step on an older one is a conflict.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<i32>,
    },
    /// A draft in review was edited into `version`: its review round starts again there,
    /// and an approval of an older version is withdrawn.
    Edited {
        post_id: PostId,
        version: i32,
    },
    /// A campaign's schedule: each draft into the publishing workflow at its slot
    /// (approved first where `approve`), all or nothing.
    ScheduleCampaign {
        slots: Vec<CampaignSlotV1>,
        actor: String,
    },
    /// New times for scheduled, undispatched posts (a posting queue's slots changed), all
    /// or nothing: each post must still be at `from`.
    Reschedule {
        moves: Vec<MoveV1>,
    },
    /// Edit a scheduled post whose deliveries were not dispatched yet.
    UpdateScheduled {
        post_id: PostId,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        body: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        scheduled_at: Option<Option<DateTime<Utc>>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_options: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media: Option<Vec<MediaRefV1>>,
        /// The rest of the post's fields, where they change.
        #[serde(default, skip_serializing_if = "DetailsPatchV1::is_empty")]
        details: Box<DetailsPatchV1>,
    },
}

/// One scheduled post's new time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveV1 {
    pub post_id: PostId,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
}

/// One post of a campaign's schedule, as the planner saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSlotV1 {
    pub post_id: PostId,
    pub scheduled_at: chrono::DateTime<chrono::Utc>,
    /// Approve it (it was awaiting review and the caller asked to include those).
    pub approve: bool,
    /// Its review status and version when planned: anything else now refuses the whole.
    pub expected: Option<crate::ReviewStatus>,
    pub version: i32,
}

/// Hashtags and per-provider bodies (part of what is delivered), labels, tags and
/// category: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DetailsPatchV1 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashtags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bodies: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub category: Option<Option<String>>,
    /// A thread's parts after the body (`[]`: no thread any more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Vec<String>>,
    /// Those parts' media, owned assets (set with `thread`, as long).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_media: Option<Vec<Vec<MediaRefV1>>>,
}

impl DetailsPatchV1 {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn of(patch: &crate::input::PostPatch) -> Self {
        Self {
            hashtags: patch.hashtags.clone(),
            bodies: patch.bodies.as_ref().map(|b| match crate::input::PostDetails::bodies_json(b) {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            }),
            labels: patch.labels.clone(),
            tags: patch.tags.clone(),
            category: patch.category.clone(),
            thread: patch.thread.clone(),
            // Owned assets only: the caller sets them once the media are the workspace's.
            thread_media: None,
        }
    }
}
impl Message for SchedulerCommandV1 {
    const TYPE: &'static str = "scheduler.command.v1";
}

/// A field that is present deserializes to `Some`, even when its value is `null`; an absent
/// one falls back to `#[serde(default)]`, i.e. `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaRefV1 {
    pub asset_id: Uuid,
    pub alt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommandReplyV1 {
    Done,
    NotFound,
    Conflict { detail: String },
}
impl Message for CommandReplyV1 {
    const TYPE: &'static str = "command.reply.v1";
}

/// What the gateway asks of media-ingest, which alone creates assets and owns media status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum MediaCommandV1 {
    /// Fetch a remote file into owned storage before a post is accepted.
    IngestRemote { workspace_id: WorkspaceId, url: String },
    /// Verify bytes the gateway staged (a multipart file) and make them an asset.
    IngestStaged { workspace_id: WorkspaceId, staged_id: Uuid, filename: Option<String> },
    /// Verify an upload session's bytes against what was declared.
    CompleteUpload { upload_id: Uuid },
    /// Remove assets made for a request whose post was not accepted.
    Discard { asset_ids: Vec<Uuid> },
}
impl Message for MediaCommandV1 {
    const TYPE: &'static str = "media.command.v1";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MediaReplyV1 {
    Ingested {
        asset_id: Uuid,
        content_type: String,
        size_bytes: i64,
    },
    /// The bytes are not there yet (an upload not PUT).
    NotReady {
        detail: String,
    },
    /// The input can never become an asset; `message` says why.
    Refused {
        message: String,
    },
    Done,
}
impl Message for MediaReplyV1 {
    const TYPE: &'static str = "media.reply.v1";
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_are_tagged_and_patch_fields_keep_null_apart_from_absent() {
        let id = PostId::default();
        let cmd = SchedulerCommandV1::UpdateScheduled {
            post_id: id,
            body: None,
            scheduled_at: Some(None),
            provider_options: None,
            media: None,
            details: Default::default(),
        };
        let v = serde_json::to_value(&cmd).unwrap();
        assert_eq!(v["command"], "update_scheduled");
        assert!(v.get("body").is_none());
        assert_eq!(v["scheduled_at"], serde_json::Value::Null);
        let back: SchedulerCommandV1 = serde_json::from_value(v).unwrap();
        // `null` means "publish now": it must survive the trip as Some(None), not vanish.
        assert!(matches!(back, SchedulerCommandV1::UpdateScheduled { scheduled_at: Some(None), body: None, .. }));
    }

    #[test]
    fn replies_and_events_have_stable_wire_shapes() {
        let r = CommandReplyV1::Conflict { detail: "x".into() };
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"outcome": "conflict", "detail": "x"}));
        assert_eq!(PostAcceptedV1::ROUTING_KEY, "post.accepted");
        assert_eq!(DeliverySettledV1::TYPE, "delivery.settled.v1");
        let d = DeliveryRequestedV1::first(DeliveryId::default(), PostId::default(), Provider::X, 1);
        assert_eq!(serde_json::to_value(&d).unwrap()["provider"], "x");
    }
}
