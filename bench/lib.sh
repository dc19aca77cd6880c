# Helpers sourced by the bench scripts.

# The tmctl binary to measure: the given path, or a release build of this checkout.
tmctl_binary() {  # [path]
    if [[ -n "${1:-}" ]]; then
        echo "$1"
        return
    fi
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cargo build --release --manifest-path "$root/Cargo.toml" --bin tmctl >&2
    echo "$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/tmctl"
}

# A TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One line from a hyperfine --export-json file: mean, min and max in milliseconds.
hyperfine_line() {  # json-file label
    python3 - "$1" "$2" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:16s} mean {result['mean']*1000:7.2f} ms  min {result['min']*1000:7.2f} ms  max {result['max']*1000:7.2f} ms")
PY
}

# Loopback ports, lifted rate limits and a backup directory for a stack under load.
export_bench_stack_env() {  # work-dir
    export TM_HTTP_BIND=127.0.0.1 TM_HTTPS_BIND=127.0.0.1
    TM_HTTP_PORT="$(free_port)" TM_HTTPS_PORT="$(free_port)"
    export TM_HTTP_PORT TM_HTTPS_PORT
    export TM_API_RATE=1000000r/s TM_API_BURST=1000000 TM_BACKUP_DIR="$1/backups"
}

# Figures of a `wrk --latency` output: requests, failures (non-2xx + socket errors),
# requests per second and p99 as wrk prints it.
wrk_figures() {  # wrk-output-file
    local requests non2xx errors rps p99
    requests=$(awk '/requests in/ {print $1}' "$1")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$1"); non2xx=${non2xx:-0}
    errors=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' "$1"); errors=${errors:-0}
    rps=$(awk '/Requests\/sec/ {print $2}' "$1")
    p99=$(awk '$1=="99%" {print $2}' "$1")
    echo "$requests $((non2xx + errors)) $rps $p99"
}

# The tmctl to measure (`$tmctl`) and a scratch directory (`$work`) for one bench run.
bench_start() {  # [path/to/tmctl]
    tmctl="$(tmctl_binary "${1:-}")"
    work="$(mktemp -d)"
}
