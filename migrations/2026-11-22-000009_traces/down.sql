ALTER TABLE posts DROP COLUMN traceparent;
ALTER TABLE outbox DROP COLUMN traceparent;
