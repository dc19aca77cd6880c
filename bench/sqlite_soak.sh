#!/usr/bin/env bash
# SQLite under concurrency: 8 clients replay the TradeMaster client flows (upload, train,
# test, labeling, dynamics test) against one service on SQLite for 5 minutes (debug build,
# as in the tests); prints requests, flows and jobs, and fails on any failed answer or job.
# The 20-second version runs in `cargo test` (service/tests/api/sqlite_soak.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
TMCTL_SOAK_SECS="${TMCTL_SOAK_SECS:-300}" cargo test -q -p tmctl-service --test api \
    sqlite_soak -- --nocapture 2>&1 | grep -E "sqlite soak|test result|panicked|errors|answers"
