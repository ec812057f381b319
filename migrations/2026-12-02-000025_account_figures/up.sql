-- A connected account's own figures over time (followers, posts), read daily by the
-- collector: append-only, NULL where the platform does not say.
CREATE TABLE account_snapshots (
    id            bigserial   PRIMARY KEY,
    profile_id    uuid        NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider      text        NOT NULL,
    collected_at  timestamptz NOT NULL DEFAULT now(),
    followers     bigint,
    posts         bigint,
    warnings      text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX account_snapshots_by_profile ON account_snapshots (profile_id, collected_at);

-- One job per connected profile, claimed like metric_jobs.
CREATE TABLE account_jobs (
    profile_id     uuid        PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    due_at         timestamptz NOT NULL,
    claimed_until  timestamptz,
    failures       integer     NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX account_jobs_due ON account_jobs (due_at);
