#!/usr/bin/env bash
# Cold `tmctl up --wait` of the dev profile (images present) against `docker-compose up -d`
# on the file tmctl renders plus waiting until every container is healthy; alternating
# runs on the same machine. Then the no-op `up` and `plan` with hyperfine.
# Usage: bench/up.sh [path/to/tmctl] [runs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmctl="${1:-$root/target/release/tmctl}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'cd "$work"; "$tmctl" down -p dev --project tmb-tmctl --volumes --yes -q >/dev/null 2>&1 || true; docker-compose -p tmb-compose -f "$work/rendered/docker-compose.yml" down -v >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"
export TM_HTTP_PORT=18190

"$tmctl" images build -q
"$tmctl" render -p dev --project tmb-compose --out rendered -q

wait_healthy() {  # project
    local deadline=$((SECONDS + 180))
    while ((SECONDS < deadline)); do
        local ids states
        ids=$(docker ps -aq --filter "label=com.docker.compose.project=$1")
        if [[ -n "$ids" ]]; then
            states=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $ids)
            if ! grep -qv -e '^healthy$' -e '^running$' <<<"$states"; then return 0; fi
        fi
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2; docker ps -a --filter "label=com.docker.compose.project=$1" --format "{{.Names}} {{.Status}}" >&2; return 1
}

now() { date +%s.%N; }
tm_times=(); compose_times=()
for run in $(seq "$runs"); do
    start=$(now); "$tmctl" up -p dev --project tmb-tmctl --wait -q; end=$(now)
    tm_times+=("$(echo "$end - $start" | bc)")
    "$tmctl" down -p dev --project tmb-tmctl --volumes --yes -q

    start=$(now); docker-compose -p tmb-compose -f rendered/docker-compose.yml up -d >/dev/null 2>&1
    wait_healthy tmb-compose; end=$(now)
    compose_times+=("$(echo "$end - $start" | bc)")
    docker-compose -p tmb-compose -f rendered/docker-compose.yml down -v >/dev/null 2>&1
    echo "run $run: tmctl ${tm_times[-1]}s, docker-compose ${compose_times[-1]}s"
done
python3 - "${tm_times[*]}" "${compose_times[*]}" <<'PY'
import statistics, sys
tm = [float(x) for x in sys.argv[1].split()]
co = [float(x) for x in sys.argv[2].split()]
print(f"cold up --wait: tmctl median {statistics.median(tm):.2f}s, docker-compose median {statistics.median(co):.2f}s, ratio {statistics.median(tm)/statistics.median(co):.2f}")
PY

"$tmctl" up -p dev --project tmb-tmctl --wait -q
hyperfine -N --warmup 2 --runs 20 "$tmctl up -p dev --project tmb-tmctl -q" "$tmctl plan -p dev --project tmb-tmctl -q" 2>/dev/null | grep -E "Benchmark|Time"
