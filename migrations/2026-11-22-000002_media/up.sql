-- Upload sessions: the id becomes the asset's id once the bytes are verified.
CREATE TABLE uploads (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    -- SHA-256 of the secret in the upload URL (the URL is the credential, like a presigned one).
    token_hash    text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE status = 'pending';

-- What inspection found, so providers' media rules can be checked at acceptance.
ALTER TABLE media_assets
    ADD COLUMN kind        text NOT NULL DEFAULT 'image' CHECK (kind IN ('image', 'gif', 'video')),
    ADD COLUMN width       integer,
    ADD COLUMN height      integer,
    ADD COLUMN duration_ms bigint,
    -- upload: from an upload session (kept for later use); import / multipart: made for
    -- one request and removed if that request's post was never accepted.
    ADD COLUMN origin      text NOT NULL DEFAULT 'import' CHECK (origin IN ('upload', 'import', 'multipart'));
