-- The Idempotency-Key a post was created under (namespaced by the API key that sent it):
-- a retry whose first request committed but never recorded its answer (the gateway died,
-- or the request was dropped) finds the post instead of creating a second one.
ALTER TABLE posts ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX posts_one_per_idempotency_key ON posts (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
