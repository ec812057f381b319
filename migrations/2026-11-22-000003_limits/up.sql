-- A message may wait in the outbox until it is due (a rate-limited retry, a deferred task).
ALTER TABLE outbox ADD COLUMN available_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX outbox_available ON outbox (available_at, id);

-- No provider call for this profile before this time (set from a 429's Retry-After).
ALTER TABLE profiles ADD COLUMN not_before timestamptz;

-- Concurrency caps that hold across worker replicas: a slot is a row; a lease expires so a
-- crashed worker cannot hold one for ever.
CREATE TABLE delivery_leases (
    key         text NOT NULL,
    slot        integer NOT NULL,
    holder      uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (key, slot)
);
