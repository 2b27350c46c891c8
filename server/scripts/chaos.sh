#!/usr/bin/env bash
# The fault-injection ("chaos") test of redemption (not part of the test command unless quick):
# builds the release, starts a throwaway PostgreSQL with durable commits (fsync and
# synchronous_commit on), then runs the driver in server/examples/chaos/, which for every run makes
# a fresh database with a live drop, starts two release servers on it, has a crowd press Redeem
# (each press retried with its idempotency key until it gets a code or a refusal), kills a server
# with SIGKILL and, in two runs out of three, PostgreSQL itself (postmaster and backends, mostly
# while a redemption batch commits), starts them again, and then checks that every acknowledged
# redemption is in the database, that replaying its key answers the same code, and that the
# invariants and per-member limits hold. Prints a table (also written to target/chaos/report.md)
# and exits 1 on any violation.
#
# CHAOS_RUNS (default 50), CHAOS_SECONDS per run (default 10), CHAOS_QUICK=1 (3 runs of 5 s, a
# few minutes), CHAOS_SEED (the first run's seed, printed in the table: CHAOS_SEED=<seed>
# CHAOS_RUNS=1 replays one run), CHAOS_SKIP_BUILD=1 (use the server and driver
# already built), CHAOS_SERVER_BIN (the server binary; default target/release/bazaar).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

OUT="$ROOT/target/chaos"
mkdir -p "$OUT"

say "Checking what is installed"
ensure_build_tools
ensure_node
ensure_postgres

# The servers it starts: the release build, or CHAOS_SERVER_BIN (the test command passes its
# debug build, the one its browser tests used).
SERVER_BIN="${CHAOS_SERVER_BIN:-$ROOT/target/release/bazaar}"
# CHAOS_SKIP_BUILD=1: the caller built the server and the driver (target/debug/examples/chaos).
if [ "${CHAOS_SKIP_BUILD:-}" = 1 ] && [ -x "$SERVER_BIN" ] && [ -x target/debug/examples/chaos ]; then
  ok "server and chaos driver: already built (CHAOS_SKIP_BUILD=1), server $SERVER_BIN"
else
  build_release
  say "Building the chaos driver (server/examples/chaos/; the tests' own build profile)"
  cargo build -p server --example chaos --features app/ssr
fi

cleanup() {
  # The driver starts and kills the servers itself; any it left behind (it was interrupted)
  # are listed here.
  if [ -f "$OUT/server.pids" ]; then
    while read -r pid; do
      [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$SERVER_BIN" ] && kill -9 "$pid" 2>/dev/null || true
    done <"$OUT/server.pids"
    rm -f "$OUT/server.pids"
  fi
  [ -f "${PG_DIR:-/nonexistent}/log" ] && cp "$PG_DIR/log" "$OUT/postgres.log"
  stop_throwaway_postgres
}
rm -f "$OUT/server.pids"
throwaway_postgres
trap cleanup EXIT

# The driver starts the cluster again after killing it, with the options throwaway_postgres
# (setup.sh) gave it: keep the two the same.
PG_OPTS="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on"
RUNAS=""
[ "$(id -u)" -eq 0 ] && RUNAS="runuser -u postgres --"
site_env

say "Chaos: ${CHAOS_RUNS:-$([ "${CHAOS_QUICK:-}" = 1 ] && echo 3 || echo 50)} run(s) of ${CHAOS_SECONDS:-$([ "${CHAOS_QUICK:-}" = 1 ] && echo 5 || echo 10)} s"
CHAOS_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT" \
CHAOS_PG_BIN="$PG_BIN" \
CHAOS_PG_DATA="$PG_DIR/data" \
CHAOS_PG_LOG="$PG_DIR/log" \
CHAOS_PG_OPTS="$PG_OPTS" \
CHAOS_PG_RUNAS="$RUNAS" \
CHAOS_SERVER_BIN="$SERVER_BIN" \
CHAOS_OUT="$OUT" \
  "$ROOT/target/debug/examples/chaos"
say "Report written to target/chaos/report.md"
