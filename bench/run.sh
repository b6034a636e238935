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
# Each run starts from the same state, as pgbench's own vacuum before a run would give
# (these runs pass -n): the rows an earlier run left dead are vacuumed and written out
# now, not by autovacuum and the checkpointer in the middle of the next storm.
settle_database() {
    psql -q "$db_url" -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
}
# Runs a pgbench script ($2) with $3 clients and the rest as -D settings; leaves its
# summary in <label>.txt and its per-transaction logs in <label>.<pid>* for the report.
pgbench_run() {
    local label=$1 script=$2 n=$3; shift 3
    local defines=()
    for define in "$@"; do defines+=(-D "$define"); done
    settle_database
    start_sampling "$label"
    (cd "$work" && "$pgbench_bin" -n -M prepared -c "$n" -j $((n < 2 ? 1 : 2)) -T "$seconds" \
        "${defines[@]}" -f "$root/bench/$script" \
        -l --log-prefix="$label" "$db_url" >"$work/$label.txt" 2>"$work/$label.err") \
        || { cat "$work/$label.err" >&2; exit 1; }
    stop_sampling
    grep -E "^(tps|number of (transactions|failed))" "$work/$label.txt" >&2
}
buyers=$((clients * 40))
psql -q "$db_url" -v buyers=$buyers -f "$root/bench/pgbench-setup.sql"
say "1/9 pgbench: the per-request booking transaction, hot event, $clients clients, ${seconds}s"
pgbench_run pgbench booking.pgbench "$clients" count=0 clients="$clients"
# A batch as large as the clients can make it: each client has one request in flight.
batch=$clients
say "2/9 pgbench: one batch of $batch bookings per transaction, 1 client (a tier's batches run one at a time), ${seconds}s"
pgbench_run batched booking-batch.pgbench 1 count=0 batch="$batch" buyers="$buyers"
pgbench_oversold=$(psql -At "$db_url" -c "
    SELECT count(*) FROM ticket_tiers t
     WHERE t.remaining < 0 OR t.capacity <> t.remaining + COALESCE((
           SELECT sum(bi.quantity) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id
            WHERE bi.tier_id = t.id AND b.status IN ('confirmed', 'pending')), 0)")

# ---------------------------------------------------------------- 2, 3. storms
storm() {
    local label=$1; shift
    settle_database
    start_sampling "$label"
    "$bin/booking-load" --base-url "$base" --json storm --clients "$clients" \
        --duration "${seconds}s" "$@" >"$work/$label.json" || true
    stop_sampling
    jq -r '"\(.bookings) bookings, \(.bookingsPerS)/s, p99 \(.latency.p99Ms) ms, invariant holds: \(.conservation.holds)"' \
        "$work/$label.json" >&2
}
say "3/9 storm: hot event, $clients clients, ${seconds}s"
# A buyer books 100 tickets of an event at most: register plenty before the clock starts.
storm hot --events 1 --tickets 1000000 --buyers $((clients * 20))
say "4/9 storm: hot event, checkout holds (nobody pays during the run), $clients clients, ${seconds}s"
storm holds --events 1 --tickets 1000000 --buyers $((clients * 20)) --hold
say "5/9 door: $clients door staff scanning 5,000 distinct tickets in"
settle_database
"$bin/booking-load" --base-url "$base" --json door --clients "$clients" --tickets 5000 \
    >"$work/door.json" || true
jq -r '"\(.scans) scans, \(.scansPerS)/s, p99 \(.latency.p99Ms) ms, checked in \(.checkedIn)"' \
    "$work/door.json" >&2
say "6/9 storm: spread over $spread events, $clients clients, ${seconds}s"
storm spread --events "$spread" --tickets 100000

say "7/9 storm: hot event, batching off (BOOKING_BATCH_MAX=0: the path a multi-tier booking takes), $clients clients, ${seconds}s"
stop_server
BOOKING_BATCH_MAX=0 start_server
storm unbatched --events 1 --tickets 1000000 --buyers $((clients * 20))
stop_server
start_server

# ---------------------------------------------------------------- 4, 5. oha
hot_event=$(jq -r '.eventIds[0]' "$work/hot.json")
say "8/9 oha: GET /api/v1/events/{id}, $clients connections, ${seconds}s"
oha -z "${seconds}s" -c "$clients" --no-tui --output-format json \
    "$base/api/v1/events/$hot_event" >"$work/oha-read.json"

say "9/9 oha: POST /api/v1/bookings, one buyer over the $spread spread events"
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

# ---------------------------------------------------------------- report
# The facts of the run; `booking-load report` reads them with every run's output and
# writes the table and the verdicts.
dirty=$(git -C "$root" diff --quiet HEAD -- crates bench || echo '+changes')
jq -n --arg when "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    --arg commit "$(git -C "$root" rev-parse --short HEAD)$dirty" \
    --argjson cores "$(nproc)" \
    --argjson memory "$(awk '/MemTotal/ { print int($2 / 1048576 + 0.5) }' /proc/meminfo)" \
    --arg postgres "$("$psql_bin" --version | awk '{ print "PostgreSQL " $3 }')" \
    --argjson pool "${DB_POOL_SIZE:-16}" --argjson clients "$clients" --argjson seconds "$seconds" \
    --argjson spread "$spread" --argjson batch "$batch" --argjson rss "$rss_kb" \
    --argjson oversold "$pgbench_oversold" \
    '{when: $when, commit: $commit, cores: $cores, memoryGib: $memory, postgres: $postgres,
      pool: $pool, clients: $clients, seconds: $seconds, spreadEvents: $spread, batch: $batch,
      peakRssKb: $rss, pgbenchOversold: $oversold}' >"$work/run.json"
report="$work/report.md"
"$bin/booking-load" report bench "$work" >"$report"

echo >&2
cat "$report"
mkdir -p "$root/bench/results"
results="$root/bench/results/$(date -u +%F).md"
[ -f "$results" ] || printf '# Benchmark results, %s\n\nWritten by `just bench`; newest run last.\n' "$(date -u +%F)" >"$results"
{ echo; cat "$report"; } >>"$results"
echo >&2
echo "bench: appended to ${results#"$root"/}" >&2
