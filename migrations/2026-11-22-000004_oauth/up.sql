-- Tokens are stored encrypted (AES-256-GCM, see domain::secrets); access_token too.
ALTER TABLE profiles ADD COLUMN refresh_token text;

-- A connect flow in progress: the PKCE verifier waits here (encrypted) for the callback.
CREATE TABLE oauth_states (
    state          text PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider       text NOT NULL,
    code_verifier  text NOT NULL,
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
