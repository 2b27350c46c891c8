#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit and integration tests against a real
# PostgreSQL (each test on its own fresh database), then Playwright in Debian's Chromium against
# the server (its debug build) serving the release WebAssembly, with JavaScript on and off, and a
# short chaos run. Installs what is missing.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# CI builds cold once; incremental caches would only add gigabytes of disk.
export CARGO_INCREMENTAL=0
LOG_DIR="$(mktemp -d /tmp/bazaar-test-logs.XXXXXX)"
START=$(date +%s)
export CLOCK_START="$START"

say "Checking what is installed"
ensure_toolchain
start_leptos_tools
ensure_node
ensure_postgres
ensure_chromium
ensure_smtp_sink
ensure_cdnow_sample

throwaway_postgres
start_smtp_sink
trap 'stop_throwaway_postgres; kill "$SMTP_SINK_PID" 2>/dev/null || true; [ -n "${LEPTOS_TOOLS_PID:-}" ] && kill "$LEPTOS_TOOLS_PID" 2>/dev/null || true' EXIT
pg createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres e2e
# sqlx::test creates one fresh database per test from this server.
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

say "Checking formatting (cargo fmt --check)"
cargo fmt --all -- --check

# The app is built twice, not five times: once for the server (debug; the Rust tests, the chaos
# driver and the server the browser tests talk to) and once for the browser (the release
# WebAssembly). Clippy lints our crates as each build compiles them (clippy-driver as the
# workspace's compiler, as `cargo clippy` itself runs it, but producing code), with warnings as
# errors, so lint passes need no builds of their own. Both builds type-erase Leptos views
# (`--cfg erase_components`), as cargo-leptos does for the release, so the server's pages
# hydrate with the bundle the browser tests load.
lint_env() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}
host_cargo() {
  lint_env env RUSTFLAGS="--cfg erase_components" cargo "$@"
}

say "Building the server and its tests (debug), linted as they compile (clippy -D warnings)"
host_cargo test --workspace --features app/ssr --no-run
host_cargo test --workspace --features app/ssr --no-run --bench storm

say "Rust tests (unit and integration, real PostgreSQL)"
host_cargo test --workspace --features app/ssr 2>&1 | tee "$LOG_DIR/cargo.log"

wait_leptos_tools
say "Building the browser bundle (release WebAssembly), linted as it compiles (clippy -D warnings)"
lint_env cargo leptos build --release --split --precompress --frontend-only
wasm_size
# The server finds the bundle's hashed file names in hash.txt beside its own binary.
cp target/release/hash.txt target/debug/hash.txt

say "Browser tests (Playwright, Debian Chromium; phone and desktop; JavaScript on and off)"
site_env
export BAZAAR_E2E_PORT="$(free_port)"
export BAZAAR_E2E_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/e2e"
export BAZAAR_BIN="$ROOT/target/debug/bazaar"
(cd end2end && npx playwright test) 2>&1 | tee "$LOG_DIR/e2e.log"

say "Chaos, short version: 3 runs of a drop with a server and PostgreSQL killed mid-commit (server/scripts/chaos.sh)"
CHAOS_QUICK=1 CHAOS_SKIP_BUILD=1 CHAOS_SERVER_BIN="$BAZAAR_BIN" "$ROOT/server/scripts/chaos.sh" 2>&1 | tee "$LOG_DIR/chaos.log"

# One closing line for the whole run.
rust_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$LOG_DIR/cargo.log" | awk '{s+=$4} END {print s+0}')
e2e_passed=$(grep -Eo '^ +[0-9]+ passed' "$LOG_DIR/e2e.log" | awk '{s+=$1} END {print s+0}')
say "Done in $(( ($(date +%s) - START) / 60 )) min: $rust_passed Rust tests and $e2e_passed browser tests passed, chaos runs without a violation"
echo "$((rust_passed + e2e_passed)) passed, 0 failed"
