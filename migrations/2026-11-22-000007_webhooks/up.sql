-- Outbound webhooks (Standard Webhooks signatures), fed from the event log.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url             text NOT NULL,
    -- whsec_…, encrypted like provider tokens.
    secret          text NOT NULL,
    -- Event kinds sent (NULL: all).
    events          text[],
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    -- Failed sends in a row; reset by a success.
    failures        integer NOT NULL DEFAULT 0,
    disabled_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id) WHERE status = 'active';

CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    endpoint_id   uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id      bigint NOT NULL,
    attempt       integer NOT NULL,
    status_code   integer,
    error         text,
    succeeded     boolean NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- How far the fan-out has read the event log (one row).
CREATE TABLE webhook_cursor (
    id             integer PRIMARY KEY CHECK (id = 1),
    last_event_id  bigint NOT NULL
);
INSERT INTO webhook_cursor (id, last_event_id) SELECT 1, coalesce(max(id), 0) FROM publish_log;
