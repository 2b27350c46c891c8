#!/usr/bin/env bash
# The drop-time benchmark (not a test): builds the release, starts a throwaway PostgreSQL with
# durable commits, two release servers on it (one takes the storm, one serves the demo store
# for the page measurements), runs Lighthouse on the bazaar page, then the load generator in
# server/benches/storm/, which measures pgbench's baseline in the same run and prints the
# report. The report is also written to target/bench/report.md. Installs what is missing.
# BENCH_SECONDS (default 10) sets the length of each storm run; BENCH_QUICK=1 measures only
# pgbench and the hot reward at 64 clients (closed and open loop), for trying a change to the
# redeem path. BENCH_ONLY=herd,hashing,insights,reminders,pages runs only those rows (the herd of
# open pages at a drop's opening, the hashing storm, insights at 100,000 members, reminders
# draining during a storm, the pages with Lighthouse in both languages and the bundle's size);
# BENCH_HERD_PAGES (default 5000) sets the herd's size. BENCH_COMPARE=<commit> also builds that
# commit's release in target/bench/previous-src and measures the signed-in bazaar page of this
# build against it (three alternating runs each; e.g. BENCH_ONLY=pages BENCH_COMPARE=HEAD~1).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

OUT="$ROOT/target/bench"
mkdir -p "$OUT"
LIGHTHOUSE_VERSION="12.8.2"

say "Checking what is installed"
ensure_build_tools
ensure_node
ensure_postgres
ensure_chromium
ensure_smtp_sink
SKIP_LIGHTHOUSE=""
if [ "${BENCH_QUICK:-}" = 1 ]; then SKIP_LIGHTHOUSE=1; fi
if [ -n "${BENCH_ONLY:-}" ] && [[ ",$BENCH_ONLY," != *",pages,"* ]]; then SKIP_LIGHTHOUSE=1; fi
if [ -n "$SKIP_LIGHTHOUSE" ]; then
  ok "Lighthouse: not needed (BENCH_QUICK=1, or BENCH_ONLY without pages)"
elif [ -x "$OUT/tools/node_modules/.bin/lighthouse" ]; then
  ok "Lighthouse: present"
else
  say "Installing Lighthouse $LIGHTHOUSE_VERSION from the npm registry into target/bench/tools"
  npm install --prefix "$OUT/tools" --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION"
fi

# The insights row compares the portal's fit with the `lifetimes` package (pinned versions that
# work together, from PyPI, in a throwaway virtual environment).
LIFETIMES_VENV="$OUT/lifetimes"
if [ -n "${BENCH_ONLY:-}" ] && [[ ",$BENCH_ONLY," != *",insights,"* ]]; then
  ok "lifetimes: not needed (BENCH_ONLY)"
elif [ -x "$LIFETIMES_VENV/bin/python" ] && "$LIFETIMES_VENV/bin/python" -c 'import lifetimes' 2>/dev/null; then
  ok "lifetimes $LIFETIMES_VERSION for the insights row: present"
else
  say "Installing lifetimes $LIFETIMES_VERSION and pinned numpy, scipy, pandas, autograd, dill from PyPI into target/bench/lifetimes"
  python3 -m venv "$LIFETIMES_VENV"
  "$LIFETIMES_VENV/bin/pip" install --quiet --disable-pip-version-check "lifetimes==$LIFETIMES_VERSION" \
    "numpy==1.26.4" "scipy==1.13.1" "pandas==1.5.3" "autograd==1.7.0" "dill==0.3.9"
fi

if [ -n "${BENCH_COMPARE:-}" ]; then
  # The other commit builds in a worktree and a target folder of its own. Not in this
  # checkout's: cargo names a path package's build by its path within the workspace, so the
  # two checkouts' crates are the same units to it, and whichever built last counts as fresh
  # for both (the runs before 2026-12-04 17:30 UTC measured one commit's server twice). The
  # worktree is kept while it is at the same commit, so its build stays fresh between runs.
  PREVIOUS_SRC="$OUT/previous-src"
  PREVIOUS_TARGET="$OUT/previous-target"
  say "Building $BENCH_COMPARE's portal (release) in target/bench/previous-src, to compare the signed-in bazaar page"
  if [ "$(git -C "$PREVIOUS_SRC" rev-parse HEAD 2>/dev/null)" != "$(git -C "$ROOT" rev-parse "$BENCH_COMPARE^{commit}")" ]; then
    git -C "$ROOT" worktree remove --force "$PREVIOUS_SRC" 2>/dev/null || rm -rf "$PREVIOUS_SRC"
    git -C "$ROOT" worktree prune
    git -C "$ROOT" worktree add --detach "$PREVIOUS_SRC" "$BENCH_COMPARE"
  fi
  # An older commit's .sqlx may lack an entry a later commit added for a query it already had
  # (c5fc9ec's does); entries are keyed by the query's text, so this checkout's only add.
  cp -n "$ROOT"/.sqlx/*.json "$PREVIOUS_SRC/.sqlx/"
  (cd "$PREVIOUS_SRC" && CARGO_TARGET_DIR="$PREVIOUS_TARGET" cargo leptos build --release --split --precompress)
  mkdir -p "$OUT/previous"
  cp "$PREVIOUS_TARGET/release/bazaar" "$PREVIOUS_TARGET/release/hash.txt" "$OUT/previous/"
fi
build_release
if [ -n "${BENCH_COMPARE:-}" ] && cmp -s "$ROOT/target/release/bazaar" "$OUT/previous/bazaar"; then
  echo "target/release/bazaar is still $BENCH_COMPARE's build; not measuring" >&2
  exit 1
fi
say "Building the load generator (server/benches/storm/, release)"
# Its own target folder: cargo builds a package's binaries for its benches, and relinking
# target/release/bazaar without cargo-leptos' build settings would break the page it serves.
export CARGO_TARGET_DIR="$OUT/cargo"
cargo bench -p server --bench storm --no-run

# The herd holds thousands of live-stock streams, each an open connection at both ends (and the
# re-reads at the opening as many again): raise the open-files limit for the servers and the
# load generator, as a deployment would (the server's own connection cap assumes it).
if ulimit -n 65536 2>/dev/null; then
  ok "open files: $(ulimit -n)"
else
  ulimit -n "$(ulimit -Hn)"
  ok "open files: $(ulimit -n) (the hard limit; 65536 needs root or a higher hard limit)"
fi

SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${SMTP_SINK_PID:-}" ]; then kill "$SMTP_SINK_PID" 2>/dev/null || true; rm -rf "$BAZAAR_TEST_MAILDIR"; fi
  wait 2>/dev/null || true
  stop_throwaway_postgres
}
throwaway_postgres
trap cleanup EXIT
for db in bench demo baseline; do pg createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"; done
DB="postgres://postgres@127.0.0.1:$PG_PORT"

# Starts the release server on a free port with DATABASE_URL=$1, BAZAAR_DEMO=$2 and
# BAZAAR_SMTP_URL=$3 (unset: mail kept in its mailbox); sets SERVER_PORT and SERVER_PID once it
# accepts connections (it migrates before it listens). $4 and $5: another build's binary and
# site folder (BENCH_COMPARE). The scores run's steps are logged, to see which meets a storm.
start_server() {
  site_env
  SERVER_PORT="$(free_port)"
  LEPTOS_SITE_ROOT="${5:-$LEPTOS_SITE_ROOT}" DATABASE_URL="$1" BAZAAR_DEMO="$2" BAZAAR_SMTP_URL="${3:-}" \
    LEPTOS_SITE_ADDR="127.0.0.1:$SERVER_PORT" RUST_LOG=warn,app::insights::ssr::scores=debug \
    "${4:-$ROOT/target/release/bazaar}" >"$OUT/server-$SERVER_PORT.log" 2>&1 &
  SERVER_PID=$!
  SERVERS+=("$SERVER_PID")
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server-$SERVER_PORT.log"; exit 1; }
    sleep 0.2
  done
  echo "the server did not start; see $OUT/server-$SERVER_PORT.log"
  exit 1
}

say "Starting the storm server (its mail to a real SMTP server) and the demo-store server (release builds)"
# The SMTP server stands in for a store's mail server, which runs on another machine: at the
# lowest CPU priority it takes no CPU the measured server wants (a store's mail server costs
# the portal's machine nothing). The tests run it at normal priority.
SMTP_SINK_NICE=19 start_smtp_sink
start_server "$DB/bench" 0 "smtp://$BAZAAR_TEST_SMTP"
STORM_PORT=$SERVER_PORT STORM_PID=$SERVER_PID
start_server "$DB/demo" 1
PAGE_PORT=$SERVER_PORT
PREVIOUS_URL=""
if [ -n "${BENCH_COMPARE:-}" ]; then
  pg createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres previous
  start_server "$DB/previous" 1 "" "$OUT/previous/bazaar" "$PREVIOUS_SRC/target/site"
  PREVIOUS_URL="http://127.0.0.1:$SERVER_PORT"
  ok "$BENCH_COMPARE's demo store: $PREVIOUS_URL/ (pid $SERVER_PID)"
fi
ok "storm: http://127.0.0.1:$STORM_PORT/ (pid $STORM_PID) · demo store: http://127.0.0.1:$PAGE_PORT/"

LIGHTHOUSE_RUNS=""
LIGHTHOUSE_RUNS_ES=""
# BENCH_QUICK=1: only pgbench and the hot reward at 64 clients, closed and open loop (server/benches/storm/
# stops there). BENCH_ONLY: only the rows it names.
[ -n "$SKIP_LIGHTHOUSE" ] || say "Lighthouse on the bazaar page in English and in Spanish, 3 runs each (mobile emulation, Debian Chromium)"
for run in 1 2 3; do
  [ -n "$SKIP_LIGHTHOUSE" ] && break
  # The Spanish page is the one a browser asking for Mexican Spanish gets.
  for lang in en es; do
    if [ "$lang" = es ]; then accept="es-MX,es;q=0.9"; else accept="en-US,en;q=0.9"; fi
    rm -f "$OUT/lighthouse-$lang-$run.json"
    CHROME_PATH=/usr/bin/chromium "$OUT/tools/node_modules/.bin/lighthouse" "http://127.0.0.1:$PAGE_PORT/" \
      --output=json --output-path="$OUT/lighthouse-$lang-$run.json" --quiet \
      --only-categories=performance,accessibility,best-practices,seo \
      --extra-headers="{\"Accept-Language\":\"$accept\"}" \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-background-networking --disable-component-update --disable-sync" \
      || ok "Lighthouse run $run ($lang) failed; the report says so"
  done
  LIGHTHOUSE_RUNS="$LIGHTHOUSE_RUNS${LIGHTHOUSE_RUNS:+,}$OUT/lighthouse-en-$run.json"
  LIGHTHOUSE_RUNS_ES="$LIGHTHOUSE_RUNS_ES${LIGHTHOUSE_RUNS_ES:+,}$OUT/lighthouse-es-$run.json"
done

say "Storm, baseline, herd, hashing storm and page measurements (about $(( ${BENCH_SECONDS:-10} * 11 / 60 + 3 )) min)"
BENCH_STORM_URL="http://127.0.0.1:$STORM_PORT" \
BENCH_PAGE_URL="http://127.0.0.1:$PAGE_PORT" \
BENCH_PREVIOUS_URL="$PREVIOUS_URL" \
BENCH_DATABASE_URL="$DB/bench" \
BENCH_BASELINE_URL="$DB/baseline" \
BENCH_PGBENCH="$PG_BIN/pgbench" \
BENCH_SERVER_PID="$STORM_PID" \
BENCH_WASM="$(ls "$ROOT"/target/site/pkg/bazaar.*wasm | head -1)" \
BENCH_LIGHTHOUSE_JSON="$LIGHTHOUSE_RUNS" \
BENCH_LIGHTHOUSE_ES_JSON="$LIGHTHOUSE_RUNS_ES" \
BENCH_LIFETIMES_PYTHON="$LIFETIMES_VENV/bin/python" \
  cargo bench -p server --bench storm -q | tee "$OUT/report.md"
say "Report written to target/bench/report.md"
