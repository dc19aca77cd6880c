#!/usr/bin/env bash
# Market-dynamics labeling benchmarks: wall time and peak memory per scenario.
# Usage: bench/dynamics.sh   (release build; each scenario runs in its own process)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(cargo test --release -p tmctl-service --test dynamics_bench --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*dynamics_bench[^"]*"' | tail -1 | cut -d'"' -f4)
if [[ -z "$binary" ]]; then
  echo "could not build the dynamics_bench test binary" >&2
  exit 1
fi
scenarios=(
  bench_dji_csv_no_merging
  bench_dji_csv_merging
  bench_walk_1m_no_merging
  bench_walk_1m_csv_no_merging
  bench_walk_250k_merging
  bench_walk_500k_merging
  bench_walk_1m_merging
)
for scenario in "${scenarios[@]}"; do
  log=$(mktemp)
  /usr/bin/time -v "$binary" --ignored --exact "$scenario" --nocapture --test-threads=1 >"$log" 2>&1
  line=$(grep -o 'BENCH .*' "$log")
  peak=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  echo "$line peak_rss_mib=$((peak / 1024))"
  rm -f "$log"
done
