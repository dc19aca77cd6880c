#!/usr/bin/env bash
# Runs every test of the workspace. Tests drive real tools (docker-compose, nginx, promtool,
# the Docker Engine); .ci/run installs them on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace "$@"
