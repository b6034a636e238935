#!/usr/bin/env bash
# `just bench-cluster`: what the production shape (cluster/lib.sh) costs and buys, with
# release builds, written to bench/results/<date>-failover.md:
#
# 1. the hot event's bookings/s through the proxy to 3 replicas against 1 replica direct;
# 2. the hot event's bookings/s (1 replica direct) under each synchronous_commit:
#    remote_apply (the cluster's), on, local;
# 3. the public event page (oha) read off the standby (DATABASE_READ_URL, the cluster's)
#    and off the primary, each while a storm books;
# 4. the failover: `cluster/test.sh` on a cluster of its own (the time from the last 201
#    before the primary's loss to the first after, the 503s asked again in between).
#
# BENCH_CLIENTS (64) and BENCH_SECONDS (15) size each storm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CLUSTER_DIR=${CLUSTER_DIR:-$(mktemp -d -t booking-cluster-bench-XXXXXX)}
export CLUSTER_PORT=${CLUSTER_PORT:-18090}
: "${API_BIN:?set API_BIN to the release booking-api binary}"
: "${LOAD_BIN:?set LOAD_BIN to the release booking-load binary}"
# shellcheck source=cluster/lib.sh
source "$root/cluster/lib.sh"
clients=${BENCH_CLIENTS:-64}
seconds=${BENCH_SECONDS:-15}
out=$root/bench/results/$(date -u +%F)-failover.md

cluster_install
command -v oha >/dev/null || { say "oha is missing: cargo install oha --locked"; exit 1; }
trap cluster_down EXIT
export CLUSTER_API_ENV="RATE_LIMITS=off BCRYPT_COST=4 RUST_LOG=warn"
cluster_up

# bookings/s of a storm on one hot event at base URL $1, its JSON kept as $2.
storm_rate() {
    "$LOAD_BIN" --base-url "$1" --json storm --clients "$clients" --duration "${seconds}s" \
        --tickets 1000000 >"$CLUSTER_DIR/$2.json" 2>>"$CLUSTER_DIR/bench.err"
    jq -r '"\(.bookingsPerS | floor) bookings/s, p99 \(.latency.p99Ms) ms, \(.serverErrors) 5xx"' \
        "$CLUSTER_DIR/$2.json"
}

api1="http://127.0.0.1:${api_ports[0]}"
say "1. hot event: 3 replicas through the proxy, then 1 replica direct"
through_proxy=$(storm_rate "$proxy_url" proxy)
direct=$(storm_rate "$api1" direct)

say "2. synchronous_commit"
declare -A commit
for mode in remote_apply on local; do
    psql "$database_url" -XAtqc "ALTER SYSTEM SET synchronous_commit = '$mode'" -c "SELECT pg_reload_conf()" >/dev/null
    commit[$mode]=$(storm_rate "$api1" "commit-$mode")
done
psql "$database_url" -XAtqc "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null

say "3. the public event page while a storm books: off the standby, then off the primary"
event=$(jq -r '.eventIds[0]' "$CLUSTER_DIR/direct.json")
page_reads() {
    "$LOAD_BIN" --base-url "$proxy_url" --json storm --clients 16 --duration "${seconds}s" \
        --tickets 1000000 >"$CLUSTER_DIR/$1-storm.json" 2>>"$CLUSTER_DIR/bench.err" &
    local load=$!
    oha -z "${seconds}s" -c 32 --no-tui --output-format json \
        "$proxy_url/api/v1/events/$event" >"$CLUSTER_DIR/$1-oha.json" 2>>"$CLUSTER_DIR/bench.err"
    wait "$load"
    jq -r '"\(.summary.requestsPerSec | floor) reads/s, p99 \(.latencyPercentiles.p99 * 1000 * 100 | floor / 100) ms"' \
        "$CLUSTER_DIR/$1-oha.json" | tr '\n' ' '
    jq -r '"beside \(.bookingsPerS | floor) bookings/s"' "$CLUSTER_DIR/$1-storm.json"
}
off_standby=$(page_reads standby)
# The same instances, their public reads sent to the primary.
for n in 1 2 3; do
    pid=$(pid_of "api$n")
    kill -TERM "$pid"
    while alive "$pid"; do sleep 0.2; done
done
database_read_url=$database_url
for n in 1 2 3; do start_api "$n"; done
for n in 1 2 3; do wait_until "api$n" 60 api_ready "$n"; done
wait_until "the proxy to see the instances" 30 curl -sf "$proxy_url/ready"
sleep 2
off_primary=$(page_reads primary)
trap - EXIT
cluster_down

say "4. the failover (cluster/test.sh, release builds)"
failover_dir=$(mktemp -d -t booking-cluster-failover-XXXXXX)
CLUSTER_DIR=$failover_dir "$root/cluster/test.sh" >&2
figures=$(cat "$failover_dir/figures.txt")

{
    echo
    echo "## The production shape, $(date -u '+%F %H:%M') UTC, commit $(git -C "$root" rev-parse --short HEAD)"
    echo
    echo "One machine: 2 cores, HAProxy $(haproxy -v | head -1 | awk '{print $3}'), pg_auto_failover $(pg_autoctl --version | head -1 | awk '{print $3}'),"
    echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') primary + synchronous standby + monitor, 3 release api instances (pool $(echo "${DB_POOL_SIZE:-8}") each), storms of $clients clients for ${seconds} s on one hot event."
    echo
    echo "| What | Measured |"
    echo "|---|---|"
    echo "| hot event, 3 replicas through HAProxy | $through_proxy |"
    echo "| hot event, 1 replica direct | $direct |"
    for mode in remote_apply on local; do
        echo "| hot event, 1 replica direct, synchronous_commit = $mode | ${commit[$mode]} |"
    done
    echo "| event page (oha, 32 connections) off the standby | $off_standby |"
    echo "| event page (oha, 32 connections) off the primary | $off_primary |"
    echo
    echo "The failover (\`cluster/test.sh\`: 16 clients through the proxy, the primary's keeper"
    echo "and postmaster SIGKILLed at 12 s, the old primary started again; then api3 SIGKILLed):"
    echo
    echo '```'
    echo "$figures"
    echo '```'
} | tee -a "$out" >&2
say "appended to $out"
