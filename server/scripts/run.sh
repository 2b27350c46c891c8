#!/usr/bin/env bash
# Runs the portal with its own embedded PostgreSQL and the demo store. Installs what is missing.
# Ctrl-C stops the server and its database; the data stays in .data/ for the next run.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

say "Checking what is installed"
ensure_build_tools
ensure_node
ensure_postgres
build_release

site_env
export LEPTOS_SITE_ADDR="${BAZAAR_ADDR:-127.0.0.1:3000}"
export BAZAAR_DEMO="${BAZAAR_DEMO:-1}"
say "Starting Rewards Bazaar on http://$LEPTOS_SITE_ADDR/ (demo store: BAZAAR_DEMO=$BAZAAR_DEMO)"
exec "$ROOT/target/release/bazaar"
