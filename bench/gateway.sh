#!/usr/bin/env bash
# Gateway throughput: nginx's own /health against the proxied
# /api/TradeMaster/getParameters (edge nginx → router nginx → service replicas) through the
# same gateway, wrk -t2 -c<connections> for <duration> each, alternating, <runs> times.
# Prints req/s, p99 and errors per run and the medians' ratios (goal: proxied ≥ 0.6× the
# /health throughput, p99 ≤ 2× its p99, 0 errors).
# Usage: bench/gateway.sh [path/to/tmctl] [profile: dev|prod] [runs] [duration] [connections]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
profile="${2:-dev}"
runs="${3:-3}"
duration="${4:-20s}"
connections="${5:-256}"
bench_start "${1:-}"
project="tmb-gw-$$"
cleanup() {
    cd "$work" && "$tmctl" down -p "$profile" --project "$project" --volumes --yes -q >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export_bench_stack_env "$work"
"$tmctl" up -p "$profile" --project "$project" --wait -q
if [[ "$profile" == prod ]]; then
    base="https://127.0.0.1:$TM_HTTPS_PORT"
else
    base="http://127.0.0.1:$TM_HTTP_PORT"
fi
# Warm both paths (TLS sessions, upstream keepalive pools, the service's caches).
wrk -t2 -c"$connections" -d5s "$base/health" >/dev/null 2>&1
wrk -t2 -c"$connections" -d5s "$base/api/TradeMaster/getParameters" >/dev/null 2>&1

to_ms() {  # wrk latency (e.g. 12.34ms, 1.2s, 900us) → milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
        else print v }'
}
measure() {  # path → "rps p99_ms errors"
    local out="$work/wrk.out"
    wrk -t2 -c"$connections" -d"$duration" --latency "$base$1" >"$out" 2>&1
    local requests failed rps p99
    read -r requests failed rps p99 < <(wrk_figures "$out")
    echo "$rps $(to_ms "$p99") $failed"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-4s %-36s %10s %10s %7s\n' RUN PATH REQ/S P99_MS ERRORS
: >"$work/health" ; : >"$work/proxied"
for run in $(seq 1 "$runs"); do
    read -r rps p99 errors < <(measure /health)
    printf '%-4s %-36s %10s %10s %7s\n' "$run" "/health (nginx)" "$rps" "$p99" "$errors"
    echo "$rps $p99 $errors" >>"$work/health"
    read -r rps p99 errors < <(measure /api/TradeMaster/getParameters)
    printf '%-4s %-36s %10s %10s %7s\n' "$run" "getParameters (proxied)" "$rps" "$p99" "$errors"
    echo "$rps $p99 $errors" >>"$work/proxied"
done
h_rps=$(awk '{print $1}' "$work/health" | median); h_p99=$(awk '{print $2}' "$work/health" | median)
p_rps=$(awk '{print $1}' "$work/proxied" | median); p_p99=$(awk '{print $2}' "$work/proxied" | median)
p_errors=$(awk '{s+=$3} END {print s}' "$work/proxied")
echo "medians: /health $h_rps req/s p99 ${h_p99} ms; getParameters $p_rps req/s p99 ${p_p99} ms; proxied errors $p_errors"
echo "ratio throughput $(echo "scale=2; $p_rps / $h_rps" | bc) (goal ≥ 0.6), ratio p99 $(echo "scale=2; $p_p99 / $h_p99" | bc) (goal ≤ 2)"
