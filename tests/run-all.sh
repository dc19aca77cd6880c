#!/usr/bin/env bash
# Runs every test of the workspace. Tests drive real tools (the Docker Engine, docker-compose,
# nginx, promtool, PostgreSQL, Redis); .ci/run installs them on a fresh Debian machine.
# A throwaway PostgreSQL and Redis on 127.0.0.1 are started for the service tests unless
# TMCTL_TEST_DATABASE_URL is already set.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -n "$pg_bin" ]]; then
    export PATH="$pg_bin:$PATH"
fi
if [[ -z "${TMCTL_TEST_DATABASE_URL:-}" ]] && command -v initdb >/dev/null && command -v redis-server >/dev/null; then
    eval "$(tests/support/start-pg-redis.sh)"
    trap 'tests/support/start-pg-redis.sh stop "$TMCTL_TEST_DB_DIR"' EXIT
fi
cargo test --workspace "$@"
