DROP TABLE sweeps;
ALTER TABLE deliveries DROP COLUMN redriven_at;
ALTER TABLE posts DROP COLUMN redriven_at;
