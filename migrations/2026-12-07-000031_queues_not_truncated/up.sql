-- The outbox and the caps' leases fill and empty all day. A vacuum that finds their last
-- pages empty truncates them, which takes an ACCESS EXCLUSIVE lock: every accept, claim,
-- settle and lease waits behind it (seen: autovacuum holding the outbox in VacuumTruncate
-- for 5 s under S2's burst). Their size is their working set again a moment later, so
-- keeping the pages costs nothing; the relays' own vacuums already skip the truncation.
ALTER TABLE outbox SET (vacuum_truncate = false);
ALTER TABLE delivery_leases SET (vacuum_truncate = false);
