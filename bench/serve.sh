#!/usr/bin/env bash
# Load and memory of `tmctl serve` (release, SQLite under a temp dir):
#  1. wrk -t2 -c256 for DURATION on /api/TradeMaster/healthcheck and getParameters,
#     RUNS alternating runs each (goal: p99 < 10 ms, 0 errors on 2 cores);
#  2. peak RSS above idle of a fresh server while a ~110 MB CSV is uploaded through
#     POST /api/v1/datasets (goal: < 64 MB).
# With REDIS_URL set in the environment the server uses that Redis as its cache.
# Needs wrk and curl. Usage: bench/serve.sh [path/to/tmctl] [runs] [duration]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
runs="${2:-3}"
duration="${3:-30s}"
bench_start "${1:-}"
server=""
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start_server() {  # data dir → sets $server and $port
    port="$(free_port)"
    TMCTL_TOKEN_KEY="bench key of more than sixteen bytes" RUST_LOG=warn \
        "$tmctl" serve --listen "127.0.0.1:$port" --data-dir "$1" >"$1.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "tmctl serve did not start:" >&2; cat "$1.log" >&2; return 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

echo "== wrk -t2 -c256 -d$duration, $runs runs per route"
start_server "$work/load"
for route in healthcheck getParameters; do
    wrk -t2 -c256 -d2s "http://127.0.0.1:$port/api/TradeMaster/$route" >/dev/null  # warm-up
done
declare -A p99s
for run in $(seq "$runs"); do
    for route in healthcheck getParameters; do
        out="$(wrk -t2 -c256 -d"$duration" --latency "http://127.0.0.1:$port/api/TradeMaster/$route")"
        p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
        rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
        errors="$(grep -E "Socket errors|Non-2xx" <<<"$out" | tr -s ' ' || true)"
        p99s[$route]+="$p99 "
        echo "run $run $route: p99 $p99, $rps req/s, errors: ${errors:-none}"
    done
done
for route in healthcheck getParameters; do
    python3 - "$route" ${p99s[$route]} <<'PY'
import statistics, sys
def ms(text):
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
ms_values = [ms(v) for v in sys.argv[2:]]
print(f"{sys.argv[1]}: p99 median {statistics.median(ms_values):.2f} ms, worst {max(ms_values):.2f} ms")
PY
done
stop_server

echo "== peak RSS while uploading a large CSV"
python3 - "$work/big.csv" <<'PY'
import sys
row = "2020-01-02 10:00:00,AAPL,101.25,102.5,100.75,101.5,101.5,0.0012,-0.0031\n"
with open(sys.argv[1], "w") as f:
    f.write("date,tic,open,high,low,close,adjcp,zopen,zclose\n")
    chunk = row * 8192
    for _ in range((110 * 1000 * 1000) // len(chunk)):
        f.write(chunk)
PY
start_server "$work/upload"
credentials='{"username":"bench","password":"a long bench password"}'
curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$credentials" "http://127.0.0.1:$port/api/v1/auth/register"
token="$(curl -fsS -H 'Content-Type: application/json' -d "$credentials" "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
idle="$(rss_kb "$server" VmRSS)"
started=$(date +%s.%N)
curl -fsS -o "$work/upload.json" -H "Authorization: Bearer $token" -F "file=@$work/big.csv" "http://127.0.0.1:$port/api/v1/datasets"
ended=$(date +%s.%N)
peak="$(rss_kb "$server" VmHWM)"
size_mb=$(( $(stat -c %s "$work/big.csv") / 1000000 ))
echo "uploaded ${size_mb} MB in $(echo "$ended - $started" | bc) s; idle RSS $((idle / 1024)) MB, peak $((peak / 1024)) MB, peak above idle $(((peak - idle) / 1024)) MB"
stop_server
