#!/usr/bin/env bash
# Backup throughput and restore time on a >= 1 GB database.
#
#   tmctl up --profile dev --project tm-bench --wait     # a stack to measure on
#   bench/backup.sh tm-bench
#
# Fills the database with `pgbench -i -s $SCALE` (70 ≈ 1 GB) unless it is filled already,
# then times pg_dump -Fc writing inside the container against `tmctl backup run` (the same
# pg_dump streamed to the host, fsynced, checksummed and checked with pg_restore --list),
# at the same compression, and `tmctl backup restore latest --yes`.
set -euo pipefail

PROJECT=${1:-tm-bench}
PROFILE=${PROFILE:-dev}
SCALE=${SCALE:-70}
LEVEL=${LEVEL:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMCTL=${TMCTL:-$ROOT/target/release/tmctl}
WORK=${WORK:-$(mktemp -d)}
cd "$WORK"

tm() { "$TMCTL" --profile "$PROFILE" --project "$PROJECT" "$@"; }
pg() { tm exec postgres -- "$@"; }
sql() { pg psql -X -At -U trademaster -d trademaster -c "$1"; }
now() { date +%s.%N; }

rows=$(sql "SELECT count(*) FROM pgbench_accounts" 2>/dev/null || echo 0)
if [ "$rows" -lt $((SCALE * 100000)) ]; then
  echo "filling: pgbench -i -s $SCALE"
  start=$(now)
  pg pgbench -i -q -s "$SCALE" -U trademaster trademaster
  echo "  filled in $(echo "$(now) - $start" | bc) s"
fi
db_bytes=$(sql "SELECT pg_database_size('trademaster')")
echo "database: $((db_bytes / 1048576)) MiB"

start=$(now)
pg sh -c "pg_dump -Fc -Z $LEVEL -U trademaster -d trademaster -f /tmp/bench.dump && sync"
inside=$(echo "$(now) - $start" | bc)
inside_bytes=$(pg stat -c %s /tmp/bench.dump)
pg rm -f /tmp/bench.dump

export TMCTL_BACKUP_DIR=$WORK/backups
start=$(now)
tm backup run
tmctl_seconds=$(echo "$(now) - $start" | bc)
dump=$(ls "$WORK/backups/$PROJECT"/*.dump | tail -1)
tmctl_bytes=$(stat -c %s "$dump")

start=$(now)
tm backup restore latest --yes
restore=$(echo "$(now) - $start" | bc)

mib() { echo "scale=1; $db_bytes / 1048576 / $1" | bc; }
echo
echo "compression: gzip level $LEVEL (PostgreSQL 15 has no zstd custom format)"
printf "pg_dump -Fc inside the container: %6.1f s  %5s MiB/s of database  dump %d MiB\n" "$inside" "$(mib "$inside")" $((inside_bytes / 1048576))
printf "tmctl backup run (to the host):   %6.1f s  %5s MiB/s of database  dump %d MiB\n" "$tmctl_seconds" "$(mib "$tmctl_seconds")" $((tmctl_bytes / 1048576))
printf "ratio (inside / tmctl):           %6.2f x\n" "$(echo "scale=3; $inside / $tmctl_seconds" | bc)"
printf "tmctl backup restore latest:      %6.1f s\n" "$restore"
