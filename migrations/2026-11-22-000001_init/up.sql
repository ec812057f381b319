-- Statuses are text with CHECK constraints: readable in psql, and the domain crate owns
-- their meaning. Every tenant-owned row carries workspace_id (directly or via its post).

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          text NOT NULL,
    -- The first characters of the key, shown to people to tell keys apart.
    key_prefix    text NOT NULL,
    -- SHA-256 of the whole key: keys are 256-bit random, so a fast hash is enough.
    key_hash      text NOT NULL UNIQUE,
    permission    text NOT NULL CHECK (permission IN ('read', 'write')),
    -- NULL means "every provider" / "every profile".
    providers     text[],
    profile_ids   uuid[],
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE profiles (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider      text NOT NULL,
    name          text NOT NULL,
    username      text,
    picture_url   text,
    -- The account id on the provider's side.
    external_id   text NOT NULL,
    access_token  text,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reauth_required', 'disconnected')),
    expires_at    timestamptz,
    disconnected_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, provider, external_id)
);
CREATE INDEX profiles_workspace ON profiles (workspace_id);

CREATE TABLE posts (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    body              text,
    status            text NOT NULL CHECK (status IN ('draft', 'pending', 'scheduled', 'completed', 'canceled')),
    scheduled_at      timestamptz,
    provider_options  jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Set once by the scheduler when it hands the deliveries out; cancel and edit race against it.
    dispatched_at     timestamptz,
    canceled_at       timestamptz,
    completed_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_workspace_created ON posts (workspace_id, created_at DESC, id DESC);
-- The scheduler's time gate reads this index only.
CREATE INDEX posts_due ON posts (scheduled_at NULLS FIRST) WHERE status = 'scheduled' AND dispatched_at IS NULL;

CREATE TABLE deliveries (
    id                uuid PRIMARY KEY,
    post_id           uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    profile_id        uuid NOT NULL REFERENCES profiles(id),
    provider          text NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'failed')),
    dispatched_at     timestamptz,
    published_at      timestamptz,
    failed_at         timestamptz,
    provider_post_id  text,
    url               text,
    error_message     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, profile_id)
);
CREATE INDEX deliveries_profile ON deliveries (profile_id);
CREATE INDEX deliveries_pending ON deliveries (dispatched_at) WHERE status = 'pending';

-- One row per provider call. Not a publish-log row: retries are runtime detail.
CREATE TABLE delivery_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    -- published | rejected | retryable; NULL while the call is in flight or its outcome is unknown.
    outcome      text,
    detail       text,
    UNIQUE (delivery_id, attempt)
);

CREATE TABLE media_assets (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    storage_key   text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL,
    sha256        text NOT NULL,
    source_url    text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE post_media (
    id             uuid PRIMARY KEY,
    post_id        uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    asset_id       uuid NOT NULL REFERENCES media_assets(id),
    position       integer NOT NULL,
    alt            text,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, position)
);

-- Transactional outbox: a row is written in the same transaction as the state it announces,
-- then a relay publishes it with confirms and deletes it.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    message_id    uuid NOT NULL UNIQUE,
    exchange      text NOT NULL,
    routing_key   text NOT NULL,
    message_type  text NOT NULL,
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The Publishing Log: domain events only (queued/scheduled, published, failed, manual retry, canceled).
CREATE TABLE publish_log (
    id            bigserial PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id       uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    delivery_id   uuid REFERENCES deliveries(id) ON DELETE CASCADE,
    profile_id    uuid REFERENCES profiles(id),
    provider      text,
    kind          text NOT NULL CHECK (kind IN ('post.queued', 'post.scheduled', 'delivery.published', 'delivery.failed', 'delivery.manual_retry', 'post.canceled')),
    message       text,
    url           text,
    occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX publish_log_workspace ON publish_log (workspace_id, id DESC);
CREATE INDEX publish_log_post ON publish_log (post_id);
