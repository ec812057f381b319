DROP INDEX IF EXISTS publish_log_unsequenced;
DROP INDEX IF EXISTS publish_log_by_position;
ALTER TABLE publish_log DROP COLUMN position;
DROP SEQUENCE publish_log_position;
