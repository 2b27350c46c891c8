# Shared set-up for the README's two commands (sourced, not run). Every step checks first and
# installs only what is missing, saying what it does; a second run skips straight to the work.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
# The wasm-bindgen CLI must be exactly the version the app links, or hydration breaks.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"

export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# The committed .sqlx cache checks every query at compile time without a database.
export SQLX_OFFLINE=true
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

# With CLOCK_START set (the test command sets it), each step says when it began.
say() {
  local at=""
  if [ -n "${CLOCK_START:-}" ]; then
    local s=$(($(date +%s) - CLOCK_START))
    at="$(printf '  [%d:%02d]' $((s / 60)) $((s % 60)))"
  fi
  printf '\n\033[1m==> %s\033[0m%s\n' "$*" "$at"
}
ok() { printf '    %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_build_tools() {
  ensure_toolchain
  ensure_leptos_tools
}

# The C toolchain (for crates with C parts) and the WebAssembly target.
ensure_toolchain() {
  if command -v cc >/dev/null && command -v make >/dev/null && command -v perl >/dev/null; then
    ok "C toolchain: present"
  else
    apt_install build-essential perl
  fi
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    ok "wasm32 target: present"
  else
    say "Adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown
  fi
}

leptos_tools_present() {
  cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION" &&
    wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"
}

# cargo-leptos (builds the site) and the wasm-bindgen CLI it runs.
ensure_leptos_tools() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    ok "cargo-leptos $CARGO_LEPTOS_VERSION: present"
  else
    # A dev-profile build of the tool takes ~10 minutes on 2 cores instead of ~38 for release;
    # it only orchestrates builds, so its own speed does not matter.
    say "Building cargo-leptos $CARGO_LEPTOS_VERSION from crates.io (first run only, ~10 min on 2 cores)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --debug
  fi
  if wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    ok "wasm-bindgen $WASM_BINDGEN_VERSION: present"
  else
    # Not --locked: the CLI's lockfile pins a crate version the registry no longer serves.
    say "Building wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (first run only, ~6 min on 2 cores)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --debug
  fi
}

# The test command builds the tools (first run only) at the lowest CPU priority while the
# tests' own build runs, since nothing needs them until the browser bundle is built: the two
# cores are never both busy through a whole cold build (the largest crates and the links run
# one at a time). Sets LEPTOS_TOOLS_PID (empty when nothing was missing); wait_leptos_tools
# waits for it and shows its log if it failed.
start_leptos_tools() {
  LEPTOS_TOOLS_PID=""
  if leptos_tools_present; then
    ok "cargo-leptos $CARGO_LEPTOS_VERSION and wasm-bindgen $WASM_BINDGEN_VERSION: present"
    return 0
  fi
  LEPTOS_TOOLS_LOG="$(mktemp /tmp/bazaar-tools.XXXXXX.log)"
  say "Building cargo-leptos and wasm-bindgen-cli from crates.io in the background, at low priority (first run only; log: $LEPTOS_TOOLS_LOG)"
  (nice -n 19 bash -c "source '$ROOT/server/scripts/setup.sh'; ensure_leptos_tools") >"$LEPTOS_TOOLS_LOG" 2>&1 &
  LEPTOS_TOOLS_PID=$!
}

wait_leptos_tools() {
  [ -z "${LEPTOS_TOOLS_PID:-}" ] && return 0
  say "Waiting for the background build of cargo-leptos and wasm-bindgen-cli"
  if ! wait "$LEPTOS_TOOLS_PID"; then
    cat "$LEPTOS_TOOLS_LOG"
    echo "Building the tools failed (log above)." >&2
    return 1
  fi
  ok "cargo-leptos and wasm-bindgen-cli: built"
}

ensure_node() {
  local major=0
  if command -v node >/dev/null; then major="$(node -p 'process.versions.node.split(".")[0]')"; fi
  if [ "$major" -ge 18 ] && command -v npm >/dev/null; then
    ok "Node.js $(node --version): present"
  else
    apt_install nodejs npm
  fi
  # npm's binaryen provides wasm-opt (Debian's older binaryen breaks hydration); Playwright
  # drives Debian's Chromium.
  if [ -f end2end/node_modules/.package-lock.json ] && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
    ok "end2end Node packages: present"
  else
    say "Installing end2end Node packages (npm ci)"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_postgres() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
    ok "PostgreSQL server binaries: present"
  else
    apt_install postgresql
  fi
  # The browser tests set up drops with psql.
  if command -v psql >/dev/null; then
    ok "psql: present"
  else
    apt_install postgresql-client
  fi
}

# A throwaway PostgreSQL cluster for one run (durable commits: fsync on), on a free port. It
# lives under /tmp because the cluster's OS user must be able to reach its folder, which a
# checkout in a private home folder is not. Sets PG_BIN, PG_DIR and PG_PORT; the caller traps
# stop_throwaway_postgres on exit.
throwaway_postgres() {
  PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || command -v initdb)")"
  PG_DIR="$(mktemp -d /tmp/bazaar-pg.XXXXXX)"
  chmod 755 "$PG_DIR"
  PG_PORT="$(free_port)"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
  say "Starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT"
  pg initdb -D "$PG_DIR/data" --auth=trust -U postgres -E UTF8 --no-locale >/dev/null
  pg pg_ctl -D "$PG_DIR/data" -w -l "$PG_DIR/log" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on" start >/dev/null
  PG_STARTED=1
}

stop_throwaway_postgres() {
  [ -n "${PG_STARTED:-}" ] && pg pg_ctl -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "${PG_DIR:-/nonexistent}"
}

# A PostgreSQL program, run as the cluster's owner when we are root.
pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$PG_BIN/$1" "${@:2}"; else "$PG_BIN/$1" "${@:2}"; fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    ok "Chromium: present"
  else
    apt_install chromium
  fi
}

# A real SMTP server for the tests: Python's aiosmtpd from PyPI, in a virtual environment of
# its own under target/ (nothing installed system-wide but Debian's python3-venv).
SMTP_SINK_VERSION="1.4.6"
ensure_smtp_sink() {
  local venv="$ROOT/target/smtp-sink"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    ok "SMTP server for tests (aiosmtpd): present"
    return 0
  fi
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt_install python3 python3-venv
  fi
  say "Installing the tests' SMTP server (aiosmtpd $SMTP_SINK_VERSION from PyPI) into target/smtp-sink"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$SMTP_SINK_VERSION"
}

# The CDNOW sample (Fader, Hardie & Lee 2005: 2,357 customers' purchases, 1997-98), the
# public data set the insights models are checked against. It ships inside the `lifetimes`
# package on PyPI; downloaded once into target/datasets. Sets BAZAAR_CDNOW_SAMPLE.
LIFETIMES_VERSION="0.11.3"
ensure_cdnow_sample() {
  local dir="$ROOT/target/datasets"
  export BAZAAR_CDNOW_SAMPLE="$dir/CDNOW_sample.txt"
  if [ -s "$BAZAAR_CDNOW_SAMPLE" ]; then
    ok "CDNOW sample for the insights check: present"
    return 0
  fi
  say "Fetching the CDNOW sample (inside lifetimes $LIFETIMES_VERSION from PyPI) into target/datasets"
  mkdir -p "$dir"
  "$ROOT/target/smtp-sink/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --dest "$dir" "lifetimes==$LIFETIMES_VERSION"
  "$ROOT/target/smtp-sink/bin/python" - "$dir" <<'PY'
import glob, sys, zipfile
dir = sys.argv[1]
wheel = glob.glob(f"{dir}/*ifetimes-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    open(f"{dir}/CDNOW_sample.txt", "wb").write(z.read("lifetimes/datasets/CDNOW_sample.txt"))
PY
}

# Starts the SMTP sink on a free port; sets BAZAAR_TEST_SMTP (host:port) and
# BAZAAR_TEST_MAILDIR (where received messages are written) for the tests.
start_smtp_sink() {
  export BAZAAR_TEST_MAILDIR="$(mktemp -d /tmp/bazaar-mail.XXXXXX)"
  local port
  port="$(free_port)"
  # SMTP_SINK_NICE: the benchmark runs it at the lowest CPU priority, standing in for a mail
  # server on another machine rather than competing with the server it measures.
  nice -n "${SMTP_SINK_NICE:-0}" "$ROOT/target/smtp-sink/bin/python" "$ROOT/server/scripts/smtp_sink.py" "$port" "$BAZAAR_TEST_MAILDIR" \
    >"$BAZAAR_TEST_MAILDIR.log" 2>&1 &
  SMTP_SINK_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export BAZAAR_TEST_SMTP="127.0.0.1:$port"
  ok "SMTP server for tests: $BAZAAR_TEST_SMTP (pid $SMTP_SINK_PID), mail in $BAZAAR_TEST_MAILDIR"
}

build_release() {
  say "Building the portal (release: server and size-optimised WebAssembly)"
  # --split: lazy routes (staff, account, sign-up) go into chunks of their own, fetched on
  # first use. --precompress: brotli (quality 11) and gzip copies of every site file, which the
  # static file service sends as they are (compressing on the fly uses a faster, weaker setting).
  cargo leptos build --release --split --precompress
  wasm_size
}

wasm_size() {
  node end2end/scripts/wasm-size.mjs target/site/pkg/bazaar.*wasm
}

# The environment the server binary reads when not started by cargo-leptos.
site_env() {
  export LEPTOS_OUTPUT_NAME=bazaar
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  export LEPTOS_SITE_PKG_DIR=pkg
  export LEPTOS_ENV=PROD
  export LEPTOS_RELOAD_PORT=3001
  # cargo-leptos wrote hash.txt beside the binary; the pages link the hashed file names.
  export LEPTOS_HASH_FILES=true
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
