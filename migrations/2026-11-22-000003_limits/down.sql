DROP TABLE delivery_leases;
ALTER TABLE profiles DROP COLUMN not_before;
DROP INDEX outbox_available;
ALTER TABLE outbox DROP COLUMN available_at;
