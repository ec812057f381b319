#!/usr/bin/env bash
# make bench counts the SQL statements per post and per delivery with pg_stat_statements,
# which PostgreSQL loads only at start: preload it (once) and restart the local cluster.
set -euo pipefail
psql_() { psql -h 127.0.0.1 -U postgres -Atqc "$1"; }
if psql_ "SHOW shared_preload_libraries" | grep -q pg_stat_statements; then
  exit 0
fi
psql_ "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
version=$(ls /etc/postgresql | sort -V | tail -1)
pg_ctlcluster --skip-systemctl-redirect "$version" main restart
for _ in $(seq 1 50); do
  psql_ "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.2
done
psql_ "SHOW shared_preload_libraries"
