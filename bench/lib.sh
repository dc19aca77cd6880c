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
