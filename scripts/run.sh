#!/usr/bin/env bash
# Starts the whole stack locally: migrate, provider-sim, the four services, demo seed.
# Foreground by default (Ctrl-C stops everything); --detach leaves it running (stop with
# `make stop`).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CARGO_TARGET_DIR:=/var/tmp/postmantis-target}"
export CARGO_TARGET_DIR
# PROFILE=release runs optimised binaries (slower first build, much faster service).
PROFILE="${PROFILE:-debug}"
BIN="$CARGO_TARGET_DIR/$PROFILE"
BUILD_FLAGS=()
[ "$PROFILE" = release ] && BUILD_FLAGS=(--release)
RUN=.run
mkdir -p "$RUN/logs" "$RUN/media"

export POSTMANTIS_DATABASE_URL="${POSTMANTIS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postmantis}"
export POSTMANTIS_BUS__AMQP_URL="${POSTMANTIS_BUS__AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
GATEWAY_ADDR="${GATEWAY_ADDR:-127.0.0.1:8080}"
SIM_ADDR="${SIM_ADDR:-127.0.0.1:8090}"

"$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
cargo build --quiet "${BUILD_FLAGS[@]}" --bin api-gateway --bin scheduler --bin delivery-worker --bin media-ingest --bin collector --bin provider-sim

"$BIN/api-gateway" migrate

start() { # name, command...
  local name=$1; shift
  "$@" >"$RUN/logs/$name.log" 2>&1 &
  echo $! >>"$RUN/pids"
}
: >"$RUN/pids"
start provider-sim env POSTMANTIS_SIM_ADDR="$SIM_ADDR" "$BIN/provider-sim"
# The gateway and the workers talk to provider-sim, which also plays every provider's OAuth server.
export POSTMANTIS_PROVIDERS__DEFAULT_BASE_URL="http://$SIM_ADDR"
# The assistant's model: provider-sim's OpenAI-compatible double, unless one is set
# (e.g. a local Ollama: POSTMANTIS_ASSISTANT__BASE_URL=http://127.0.0.1:11434/v1).
export POSTMANTIS_ASSISTANT__BASE_URL="${POSTMANTIS_ASSISTANT__BASE_URL:-http://$SIM_ADDR/v1}"
export POSTMANTIS_ASSISTANT__MODEL="${POSTMANTIS_ASSISTANT__MODEL:-sim-chat}"
export POSTMANTIS_ASSISTANT__IMAGE_MODEL="${POSTMANTIS_ASSISTANT__IMAGE_MODEL:-sim-image}"
export POSTMANTIS_PUBLIC_URL="http://$GATEWAY_ADDR"
start api-gateway env POSTMANTIS_HTTP_ADDR="$GATEWAY_ADDR" POSTMANTIS_STORAGE__DIR="$RUN/media" "$BIN/api-gateway" serve
start scheduler env POSTMANTIS_HEALTH_ADDR=127.0.0.1:0 "$BIN/scheduler"
start delivery-worker env POSTMANTIS_HEALTH_ADDR=127.0.0.1:0 POSTMANTIS_MEDIA_BASE_URL="http://$GATEWAY_ADDR" "$BIN/delivery-worker"
# The demo imports media from provider-sim on loopback, so that one host is allow-listed.
start media-ingest env POSTMANTIS_HEALTH_ADDR=127.0.0.1:0 POSTMANTIS_STORAGE__DIR="$RUN/media" \
  POSTMANTIS_REMOTE_ALLOW_HOSTS=127.0.0.1 "$BIN/media-ingest"
# Feeds on loopback (a local blog, provider-sim) are allowed in the demo.
start collector env POSTMANTIS_HEALTH_ADDR=127.0.0.1:0 POSTMANTIS_FEED_ALLOW_HOSTS=127.0.0.1 POSTMANTIS_INBOX_EVERY_S=60 "$BIN/collector"

for _ in $(seq 1 100); do
  curl -fsS "http://$GATEWAY_ADDR/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://$GATEWAY_ADDR/readyz" >/dev/null || { echo "the gateway did not become ready; see $RUN/logs/" >&2; exit 1; }

# Sandbox profiles are connected through the same OAuth flow a user takes.
SEED=$("$BIN/api-gateway" seed-demo)
echo
echo "PostMantis is running (logs in $RUN/logs/)."
echo "Gateway:      http://$GATEWAY_ADDR/api"
echo "Dashboard:    http://$GATEWAY_ADDR/dashboard"
ORG=$(echo "$SEED" | sed -n 's/^Workspace: //p')
echo "Agency API:   http://$GATEWAY_ADDR/api/v1/social  (seed 002's routes; send X-Org-Id: $ORG)"
echo "$SEED" | grep '^Dashboard login:'
echo "Provider-sim: http://$SIM_ADDR"
echo "$SEED" | grep '^API key:'
echo
echo "Try:  curl -H \"Authorization: Bearer <key>\" http://$GATEWAY_ADDR/api/profiles"

if [ "${1:-}" = "--detach" ]; then
  exit 0
fi
trap '"$(dirname "$0")/stop.sh"; exit 0' INT TERM
echo "Ctrl-C stops everything."
wait
