//! The kinds of event the log records (and the event feed and webhooks carry).

/// The Publishing Log's domain events (seed: queued/scheduled, published, failed, manual
/// retry, canceled).
pub const PUBLISHING_LOG: &[&str] = &[
    "post.queued",
    "post.scheduled",
    "delivery.published",
    "delivery.failed",
    "delivery.manual_retry",
    "post.canceled",
    "post.review",
    "comment.created",
    "comment.picked_up",
    "comment.deleted",
];

/// Also in the event feed and webhooks; in the Publishing Log only when asked for.
pub const FEED_ONLY: &[&str] = &["post.accepted", "post.completed"];

pub fn is_kind(k: &str) -> bool {
    PUBLISHING_LOG.contains(&k) || FEED_ONLY.contains(&k)
}

pub fn all() -> Vec<&'static str> {
    PUBLISHING_LOG.iter().chain(FEED_ONLY).copied().collect()
}
