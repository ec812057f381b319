# PostMantis — the two commands: `make run` and `make test`.
export CARGO_TARGET_DIR ?= /var/tmp/postmantis-target
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)
# End-to-end tests each start five processes; two cores take about four at once.
TEST_THREADS ?= 4

.PHONY: run start stop build test owners lint fmt bench chaos fuzz

## Migrate, start every service and provider-sim, seed the demo workspace, print the key (Ctrl-C stops).
run:
	./scripts/run.sh

## The same, left running in the background (`make stop` ends it).
start:
	./scripts/run.sh --detach

stop:
	./scripts/stop.sh

build:
	cargo build --workspace --bins

## The whole suite: unit tests of every crate, the end-to-end tests in tests/, and the
## status-ownership check.
test: build
ifeq ($(NEXTEST),yes)
	cargo nextest run --workspace --no-fail-fast --test-threads $(TEST_THREADS)
else
	cargo test --workspace --all-targets --no-fail-fast -- --test-threads $(TEST_THREADS)
endif
	$(MAKE) owners

# Each status layer is written by its owner alone (store::transitions, behind a feature
# only the owner enables). A workspace build unifies features, so every crate that uses
# the store is built on its own here: a status write from the wrong crate fails to compile.
# The doc-tests show the same write failing in posting and building in the scheduler, and
# two typed ids swapped in a call failing to build.
owners:
	for p in api-gateway dashboard gateway-server posting credentials bus scheduler delivery-worker media-ingest collector; do cargo check -q -p $$p || exit 1; done
	cargo test -q --doc -p posting
	cargo test -q --doc -p scheduler
	cargo test -q --doc -p domain

# Release binaries against the real PostgreSQL, RabbitMQ and provider-sim; fails on a missed target.
bench:
	cargo build --release --workspace --bins
	scripts/bench-postgres.sh prepare
	cargo bench -p e2e --bench system; status=$$?; scripts/bench-postgres.sh restore; exit $$status

# Fault tests under load (about two minutes): worker kills, a broker and a database outage,
# a scheduler killed mid-dispatch; then exactly-once checks. Not part of `make test`.
chaos: build
	cargo test -p e2e --test chaos -- --ignored --nocapture

# The media sniffers under libFuzzer for a minute (cargo install cargo-fuzz first); new
# inputs land in fuzz/corpus, which the unit tests replay. Stable Rust, hence RUSTC_BOOTSTRAP.
fuzz:
	cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target cargo fuzz run media_sniff -- -max_total_time=$${FUZZ_SECONDS:-60}

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all
