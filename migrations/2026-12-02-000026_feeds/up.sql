-- Feeds that auto-post: a subscription per row, checked by the collector when due
-- (claimed with FOR UPDATE SKIP LOCKED), and every item it has seen with its fate.
CREATE TABLE feeds (
    id                      uuid        PRIMARY KEY,
    workspace_id            uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                    text        NOT NULL,
    feed_url                text        NOT NULL,
    profile_ids             uuid[]      NOT NULL,
    template                text        NOT NULL,
    include_image           boolean     NOT NULL DEFAULT false,
    becomes                 text        NOT NULL CHECK (becomes IN ('draft', 'review', 'queue', 'best_time')),
    queue_id                uuid        REFERENCES posting_queues (id) ON DELETE SET NULL,
    check_interval_minutes  integer     NOT NULL CHECK (check_interval_minutes >= 15),
    -- Older items the first check takes (a new feed takes only what is published after it).
    backlog                 integer     NOT NULL DEFAULT 0 CHECK (backlog >= 0),
    status                  text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_reason           text,
    error_count             integer     NOT NULL DEFAULT 0,
    last_error              text,
    last_checked_at         timestamptz,
    next_check_at           timestamptz NOT NULL DEFAULT now(),
    claimed_until           timestamptz,
    etag                    text,
    last_modified           text,
    created_by              text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feeds_by_workspace ON feeds (workspace_id, created_at);
CREATE INDEX feeds_due ON feeds (next_check_at) WHERE status = 'active';

CREATE TABLE feed_items (
    id            bigserial   PRIMARY KEY,
    feed_id       uuid        NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    -- The item's own id (guid, Atom id) or, without one, its normalised link.
    item_key      text        NOT NULL,
    link          text,
    title         text,
    published_at  timestamptz,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    fate          text        NOT NULL CHECK (fate IN ('posted', 'skipped')),
    reason        text,
    post_id       uuid        REFERENCES posts (id) ON DELETE SET NULL,
    UNIQUE (feed_id, item_key)
);
CREATE INDEX feed_items_by_link ON feed_items (feed_id, link);
