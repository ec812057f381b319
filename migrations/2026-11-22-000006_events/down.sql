DELETE FROM publish_log WHERE kind IN ('post.accepted', 'post.completed');
ALTER TABLE publish_log DROP CONSTRAINT publish_log_kind_check;
ALTER TABLE publish_log ADD CONSTRAINT publish_log_kind_check CHECK (kind IN (
    'post.queued', 'post.scheduled', 'delivery.published', 'delivery.failed', 'delivery.manual_retry', 'post.canceled'));
