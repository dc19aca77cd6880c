#!/usr/bin/env bash
# Starts a throwaway PostgreSQL and Redis on 127.0.0.1 (non-default ports) in a temp dir and
# prints the environment the service tests read. Usage:
#   eval "$(tests/support/start-pg-redis.sh)"      # exports TMCTL_TEST_DATABASE_URL / _REDIS_URL
#   tests/support/start-pg-redis.sh stop <dir>     # stops them and removes the dir
set -euo pipefail

if [[ "${1:-}" == "stop" ]]; then
    dir="${2:?usage: $0 stop <dir>}"
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- pg_ctl -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
    else
        pg_ctl -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
    fi
    if [[ -f "$dir/redis.pid" ]]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    exit 0
fi

pg_port="${TMCTL_TEST_PG_PORT:-55432}"
redis_port="${TMCTL_TEST_REDIS_PORT:-56379}"
dir="$(mktemp -d /tmp/tmctl-test-db.XXXXXX)"
run_as=()
if [[ "$(id -u)" == "0" ]]; then
    # initdb refuses to run as root: hand the directory to the postgres user.
    chown -R postgres "$dir"
    run_as=(runuser -u postgres --)
fi

"${run_as[@]}" initdb -D "$dir/pg" -U trademaster --auth=trust >"$dir/initdb.log" 2>&1
"${run_as[@]}" pg_ctl -D "$dir/pg" -l "$dir/pg.log" -w \
    -o "-p $pg_port -h 127.0.0.1 -k $dir -c fsync=off -c max_connections=200" start >/dev/null
"${run_as[@]}" createdb -h 127.0.0.1 -p "$pg_port" -U trademaster trademaster

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" >/dev/null
for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

echo "export TMCTL_TEST_DATABASE_URL=postgres://trademaster@127.0.0.1:$pg_port/trademaster"
echo "export TMCTL_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
echo "export TMCTL_TEST_DB_DIR=$dir"
