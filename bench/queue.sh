#!/usr/bin/env bash
# The on-sale of a big event through its waiting room (Step 13), on one fresh PostgreSQL
# (fsync on): the release server, then `booking-load queue` with BENCH_BUYERS (10,000)
# buyers for BENCH_TICKETS (2,000) tickets, BENCH_SKIPPERS (100) skippers, the room at
# BENCH_ADMIT_PER_MINUTE (the server's default when unset). Prints the table and writes
# it to bench/results/<date>-queue.md.
#
# `just bench-queue` runs this under `with-postgres --durable` (TEST_DATABASE_URL) with
# BENCH_BIN pointing at release builds of booking-api and booking-load.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:?set BENCH_BIN to the folder of the release binaries}
admin_url=${TEST_DATABASE_URL:?run under with-postgres}
buyers=${BENCH_BUYERS:-10000}
tickets=${BENCH_TICKETS:-2000}
skippers=${BENCH_SKIPPERS:-100}
lead=${BENCH_LEAD:-60s}
port=${BENCH_PORT:-18082}
base=http://127.0.0.1:$port
work=$(mktemp -d -t booking-queue-XXXXXX)

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
require_tools jq curl
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# Every buyer holds a WebSocket, and the load tester keeps up to a few hundred HTTP
# connections besides (reads of places, bookings, skippers): the server and the load
# tester, each at one end, need that many open files and some to spare.
need=$((buyers + skippers + 2048))
if [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" -lt "$need" ]; then
    echo "bench: $buyers buyers need $need open files per process; this shell allows $(ulimit -n) (hard limit $(ulimit -Hn)). Raise it (README, 'Load testing') or set BENCH_BUYERS lower." >&2
    exit 1
fi

say "database: migrated and seeded by the release server"
prepare_database
start_server

admit=()
[ -n "${BENCH_ADMIT_PER_MINUTE:-}" ] && admit=(--admit-per-minute "$BENCH_ADMIT_PER_MINUTE")
say "booking-load queue: $buyers buyers, $tickets tickets, $skippers skippers"
status=0
"$bin/booking-load" --base-url "$base" --json queue --buyers "$buyers" --tickets "$tickets" \
    --skippers "$skippers" --lead "$lead" --server-pid "$server" ${admit[@]+"${admit[@]}"} \
    >"$work/queue.json" || status=$?
[ "$status" -le 1 ] || { echo "bench: booking-load queue could not run" >&2; exit 1; }
# The server's own view of the same requests: its request-time histograms.
curl -sf "$base/metrics" >"$work/metrics.txt" || true
[ -z "${BENCH_KEEP:-}" ] || cp "$work/metrics.txt" "$BENCH_KEEP"
[ "$status" -eq 0 ] || echo "bench: booking-load queue reported FAIL" >&2

# ---------------------------------------------------------------- report
dirty=$(git -C "$root" diff --quiet HEAD -- crates bench || echo '+changes')
jq -n --arg when "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    --arg commit "$(git -C "$root" rev-parse --short HEAD)$dirty" \
    --argjson cores "$(nproc)" \
    --argjson memory "$(awk '/MemTotal/ { print int($2 / 1048576 + 0.5) }' /proc/meminfo)" \
    --arg postgres "$("$psql_bin" --version | awk '{ print "PostgreSQL " $3 }')" \
    --arg fsync "$(psql "$db_url" -Atc 'SHOW fsync')" \
    --argjson files "$(ulimit -n)" \
    '{when: $when, commit: $commit, cores: $cores, memoryGib: $memory, postgres: $postgres,
      fsync: $fsync, openFiles: $files}' >"$work/run.json"
report=$("$bin/booking-load" report queue "$work")
printf '\n%s\n' "$report"
mkdir -p "$root/bench/results"
printf '\n%s\n' "$report" >>"$root/bench/results/$(date -u +%F)-queue.md"
exit "$status"
