#!/usr/bin/env bash
# Stops what scripts/run.sh started.
cd "$(dirname "$0")/.."
[ -f .run/pids ] || exit 0
while read -r pid; do kill "$pid" 2>/dev/null || true; done < .run/pids
sleep 0.5
while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < .run/pids
rm -f .run/pids
echo "stopped"
