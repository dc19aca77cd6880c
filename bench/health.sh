#!/usr/bin/env bash
# Wall time of `tmctl health` on a healthy dev and prod stack (goal: < 150 ms each).
# Brings each stack up under its own project on free loopback ports, measures, and takes
# it down again (volumes included). Needs hyperfine and a Docker Engine with the images
# (`tmctl images bootstrap`). Usage: bench/health.sh [path/to/tmctl]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
tmctl="$(tmctl_binary "${1:-}")"
work="$(mktemp -d)"
projects=()
cleanup() {
    for entry in "${projects[@]}"; do
        "$tmctl" down --profile "${entry%%:*}" --project "${entry##*:}" --volumes --yes -q >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export TM_HTTP_BIND=127.0.0.1 TM_HTTPS_BIND=127.0.0.1
for profile in dev prod; do
    project="bench-health-$profile-$$"
    projects+=("$profile:$project")
    export TM_HTTP_PORT="$(free_port)" TM_HTTPS_PORT="$(free_port)"
    scale=()
    [[ "$profile" == prod ]] && scale=(--scale backup=0)   # until `tmctl backup schedule` exists
    "$tmctl" up --profile "$profile" --project "$project" "${scale[@]}" --wait --timeout 300s -q >/dev/null
    "$tmctl" health --profile "$profile" --project "$project" --wait --timeout 60s >/dev/null
    hyperfine --warmup 3 --runs 30 -N --export-json "$work/$profile.json" \
        "$tmctl health --profile $profile --project $project" >/dev/null
    hyperfine_line "$work/$profile.json" "health $profile"
done
