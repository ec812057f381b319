-- An event's place in the feed is given after its transaction commits, by one sequencer at a
-- time (publish_log::sequence). `id` is assigned at insert, so an event whose transaction
-- commits after a later one's would sit behind a cursor that already passed it; `position`
-- only ever grows in the order events become visible.
CREATE SEQUENCE publish_log_position;
ALTER TABLE publish_log ADD COLUMN position bigint;
UPDATE publish_log SET position = id;
SELECT setval('publish_log_position', greatest((SELECT max(id) FROM publish_log), 1));
CREATE UNIQUE INDEX publish_log_by_position ON publish_log (position);
CREATE INDEX publish_log_unsequenced ON publish_log (id) WHERE position IS NULL;
