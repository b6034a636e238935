#!/usr/bin/env bash
# One benchmark run, side by side on one fresh PostgreSQL: the raw database ceiling
# (pgbench running the server's own booking transaction), booking-load storms on a hot
# event and on a spread of events, and oha as a second, independent client. Prints the
# table and appends it to bench/results/<date>.md.
#
# `just bench` runs this under `with-postgres --durable`, which provides
# TEST_DATABASE_URL (a superuser URL of a throwaway cluster with fsync on), and sets
# BENCH_BIN to the folder holding release builds of booking-api and booking-load.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:?set BENCH_BIN to the folder of the release binaries}
admin_url=${TEST_DATABASE_URL:?run under with-postgres}
clients=${BENCH_CLIENTS:-64}
seconds=${BENCH_SECONDS:-20}
spread=${BENCH_SPREAD_EVENTS:-100}
port=${BENCH_PORT:-18080}
base=http://127.0.0.1:$port
work=$(mktemp -d -t booking-bench-XXXXXX)

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
require_tools oha jq curl

sampler=""
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- server
say "server: release build on a fresh database"
prepare_database
start_server

# ---------------------------------------------------------------- wait events
# What the database's client sessions are doing, five times a second, from one psql
# session: `CPU` when running, otherwise the wait event. `Client:ClientRead` is a
# session inside a transaction waiting for its client's next statement (holding its
# locks meanwhile).
start_sampling() {
    psql -At "$db_url" >"$work/waits-$1.txt" 2>/dev/null <<'SQL' &
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU')
  FROM pg_stat_activity
 WHERE datname = 'booking' AND state NOT IN ('idle', 'disabled') AND pid <> pg_backend_pid() \watch 0.2
SQL
    sampler=$!
}
stop_sampling() { kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=""; }
top_waits() {
    local file="$work/waits-$1.txt"
    [ -s "$file" ] || { echo "-"; return; }
    sort "$file" | uniq -c | sort -rn | head -n 4 \
        | awk -v total="$(wc -l <"$file")" '{ printf "%s%s %.0f%%", sep, $2, 100 * $1 / total; sep = ", " }'
}

# ---------------------------------------------------------------- 1, 2. pgbench
# Runs a pgbench script ($2) with $3 clients and the rest as -D settings; sets
# <label>_tps, _failed, _mean, _p50 and _p99 (latency per transaction, in ms).
pgbench_run() {
    local label=$1 script=$2 n=$3; shift 3
    local defines=()
    for define in "$@"; do defines+=(-D "$define"); done
    start_sampling "$label"
    (cd "$work" && "$pgbench_bin" -n -M prepared -c "$n" -j $((n < 2 ? 1 : 2)) -T "$seconds" \
        "${defines[@]}" -f "$root/bench/$script" \
        -l --log-prefix="$label" "$db_url" >"$work/$label.txt" 2>"$work/$label.err") \
        || { cat "$work/$label.err" >&2; exit 1; }
    stop_sampling
    grep -E "^(tps|number of (transactions|failed))" "$work/$label.txt" >&2
    # Per-transaction log: the third column is the latency in microseconds.
    cat "$work/$label".[0-9]* | awk '{ print $3 }' | sort -n >"$work/$label-latency.txt"
    local latencies="$work/$label-latency.txt" n_lat
    n_lat=$(wc -l <"$latencies")
    percentile() { awk -v n="$n_lat" -v q="$1" 'NR == int((n * q + 99) / 100) { printf "%.2f", $1 / 1000 }' "$latencies"; }
    printf -v "${label}_tps" '%s' "$(awk '/^tps = / { print $3 }' "$work/$label.txt")"
    printf -v "${label}_failed" '%s' "$(awk -F': ' '/^number of failed transactions/ { split($2, a, " "); print a[1] }' "$work/$label.txt")"
    printf -v "${label}_mean" '%s' "$(awk '{ s += $1 } END { printf "%.2f", s / NR / 1000 }' "$latencies")"
    printf -v "${label}_p50" '%s' "$(percentile 50)"
    printf -v "${label}_p99" '%s' "$(percentile 99)"
}
buyers=$((clients * 40))
psql -q "$db_url" -v buyers=$buyers -f "$root/bench/pgbench-setup.sql"
say "1/7 pgbench: the per-request booking transaction, hot event, $clients clients, ${seconds}s"
pgbench_run pgbench booking.pgbench "$clients" count=0 clients="$clients"
# A batch as large as the clients can make it: each client has one request in flight.
batch=$clients
say "2/7 pgbench: one batch of $batch bookings per transaction, 1 client (a tier's batches run one at a time), ${seconds}s"
pgbench_run batched booking-batch.pgbench 1 count=0 batch="$batch" buyers="$buyers"
batched_rate=$(awk -v t="$batched_tps" -v b="$batch" 'BEGIN { printf "%.2f", t * b }')
pgbench_oversold=$(psql -At "$db_url" -c "
    SELECT count(*) FROM ticket_tiers t
     WHERE t.remaining < 0 OR t.capacity <> t.remaining + COALESCE((
           SELECT sum(bi.quantity) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id
            WHERE bi.tier_id = t.id AND b.status IN ('confirmed', 'pending')), 0)")

# ---------------------------------------------------------------- 2, 3. storms
storm() {
    local label=$1; shift
    start_sampling "$label"
    "$bin/booking-load" --base-url "$base" --json storm --clients "$clients" \
        --duration "${seconds}s" "$@" >"$work/$label.json" || true
    stop_sampling
    jq -r '"\(.bookings) bookings, \(.bookingsPerS | floor)/s, p99 \(.latency.p99Ms) ms, invariant holds: \(.conservation.holds)"' \
        "$work/$label.json" >&2
}
say "3/7 storm: hot event, $clients clients, ${seconds}s"
# A buyer books 100 tickets of an event at most: register plenty before the clock starts.
storm hot --events 1 --tickets 1000000 --buyers $((clients * 20))
say "4/7 storm: spread over $spread events, $clients clients, ${seconds}s"
storm spread --events "$spread" --tickets 100000

say "5/7 storm: hot event, batching off (BOOKING_BATCH_MAX=0: the path a multi-tier booking takes), $clients clients, ${seconds}s"
stop_server
BOOKING_BATCH_MAX=0 start_server
storm unbatched --events 1 --tickets 1000000 --buyers $((clients * 20))
stop_server
start_server

# ---------------------------------------------------------------- 4, 5. oha
hot_event=$(jq -r '.eventIds[0]' "$work/hot.json")
say "6/7 oha: GET /api/v1/events/{id}, $clients connections, ${seconds}s"
oha -z "${seconds}s" -c "$clients" --no-tui --output-format json \
    "$base/api/v1/events/$hot_event" >"$work/oha-read.json"

say "7/7 oha: POST /api/v1/bookings, one buyer over the $spread spread events"
token=$(curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"oha-$(date +%s)@load.example.com\",\"password\":\"LoadTest123\",\"name\":\"oha buyer\"}" \
    | jq -r .accessToken)
for id in $(jq -r '.eventIds[]' "$work/spread.json"); do
    curl -sf "$base/api/v1/events/$id" | jq -c '{items: [{tierId: .tiers[0].id, quantity: 1}]}'
done >"$work/bodies.txt"
# The buyer may hold 100 tickets of each event: exactly that many requests, one event
# after another, so every one can succeed.
start_sampling oha-book
oha -n $((spread * 100)) -c "$clients" --no-tui --output-format json -m POST \
    -H "Authorization: Bearer $token" -T application/json -Z "$work/bodies.txt" \
    "$base/api/v1/bookings" >"$work/oha-book.json"
stop_sampling
rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$server/status")

# ---------------------------------------------------------------- table
storm_row() {
    jq -r --arg name "$2" '
        def f: . * 100 | round / 100;
        [.answers[] | select(.status != 201) | .count] as $others
        | "| \($name) | \(.clients) | \(.responsesPerS | f) | \(.bookingsPerS | f) | \(.latency.meanMs | f) | \(.latency.p50Ms | f) | \(.latency.p99Ms | f) | \(.latency.p99Ms / .latency.meanMs | f) | \($others | add // 0) | \(.serverErrors) | \(.conservation.oversold) |"' \
        "$work/$1.json"
}
oha_row() {
    jq -r --arg name "$2" --arg clients "$clients" --arg booked "$3" '
        def f: . * 100 | round / 100;
        def ms: . * 1000 | f;
        (.statusCodeDistribution // {}) as $codes
        | ([$codes | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0) as $others
        | ([$codes | to_entries[] | select(.key | startswith("5")) | .value] | add // 0) as $errors
        | "| \($name) | \($clients) | \(.summary.requestsPerSec | f) | \(if $booked == "yes" then (.summary.requestsPerSec * (($codes["201"] // 0) / ([$codes[]] | add)) | f) else "-" end) | \(.summary.average | ms) | \(.latencyPercentiles.p50 | ms) | \(.latencyPercentiles.p99 | ms) | \(.latencyPercentiles.p99 / .summary.average | f) | \($others) | \($errors) | - |"' \
        "$work/$1.json"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
hot_rate=$(jq '.bookingsPerS' "$work/hot.json")
spread_rate=$(jq '.bookingsPerS' "$work/spread.json")
server_ratio=$(ratio "$hot_rate" "$pgbench_tps")
spread_ratio=$(ratio "$spread_rate" "$pgbench_tps")
pgbench_p99_ratio=$(ratio "$pgbench_p99" "$pgbench_mean")
batched_p99_ratio=$(ratio "$batched_p99" "$batched_mean")
design_ratio=$(ratio "$hot_rate" "$batched_rate")
hot_p99=$(jq '.latency.p99Ms' "$work/hot.json")
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=" ? v >= t : v <= t); print (ok ? "met" : "MISSED") }'; }
hot_tail=$(jq '.latency.p99Ms / .latency.meanMs' "$work/hot.json")
spread_tail=$(jq '.latency.p99Ms / .latency.meanMs' "$work/spread.json")
bad_runs=$(jq -s '[.[] | select(.serverErrors > 0 or .conservation.oversold > 0 or (.conservation.holds | not))] | length' \
    "$work/hot.json" "$work/spread.json" "$work/unbatched.json")

report="$work/report.md"
{
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- crates bench || echo '+changes')"
    echo
    echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
        "$("$psql_bin" --version | awk '{ print "PostgreSQL " $3 }') with fsync on, pool ${DB_POOL_SIZE:-16} connections," \
        "$clients clients, ${seconds} s per run; booking-api peak RSS $((rss_kb / 1024)) MB."
    echo
    echo "| run | clients | responses/s | bookings/s | mean ms | p50 ms | p99 ms | p99 ÷ mean | non-2xx | 5xx | oversold |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| pgbench, per-request transaction, hot event | $clients | $pgbench_tps | $pgbench_tps | $pgbench_mean | $pgbench_p50 | $pgbench_p99 | $pgbench_p99_ratio | $pgbench_failed failed | - | - |"
    echo "| pgbench, batches of $batch, hot event | 1 | $batched_tps | $batched_rate | $batched_mean | $batched_p50 | $batched_p99 | $batched_p99_ratio | $batched_failed failed | - | $pgbench_oversold |"
    storm_row hot "booking-load storm, hot event"
    storm_row spread "booking-load storm, $spread events"
    storm_row unbatched "booking-load storm, hot event, batching off"
    oha_row oha-read "oha GET /events/{id}" no
    oha_row oha-book "oha POST /bookings, 1 buyer, $spread events" yes
    echo
    echo "- coalesced hot event ÷ per-request pgbench ceiling: **$server_ratio** (target ≥ 5: $(verdict "$server_ratio" 5 ">="))"
    echo "- coalesced hot event ÷ batched pgbench (this design's ceiling): **$design_ratio**"
    echo "- coalesced hot event ÷ the same storm with batching off: **$(ratio "$hot_rate" "$(jq '.bookingsPerS' "$work/unbatched.json")")**"
    echo "- hot event p99: $hot_p99 ms (target ≤ 50: $(verdict "$hot_p99" 50 "<="))"
    echo "- p99 ÷ mean: hot $(printf '%.2f' "$hot_tail"), spread $(printf '%.2f' "$spread_tail") (target ≤ 2: $(verdict "$(awk -v a="$hot_tail" -v b="$spread_tail" 'BEGIN { print (a > b ? a : b) }')" 2 "<="))"
    # Before coalescing (bench/results/2026-11-22.md) the spread storm ran at 1.24 times
    # the per-request pgbench of its run; batching must not cost the spread anything.
    echo "- spread ÷ per-request pgbench: **$spread_ratio** (target ≥ 1.24, the ratio before coalescing: $(verdict "$spread_ratio" 1.24 ">="))"
    echo "- storms with a 5xx, an oversold tier or a broken invariant: $bad_runs (target 0)"
    echo "- where the database sessions were (share of samples, \`CPU\` = running):"
    echo "  - pgbench: $(top_waits pgbench)"
    echo "  - pgbench batched: $(top_waits batched)"
    echo "  - storm hot: $(top_waits hot)"
    echo "  - storm spread: $(top_waits spread)"
    echo "  - storm hot, batching off: $(top_waits unbatched)"
    echo "  - oha bookings: $(top_waits oha-book)"
} >"$report"

echo >&2
cat "$report"
mkdir -p "$root/bench/results"
results="$root/bench/results/$(date -u +%F).md"
[ -f "$results" ] || printf '# Benchmark results, %s\n\nWritten by `just bench`; newest run last.\n' "$(date -u +%F)" >"$results"
{ echo; cat "$report"; } >>"$results"
echo >&2
echo "bench: appended to ${results#"$root"/}" >&2
