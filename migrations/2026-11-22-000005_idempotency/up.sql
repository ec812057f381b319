-- Idempotency-Key (Stripe semantics): the first response to a key is kept for 24 h and
-- replayed byte for byte; the same key with another request is refused.
CREATE TABLE idempotency_keys (
    workspace_id      uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key               text NOT NULL,
    -- SHA-256 of method, path and body.
    fingerprint       text NOT NULL,
    -- NULL while the first request is still running.
    response_status   integer,
    response_headers  jsonb,
    response_body     bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
