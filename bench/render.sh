#!/usr/bin/env bash
# Wall time of `tmctl render` per profile (goal: < 50 ms each). Needs hyperfine
# (Debian package). Usage: bench/render.sh [path/to/tmctl]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
tmctl="$(tmctl_binary "${1:-}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for profile in dev prod extended; do
    "$tmctl" render --profile "$profile" --out "out-$profile" -q   # first run generates secrets
    hyperfine --warmup 3 --runs 30 -N --export-json "$work/$profile.json" \
        "$tmctl render --profile $profile --out out-$profile -q" >/dev/null
    hyperfine_line "$work/$profile.json" "render $profile"
done
