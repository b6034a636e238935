#!/usr/bin/env bash
# Live availability on one fresh PostgreSQL (fsync on):
#   1. what NOTIFY costs the booking transaction: pgbench runs the server's booking
#      (bench/booking.pgbench) on a hot event and spread over 100 events, three ways:
#      no NOTIFY, NOTIFY inside the transaction, NOTIFY just after COMMIT;
#   2. `booking-load ws`: watchers connected to the server while a storm books one event;
#      delivery latency, dropped watchers, messages each, the server's memory.
# BENCH_SHAPES="" skips the pgbench part. Prints both and appends them to bench/results/<date>.md.
#
# `just bench-live` runs this under `with-postgres --durable` (TEST_DATABASE_URL) with
# BENCH_BIN pointing at release builds of booking-api and booking-load.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:?set BENCH_BIN to the folder of the release binaries}
admin_url=${TEST_DATABASE_URL:?run under with-postgres}
clients=${BENCH_CLIENTS:-64}
seconds=${BENCH_SECONDS:-20}
watchers=${BENCH_WATCHERS:-1000}
port=${BENCH_PORT:-18081}
base=http://127.0.0.1:$port
work=$(mktemp -d -t booking-live-XXXXXX)

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
require_tools jq curl
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

say "database: migrated and seeded by the release server"
prepare_database

# ---------------------------------------------------------------- 1. NOTIFY cost
psql -q "$db_url" -v buyers=$((clients * 40)) -f "$root/bench/pgbench-setup.sql"
# 100 more events of one tier each, for the spread runs.
psql -q "$db_url" <<'SQL'
INSERT INTO events (id, organizer_id, title, venue, starts_at, status, max_tickets_per_user)
SELECT md5('pgbench-event-' || n)::uuid, u.id, 'pgbench spread ' || n, 'Load Test Arena',
       now() + interval '30 days', 'published', 100
  FROM users u, generate_series(0, 99) AS n WHERE u.email = 'organizer@example.com';
INSERT INTO ticket_tiers (id, event_id, name, price_cents, currency, capacity, remaining, position)
SELECT md5('pgbench-tier-' || n)::uuid, md5('pgbench-event-' || n)::uuid, 'General Admission',
       1000, 'USD', 1000000, 1000000, 0
  FROM generate_series(0, 99) AS n;
SQL
# A change record as the server sends it: origin and one tier's counts.
notice="SELECT pg_notify('availability', '{\"origin\":\"00000000-0000-0000-0000-000000000000\",\"changes\":[[\"' || md5('pgbench-event')::uuid || '\",\"' || md5('pgbench-tier')::uuid || '\",999999,999999,1]]}');"
variant() { # shape notify -> a pgbench script
    local script="$work/$1-$2.pgbench"
    if [ "$1" = spread ]; then
        { echo '\set spot random(0, 99)'
          sed -e "s/md5('pgbench-tier')/md5('pgbench-tier-' || :spot)/g" \
              -e "s/md5('pgbench-event')/md5('pgbench-event-' || :spot)/g" "$root/bench/booking.pgbench"; } >"$script"
    else
        cp "$root/bench/booking.pgbench" "$script"
    fi
    case "$2" in
        in-transaction) # the last statement of the last pipeline, before COMMIT
            awk -v n="$notice" '
                { lines[NR] = $0 }
                END {
                    for (i = 1; i <= NR; i++) if (lines[i] == "COMMIT;") commit = i
                    for (i = 1; i <= NR; i++) {
                        if (i == commit - 1) print n
                        print lines[i]
                    }
                }' "$script" >"$script.tmp" && mv "$script.tmp" "$script" ;;
        after-commit) echo "$notice" >>"$script" ;;
    esac
    echo "$script"
}
shapes=()
for shape in ${BENCH_SHAPES-hot spread}; do
    shapes+=("$shape")
    for notify in none in-transaction after-commit; do
        say "pgbench: $shape, NOTIFY $notify, $clients clients, ${seconds}s"
        script=$(variant "$shape" "$notify")
        label=$shape-$notify
        # Every run starts from no bookings: pgbench derives booking ids from its counter.
        psql -q "$db_url" -c 'TRUNCATE booking_items, bookings' -c 'VACUUM ANALYZE ticket_tiers, bookings, booking_items'
        # Summary in <label>.txt, per-transaction logs in <label>.<pid>*, for the report.
        (cd "$work" && "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$seconds" \
            -D count=0 -D clients="$clients" -f "$script" -l --log-prefix="$label" "$db_url" \
            >"$work/$label.txt" 2>"$work/err.txt") || { cat "$work/err.txt" >&2; exit 1; }
        grep -E "^tps" "$work/$label.txt" >&2
    done
done

# ---------------------------------------------------------------- 2. booking-load ws
say "booking-load ws: $watchers watchers, a $clients-client storm for ${seconds}s on one event"
start_server
"$bin/booking-load" --base-url "$base" --json ws --watchers "$watchers" --clients "$clients" \
    --duration "${seconds}s" --tickets 1000000 --buyers $((clients * 40)) --server-pid "$server" \
    >"$work/ws.json" || echo "bench: booking-load ws reported FAIL" >&2
curl -sf "$base/metrics" | grep -E '^booking_(ws|availability)' >"$work/metrics.txt" || true

# ---------------------------------------------------------------- report
# The facts of the run; `booking-load report live` reads them with every run's output.
jq -n --arg when "$(date -u +%H:%MZ)" \
    --arg commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --argjson clients "$clients" --argjson seconds "$seconds" \
    --arg interval "${WS_MIN_INTERVAL_MS:-100 (default)}" \
    '{when: $when, commit: $commit, clients: $clients, seconds: $seconds,
      wsMinInterval: $interval, shapes: $ARGS.positional}' --args ${shapes[@]+"${shapes[@]}"} \
    >"$work/run.json"
report=$("$bin/booking-load" report live "$work")
printf '\n%s\n' "$report"
mkdir -p "$root/bench/results"
printf '\n%s\n' "$report" >>"$root/bench/results/$(date -u +%F).md"
