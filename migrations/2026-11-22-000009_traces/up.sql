-- The W3C trace context of the request that wrote the row: an outbox message is sent
-- after commit, and a scheduled post is dispatched later, both in that request's trace.
ALTER TABLE outbox ADD COLUMN traceparent text;
ALTER TABLE posts ADD COLUMN traceparent text;
