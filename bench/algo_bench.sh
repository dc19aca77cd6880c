#!/usr/bin/env bash
# Environment steps per second of the trading algorithms (EIIE on dj30, DQN on BTC).
# Release build; run on demand, not in CI. Needs ../shared/data/trademaster beside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tmctl-service --example algo_bench
