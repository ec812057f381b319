ALTER TABLE outbox DROP COLUMN expiration_ms;
