#!/usr/bin/env bash
# Zero-downtime releases under load. Brings the prod profile up (2 service replicas, gateway
# on loopback ports, rate limits lifted) from an empty folder, then keeps
# `wrk -t2 -c<connections>` on /api/TradeMaster/getParameters through the gateway (HTTPS)
# for the whole of each operation and prints, per operation: requests, failures (non-2xx
# plus socket errors), p99 latency and how long the operation took:
#   config change of the service, new service image (a new tmctl binary), scale 2→4→2,
#   a broken new version (its healthcheck fails: up must exit 1), rollback to the
#   previous release.
# Usage: bench/releases.sh [path/to/tmctl] [connections]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
connections="${2:-256}"
bench_start "${1:-}"
project="tmb-rel-$$"
cleanup() {
    cd "$work" && "$tmctl" down -p prod --project "$project" --volumes --yes -q >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir -p profiles
export_bench_stack_env "$work"
url="https://127.0.0.1:$TM_HTTPS_PORT/api/TradeMaster/getParameters"

# A broken version: the same service whose healthcheck never passes.
cat >profiles/broken.yaml <<'EOF'
extends: prod
services:
  service:
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 3
EOF

printf '%-28s %10s %9s %9s %10s %s\n' OPERATION REQUESTS FAILED P99 TOOK EXIT
under_load() {  # name command...
    local name="$1"; shift
    wrk -t2 -c"$connections" -d1h --latency "$url" >"$work/wrk.out" 2>&1 &
    local wrk_pid=$!
    sleep 2
    local started exit_code=0
    started=$(date +%s.%N)
    "$@" >"$work/op.log" 2>&1 || exit_code=$?
    local took
    took=$(echo "$(date +%s.%N) - $started" | bc)
    sleep 2
    kill -INT "$wrk_pid"; wait "$wrk_pid" || true
    local requests failed rps p99
    read -r requests failed rps p99 < <(wrk_figures "$work/wrk.out")
    printf '%-28s %10s %9s %9s %9.1fs %s\n' "$name" "$requests" "$failed" "$p99" "$took" "$exit_code"
}

"$tmctl" up -p prod --project "$project" --wait -q
under_load "config change" env TM_LOG=debug "$tmctl" up -p prod --project "$project" --wait
cp "$tmctl" "$work/tmctl-v2" && printf 'tmctl bench v2' >>"$work/tmctl-v2"
under_load "new service image" env TM_LOG=debug "$work/tmctl-v2" up -p prod --project "$project" --wait
under_load "scale 2→4" env TM_LOG=debug "$work/tmctl-v2" up -p prod --project "$project" --scale service=4 --wait
under_load "scale 4→2" env TM_LOG=debug "$work/tmctl-v2" up -p prod --project "$project" --scale service=2 --wait
under_load "broken version (exit 1)" env TM_LOG=debug "$work/tmctl-v2" up -p broken --project "$project" --wait --timeout 60s
under_load "rollback to release 2" "$tmctl" rollback 2 -p prod --project "$project" --wait
"$tmctl" releases -p prod --project "$project"
