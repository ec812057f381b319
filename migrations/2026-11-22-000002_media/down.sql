ALTER TABLE media_assets DROP COLUMN kind, DROP COLUMN width, DROP COLUMN height, DROP COLUMN duration_ms, DROP COLUMN origin;
DROP TABLE uploads;
