-- The agency surface (seed 002) over the same posts and profiles: what a post carries
-- besides its text (hashtags and one body per provider, both part of what is delivered;
-- labels, tags, category and campaign, which are not), a soft delete that leaves the
-- outcome readable, account metadata and one default account per platform, alt text on
-- owned media, and OAuth selections waiting for a choice of destinations.
ALTER TABLE posts
    ADD COLUMN hashtags    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN bodies      jsonb  NOT NULL DEFAULT '{}',
    ADD COLUMN labels      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN tags        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN category    text,
    ADD COLUMN campaign    text,
    ADD COLUMN archived_at timestamptz;

ALTER TABLE profiles
    ADD COLUMN is_default    boolean NOT NULL DEFAULT false,
    ADD COLUMN account_type  text    NOT NULL DEFAULT 'personal',
    ADD COLUMN profile_url   text,
    ADD COLUMN scopes        text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN platform_meta jsonb   NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX profiles_one_default_per_platform ON profiles (workspace_id, provider) WHERE is_default;

ALTER TABLE media_assets
    ADD COLUMN alt_text text,
    ADD COLUMN filename text;

ALTER TABLE oauth_states ADD COLUMN redirect_uri text;

CREATE TABLE oauth_pending (
    nonce        text PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider     text NOT NULL,
    -- Each option with its tokens, encrypted with the token key.
    options      jsonb NOT NULL,
    return_to    text,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Files kept in the media library (the agency surface's uploads and registrations): kept
-- like upload sessions' assets, not swept as a refused request's leftovers.
ALTER TABLE media_assets DROP CONSTRAINT media_assets_origin_check;
ALTER TABLE media_assets ADD CONSTRAINT media_assets_origin_check
    CHECK (origin IN ('upload', 'import', 'multipart', 'library'));
