-- Planning: campaigns that group posts (a post names its campaign in posts.campaign, the
-- campaign's id as text) and posting queues of weekly slots per profile.

CREATE TABLE campaigns (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    client_type  text,
    -- A flat list of day entries {day, date, pillar_id, channel, format, title, week}.
    calendar     jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id, created_at DESC);
CREATE INDEX posts_campaign ON posts (workspace_id, campaign) WHERE campaign IS NOT NULL;

-- A named queue of weekly slots {day_of_week 0–6, time HH:MM} in a zone, for one profile.
CREATE TABLE posting_queues (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    profile_id   uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    name         text NOT NULL,
    timezone     text NOT NULL,
    slots        jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (profile_id, name)
);

-- The queue a post took its slot from (a reshuffle moves the queue's posts).
ALTER TABLE posts ADD COLUMN queue_id uuid REFERENCES posting_queues (id) ON DELETE SET NULL;
CREATE INDEX posts_queue ON posts (queue_id) WHERE queue_id IS NOT NULL;
