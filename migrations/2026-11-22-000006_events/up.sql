-- The event feed (GET /api/events) also carries acceptance and completion; the Publishing
-- Log shows the seed's domain events unless these are asked for.
ALTER TABLE publish_log DROP CONSTRAINT publish_log_kind_check;
ALTER TABLE publish_log ADD CONSTRAINT publish_log_kind_check CHECK (kind IN (
    'post.accepted', 'post.queued', 'post.scheduled', 'delivery.published', 'delivery.failed',
    'delivery.manual_retry', 'post.canceled', 'post.completed'));
