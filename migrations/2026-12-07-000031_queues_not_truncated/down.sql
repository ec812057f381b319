ALTER TABLE outbox RESET (vacuum_truncate);
ALTER TABLE delivery_leases RESET (vacuum_truncate);
