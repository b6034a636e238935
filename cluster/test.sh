#!/usr/bin/env bash
# `just test-cluster`: the production shape (cluster/lib.sh) broken on purpose, twice,
# under a storm through the proxy, with `booking-load storm` keeping its verdicts:
#
# 1. The primary's machine lost mid-storm (its keeper and postmaster SIGKILLed): every
#    booking answered 201 is read back after the promotion, nothing is oversold, the
#    counts are conserved, no 500, bookings succeed again, watchers on another instance
#    and behind the proxy hear the final counts, and the old primary, started again,
#    is the new standby.
# 2. One api instance SIGKILLed mid-storm: the proxy takes it out, its WebSockets
#    reconnect through the proxy elsewhere, nothing lost, nothing booked twice.
#
# Writes the figures to $CLUSTER_DIR/figures.txt (bench/results/<date>-failover.md
# quotes them). Exit code 0 when every check passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A folder of its own unless told: removed after a PASS, kept for its logs after a FAIL.
own_dir=""
[ -n "${CLUSTER_DIR:-}" ] || own_dir=$(mktemp -d -t booking-cluster-XXXXXX)
export CLUSTER_DIR=${CLUSTER_DIR:-$own_dir}
export CLUSTER_PORT=${CLUSTER_PORT:-18090}
: "${API_BIN:?set API_BIN to the booking-api binary}"
: "${LOAD_BIN:?set LOAD_BIN to the booking-load binary}"
# shellcheck source=cluster/lib.sh
source "$root/cluster/lib.sh"
clients=${CLUSTER_CLIENTS:-16}
storm_s=${CLUSTER_STORM_S:-40}
kill_at=${CLUSTER_KILL_AT_S:-12}

failures=()
check() {
    local what=$1
    shift
    if "$@"; then say "ok: $what"; else say "FAILED: $what"; failures+=("$what"); fi
}

cluster_install
trap cluster_down EXIT
export CLUSTER_API_ENV="RATE_LIMITS=off BCRYPT_COST=4"
cluster_up
say "up: $(node_states); $(proxy_servers | tr '\n' ' ')"

storm() {
    local out=$1 seconds=$2
    shift 2
    "$LOAD_BIN" --base-url "$proxy_url" --json storm --clients "$clients" --duration "${seconds}s" \
        --tickets 1000000 --retry-for 60s --verify "$@" >"$out" 2>"$out.err"
}

# What a storm's report says, by jq.
report() { jq -r "$2" "$1"; }

# --- 1. The primary lost ---------------------------------------------------------------
say "storm 1: $clients clients for ${storm_s}s through the proxy; the primary killed at ${kill_at}s"
storm "$CLUSTER_DIR/storm-1.json" "$storm_s" --watch "http://127.0.0.1:${api_ports[1]}" \
    --watch "$proxy_url" &
load=$!
sleep "$kill_at"
old_primary=$(kill_primary)
killed_at=$SECONDS
say "killed $old_primary (keeper and postmaster, SIGKILL)"
wait_until "a new primary" 120 bash -c "[ -n \"\$(psql '$database_url' -XAtqc 'select 1' 2>/dev/null)\" ]"
promoted_s=$((SECONDS - killed_at))
say "writable again after ~${promoted_s}s: $(node_states)"
start_node "${old_primary#node}"
status=0
wait "$load" || status=$?
cat "$CLUSTER_DIR/storm-1.json.err" >&2 || true
check "storm 1 ran and passed (conservation, no 5xx, every request answered, read back, watchers)" \
    test "$status" = 0
check "every booking answered 201 read back from the new primary" \
    test "$(report "$CLUSTER_DIR/storm-1.json" '.verified.missing | length')" = 0
check "nothing oversold" test "$(report "$CLUSTER_DIR/storm-1.json" '.conservation.oversold')" = 0
check "no 500 (final answers)" \
    test "$(report "$CLUSTER_DIR/storm-1.json" '[.answers[] | select(.kind.status == 500) | .count] | add // 0')" = 0
check "bookings succeed after the promotion" \
    test "$(report "$CLUSTER_DIR/storm-1.json" "[.longestPause.toS < $storm_s - 2] | all")" = true
check "watchers (another instance, the proxy) heard the final counts" \
    test "$(report "$CLUSTER_DIR/storm-1.json" '[.watchers[] | .caughtUp] | all and length == 2')" = true
check "the old primary ($old_primary) is the standby again" \
    wait_until "$old_primary as secondary" 120 bash -c "[ \"\$(psql '$monitor_url' -XAtqc \"select reportedstate from pgautofailover.node where nodename = '$old_primary'\")\" = secondary ]"
say "nodes: $(node_states)"

# --- 2. An api instance lost -----------------------------------------------------------
victim=3
say "storm 2: $clients clients for 20s through the proxy; api$victim killed at 8s"
# Six watchers through the proxy: its WebSocket backend spreads sockets evenly, so the
# victim holds some of them.
watchers=()
for _ in 1 2 3 4 5 6; do watchers+=(--watch "$proxy_url"); done
storm "$CLUSTER_DIR/storm-2.json" 20 "${watchers[@]}" &
load=$!
sleep 8
kill -KILL "$(pid_of "api$victim")"
wait_until "the proxy to take api$victim out" 10 bash -c "curl -sf 'http://127.0.0.1:$stats_port/stats;csv' | grep -q '^api,api$victim,.*DOWN'"
check "the proxy took api$victim out" bash -c "curl -sf 'http://127.0.0.1:$stats_port/stats;csv' | grep -q '^api,api$victim,.*DOWN'"
status=0
wait "$load" || status=$?
cat "$CLUSTER_DIR/storm-2.json.err" >&2 || true
check "storm 2 ran and passed (nothing lost, nothing booked twice, watchers)" test "$status" = 0
check "a watcher on api$victim reconnected through the proxy and heard the final counts" \
    test "$(report "$CLUSTER_DIR/storm-2.json" '([.watchers[].reconnects] | add) >= 1 and ([.watchers[].caughtUp] | all)')" = true

{
    echo "clients=$clients storm_s=$storm_s kill_at_s=$kill_at"
    echo "writable_again_after_s=$promoted_s"
    for n in 1 2; do
        jq -r --arg n "$n" '"storm\($n): bookings=\(.bookings) per_s=\(.bookingsPerS|floor) p99_ms=\(.latency.p99Ms) pause_s=\((.longestPause.toS - .longestPause.fromS)*100|floor/100) from_s=\(.longestPause.fromS*100|floor/100) retried=\([.retried[] | "\(.count)x\(.status // "none")"] | join(",")) missing=\(.verified.missing|length) oversold=\(.conservation.oversold)"' \
            "$CLUSTER_DIR/storm-$n.json"
    done
} | tee "$CLUSTER_DIR/figures.txt" >&2

if [ ${#failures[@]} -gt 0 ]; then
    say "FAIL: ${failures[*]}"
    say "logs: $CLUSTER_DIR"
    trap - EXIT
    cluster_down
    exit 1
fi
trap - EXIT
cluster_down
[ -z "$own_dir" ] || rm -rf "$own_dir"
say "PASS"
