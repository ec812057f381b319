-- A thread is one post: its body is the first part; `thread` holds the parts after it,
-- each `{"body": "…"}`, in order.
ALTER TABLE posts ADD COLUMN thread jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(thread) = 'array');

-- What a multi-part delivery (a thread, or a post and its first comment) has made public
-- so far: a part is recorded as soon as the platform gives its id, before the next part is
-- sent, so a later attempt resumes after it and never sends it again. Part 0 is the post.
CREATE TABLE delivery_parts (
    delivery_id      uuid        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    part             smallint    NOT NULL CHECK (part >= 0),
    kind             text        NOT NULL CHECK (kind IN ('post', 'reply', 'comment')),
    provider         text        NOT NULL,
    provider_post_id text        NOT NULL,
    url              text        NOT NULL,
    attempt          integer     NOT NULL,
    -- Found by a look-up: the attempt that made it never heard the answer.
    recovered        boolean     NOT NULL DEFAULT false,
    published_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, part)
);
-- One platform post is one part of one delivery, never adopted by another.
CREATE UNIQUE INDEX delivery_parts_one_owner ON delivery_parts (provider, provider_post_id);
