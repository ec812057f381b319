-- The reconciliation sweeps: when a delivery was last handed out again by one, and what
-- each sweep found on its last run (shown on /api/health and Publishing health).
ALTER TABLE deliveries ADD COLUMN redriven_at timestamptz;
ALTER TABLE posts ADD COLUMN redriven_at timestamptz;
CREATE TABLE sweeps (
    name    text PRIMARY KEY,
    ran_at  timestamptz NOT NULL,
    found   jsonb NOT NULL
);
