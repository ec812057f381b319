//! The queue contract as data: every message type with its channel and one example, as
//! committed in `proto/messages.json` for services deployed on their own.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::messages::*;
use crate::{DeliveryStatus, Provider};

/// Every message type with its channel and an example.
pub fn contract() -> serde_json::Value {
    use serde_json::json;
    fn id<T: From<Uuid>>(n: u128) -> T {
        T::from(Uuid::from_u128(n))
    }
    let at = DateTime::parse_from_rfc3339("2026-03-27T10:30:00Z").map(|t| t.with_timezone(&Utc)).ok();
    fn entry<M: Message>(channel: &str, routing_key: &str, example: &M) -> (String, serde_json::Value) {
        (
            M::TYPE.to_owned(),
            json!({"channel": channel, "routing_key": routing_key, "example": serde_json::to_value(example).unwrap_or_default()}),
        )
    }
    let events = "exchange postmantis.events (topic)";
    let entries = [
        entry(events, PostAcceptedV1::ROUTING_KEY, &PostAcceptedV1 { post_id: id(1), workspace_id: id(2) }),
        entry(
            events,
            PostScheduledV1::ROUTING_KEY,
            &PostScheduledV1 { post_id: id(1), scheduled_at: at, media_pending: Some(false) },
        ),
        entry(events, PostCompletedV1::ROUTING_KEY, &PostCompletedV1 { post_id: id(1), media_pending: Some(false) }),
        entry(events, PostCanceledV1::ROUTING_KEY, &PostCanceledV1 { post_id: id(1) }),
        entry(
            events,
            crate::messages::RewriteRequestedV1::ROUTING_KEY,
            &crate::messages::RewriteRequestedV1 { job_id: id(6), post_id: id(1) },
        ),
        entry(
            events,
            DeliverySettledV1::ROUTING_KEY,
            &DeliverySettledV1 { delivery_id: id(3), post_id: id(1), status: DeliveryStatus::Published },
        ),
        entry(
            "exchange postmantis.deliveries (direct), or postmantis.retry-wait (fanout, after the retry delay: each message's expiration)",
            "<provider id>",
            &DeliveryRequestedV1::first(id(3), id(1), Provider::X, 1),
        ),
        entry(
            "exchange postmantis.webhooks (direct) → queue webhooks.send",
            "send",
            &WebhookRequestedV1 { endpoint_id: id(5), event_id: 42, attempt: 1 },
        ),
        entry(
            "queue scheduler.rpc (request, reply_to + correlation_id)",
            "",
            &SchedulerCommandV1::UpdateScheduled {
                post_id: id(1),
                body: Some(Some("new words".into())),
                scheduled_at: Some(None),
                provider_options: None,
                media: Some(vec![MediaRefV1 { asset_id: id(4), alt: Some("a dot".into()) }]),
                details: Box::new(crate::messages::DetailsPatchV1 {
                    hashtags: Some(vec!["#launch".into()]),
                    ..Default::default()
                }),
            },
        ),
        entry(
            "queue scheduler.rpc (request, reply_to + correlation_id)",
            "",
            &SchedulerCommandV1::Review {
                post_id: id(1),
                action: crate::ReviewAction::QaApprove,
                expected: Some(crate::ReviewStatus::QaReview),
                reason: None,
                actor: "key 00000000-0000-0000-0000-000000000006".into(),
                version: Some(2),
            },
        ),
        entry(
            "queue scheduler.rpc (request, reply_to + correlation_id)",
            "",
            &SchedulerCommandV1::Edited { post_id: id(1), version: 3 },
        ),
        entry(
            "reply to scheduler.rpc",
            "",
            &CommandReplyV1::Conflict { detail: "Delivery has already started.".into() },
        ),
        entry(
            "queue media-ingest.rpc (request, reply_to + correlation_id)",
            "",
            &MediaCommandV1::IngestRemote { workspace_id: id(2), url: "https://example.com/card.png".into() },
        ),
        entry(
            "reply to media-ingest.rpc",
            "",
            &MediaReplyV1::Ingested { asset_id: id(4), content_type: "image/png".into(), size_bytes: 481_233 },
        ),
    ];
    serde_json::Value::Object(entries.into_iter().collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// `proto/messages.json` is the contract between independently deployed services;
    /// run with `UPDATE_PROTO=1` after a deliberate change.
    #[test]
    fn proto_messages_json_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/messages.json");
        let current = serde_json::to_string_pretty(&contract()).unwrap() + "\n";
        if std::env::var("UPDATE_PROTO").is_ok() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, current,
            "the message contract drifted from proto/messages.json (UPDATE_PROTO=1 to accept)"
        );
    }
}
