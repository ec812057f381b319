-- A published delivery's figures over time: append-only, one row per read. A figure the
-- platform does not give is NULL, never 0; `warnings` says what it stopped giving.
CREATE TABLE metric_snapshots (
    id            bigserial   PRIMARY KEY,
    delivery_id   uuid        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    post_id       uuid        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider      text        NOT NULL,
    collected_at  timestamptz NOT NULL DEFAULT now(),
    trigger       text        NOT NULL CHECK (trigger IN ('scheduled', 'on_demand')),
    impressions   bigint,
    reach         bigint,
    likes         bigint,
    comments      bigint,
    shares        bigint,
    saves         bigint,
    clicks        bigint,
    video_views   bigint,
    warnings      text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX metric_snapshots_by_delivery ON metric_snapshots (delivery_id, collected_at);
CREATE INDEX metric_snapshots_by_workspace ON metric_snapshots (workspace_id, collected_at);

-- The collector's work: one row per published delivery, claimed with FOR UPDATE SKIP
-- LOCKED by any replica. `due_at` NULL: its schedule has ended.
CREATE TABLE metric_jobs (
    delivery_id    uuid        PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    due_at         timestamptz,
    claimed_until  timestamptz,
    -- A refresh asked for at this time (an on-demand snapshot).
    requested_at   timestamptz,
    failures       integer     NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX metric_jobs_due ON metric_jobs (due_at) WHERE due_at IS NOT NULL;
