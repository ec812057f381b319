-- What makes review trustworthy: an approval bound to a version, roles for people, key
-- policies that cannot publish alone, anchored comments, and review links for clients
-- without an account.

-- Every edit of a draft is a new version; a review round is for one version, and an
-- approval names the version it approved.
ALTER TABLE posts
    ADD COLUMN version          integer NOT NULL DEFAULT 1,
    ADD COLUMN review_version   integer,
    ADD COLUMN approved_version integer,
    -- Who made the post ("key …", "person …"): a key under approval_required never
    -- approves its own posts.
    ADD COLUMN created_by       text;

CREATE TABLE post_versions (
    post_id     uuid    NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    -- What the version said: body, bodies, hashtags, media, profiles, options, date.
    content     jsonb   NOT NULL,
    author      text    NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, version)
);

-- Roles: owners and admins run the workspace, editors write, clients review.
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
UPDATE memberships SET role = 'editor' WHERE role = 'member';
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
    CHECK (role IN ('owner', 'admin', 'editor', 'client'));
ALTER TABLE invitations ADD COLUMN role text NOT NULL DEFAULT 'editor'
    CHECK (role IN ('admin', 'editor', 'client'));

-- A key's policy: `publish` (what its permission allows), `draft_only` (creates and
-- submits, never publishes or approves), `approval_required` (what it makes passes review;
-- it never approves its own).
ALTER TABLE api_keys ADD COLUMN policy text NOT NULL DEFAULT 'publish'
    CHECK (policy IN ('publish', 'draft_only', 'approval_required'));

-- Comments: an anchor on the text or a media item (re-found after edits, stale when gone),
-- the version it was made on, and the kind of author.
ALTER TABLE post_comments
    ADD COLUMN anchor  jsonb,
    ADD COLUMN stale   boolean NOT NULL DEFAULT false,
    ADD COLUMN version integer;

-- A link a client reviews with, without an account: one post or a campaign's posts. Only
-- the SHA-256 of its secret is stored; it expires and can be revoked.
CREATE TABLE review_links (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id       uuid REFERENCES posts (id) ON DELETE CASCADE,
    campaign      text,
    label         text NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    CHECK ((post_id IS NULL) <> (campaign IS NULL))
);
CREATE INDEX review_links_workspace ON review_links (workspace_id, created_at DESC);

-- Review steps and comments are events too: on the Publishing Log, the event feed and
-- webhooks.
ALTER TABLE publish_log DROP CONSTRAINT publish_log_kind_check;
ALTER TABLE publish_log ADD CONSTRAINT publish_log_kind_check CHECK (kind IN (
    'post.accepted', 'post.queued', 'post.scheduled', 'delivery.published', 'delivery.failed',
    'delivery.manual_retry', 'post.canceled', 'post.completed',
    'post.review', 'comment.created', 'comment.picked_up', 'comment.deleted'));
