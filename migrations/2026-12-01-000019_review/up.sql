-- Review, the fourth status layer (owned by the scheduler, like the post workflow): a post
-- stays a draft while in review and enters the publishing workflow only on final approval.
-- What a workspace requires of review, and the comments reviewers leave.
CREATE TABLE workspace_settings (
    workspace_id             uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    requires_qa_approval     boolean NOT NULL DEFAULT false,
    requires_client_approval boolean NOT NULL DEFAULT false,
    delivery_mode            text    NOT NULL DEFAULT 'auto_publish'
        CHECK (delivery_mode IN ('auto_publish', 'download_only', 'both')),
    timezone                 text    NOT NULL DEFAULT 'UTC',
    updated_at               timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE posts
    ADD COLUMN review text CHECK (review IN ('pending_approval', 'qa_review', 'client_review', 'regenerating',
                                             'changes_requested', 'approved', 'vaulted')),
    ADD COLUMN requires_approval boolean,
    ADD COLUMN rejection_count integer NOT NULL DEFAULT 0,
    ADD COLUMN approved_at timestamptz,
    ADD COLUMN approved_by text;

CREATE TABLE post_comments (
    id           uuid PRIMARY KEY,
    post_id      uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('comment', 'qa_rejection', 'client_rejection')),
    text         text NOT NULL,
    author       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    picked_up_at timestamptz
);
CREATE INDEX post_comments_by_post ON post_comments (post_id, created_at);
