#!/usr/bin/env bash
# The PostgreSQL make bench measures against, as a deployment runs it.
#   prepare: preload pg_stat_statements (it counts the SQL statements per post and per
#            delivery; loaded only at start, so once, with a restart of the local cluster),
#            and turn autovacuum on where this machine's configuration turned it off (a
#            test machine's choice; PostgreSQL's default, and every deployment's, is on).
#   restore: autovacuum back as it was found.
set -euo pipefail
psql_() { psql -h 127.0.0.1 -U postgres -Atqc "$1"; }
marker=/var/tmp/postmantis-bench-autovacuum-was-off
case "${1:-prepare}" in
prepare)
  if ! psql_ "SHOW shared_preload_libraries" | grep -q pg_stat_statements; then
    psql_ "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    version=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 1 50); do
      psql_ "SELECT 1" >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  if [ "$(psql_ "SHOW autovacuum")" = off ]; then
    psql_ "ALTER SYSTEM SET autovacuum = on"
    psql_ "SELECT pg_reload_conf()" >/dev/null
    touch "$marker"
    sleep 1
  fi
  echo "PostgreSQL for the bench: preload $(psql_ "SHOW shared_preload_libraries"), autovacuum $(psql_ "SHOW autovacuum")"
  ;;
restore)
  if [ -e "$marker" ]; then
    psql_ "ALTER SYSTEM RESET autovacuum"
    psql_ "SELECT pg_reload_conf()" >/dev/null
    rm -f "$marker"
  fi
  ;;
*)
  echo "usage: $0 prepare|restore" >&2
  exit 2
  ;;
esac
