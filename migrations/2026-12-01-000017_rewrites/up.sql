-- Rewrites of a draft by the assistant after review feedback: queued by the API, run by
-- the scheduler (a model call, retried when the model server is away), outcome kept.
CREATE TABLE rewrite_jobs (
    id           uuid PRIMARY KEY,
    post_id      uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    feedback     text[] NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    body_before  text,
    body_after   text,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX rewrite_jobs_by_post ON rewrite_jobs (post_id, created_at);
