-- The engagement inbox: what each connected profile's audience addressed to it (comments,
-- mentions, messages, likes, shares, follows), polled by the collector or pushed by a
-- platform's webhook, known once per (profile, platform item).
CREATE TABLE inbox_items (
    id                uuid        PRIMARY KEY,
    workspace_id      uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    profile_id        uuid        NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    provider          text        NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('comment', 'mention', 'reply', 'dm', 'like', 'share', 'follow')),
    platform_item_id  text        NOT NULL,
    platform_url      text,
    from_name         text,
    from_username     text,
    from_avatar_url   text,
    from_profile_url  text,
    content           text        NOT NULL DEFAULT '',
    -- The platform's id of what it answers or is about, and our post when that is one of ours.
    about_platform_id text,
    root_platform_id  text,
    post_id           uuid        REFERENCES posts (id) ON DELETE SET NULL,
    status            text        NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read', 'replied', 'archived')),
    priority          text        NOT NULL DEFAULT 'normal' CHECK (priority IN ('high', 'normal', 'low')),
    sentiment         text        CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    can_reply         boolean     NOT NULL DEFAULT false,
    can_hide          boolean     NOT NULL DEFAULT false,
    can_delete        boolean     NOT NULL DEFAULT false,
    source            text        NOT NULL CHECK (source IN ('poll', 'webhook', 'api')),
    received_at       timestamptz NOT NULL,
    replied_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inbox_items_once UNIQUE (profile_id, platform_item_id)
);
CREATE INDEX inbox_items_by_workspace ON inbox_items (workspace_id, created_at DESC, id DESC);

-- One polling job per profile whose platform has an inbox: its cursors per kind (the
-- platform's since-id or page cursor), when it is due, and how the last poll went.
CREATE TABLE inbox_polls (
    profile_id     uuid        PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    workspace_id   uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    cursors        jsonb       NOT NULL DEFAULT '{}',
    due_at         timestamptz NOT NULL DEFAULT now(),
    claimed_until  timestamptz,
    polled_at      timestamptz,
    failures       integer     NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX inbox_polls_due ON inbox_polls (due_at);

-- A reply from the inbox is a post of one delivery that answers a platform item: the
-- delivery workers carry it with a post's guarantees. The platform ids are kept here, so
-- the reply still goes out if the item is deleted meanwhile.
CREATE TABLE post_replies (
    post_id           uuid PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    item_id           uuid REFERENCES inbox_items (id) ON DELETE SET NULL,
    platform_item_id  text NOT NULL,
    root_platform_id  text,
    item_url          text
);
CREATE INDEX post_replies_by_item ON post_replies (item_id);
