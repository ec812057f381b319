DROP INDEX IF EXISTS posts_one_per_idempotency_key;
ALTER TABLE posts DROP COLUMN idempotency_key;
