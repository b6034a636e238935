#!/usr/bin/env bash
# `just fuzz`: schemathesis (from PyPI, into a virtualenv made once) against the server's
# own OpenAPI document, with every check, signed in once as the seeded organizer and once
# as a seeded buyer, on a fresh database. Fails when schemathesis finds anything.
#
# Runs under `with-postgres` (TEST_DATABASE_URL) with BENCH_BIN set to the folder of the
# booking-api binary, like the benches.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:?set BENCH_BIN to the folder of the booking-api binary}
admin_url=${TEST_DATABASE_URL:?run under with-postgres}
port=${FUZZ_PORT:-18090}
base=http://127.0.0.1:$port
examples=${FUZZ_EXAMPLES:-100}
venv=${FUZZ_VENV:-$HOME/.cache/booking/fuzz/venv}
schemathesis_version=4.32.5
reports=${FUZZ_REPORTS:-$root/target/fuzz}
work=$(mktemp -d -t booking-fuzz-XXXXXX)

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
require_tools curl jq python3

if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $schemathesis_version" ]; then
    say "installing schemathesis $schemathesis_version into $venv (once)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi

cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# A fuzzer is abuse by design: prepare_database turns the rate limits off.
prepare_database
start_server

token_of() {
    curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"Password123\"}" | jq -r .accessToken
}

rm -rf "$reports" && mkdir -p "$reports"
failed=0
for who in organizer@example.com alice@example.com; do
    say "schemathesis as $who: every check, up to $examples cases per operation"
    token=$(token_of "$who")
    # The WebSocket upgrade is not HTTP a fuzzer can speak; the live tests cover it. One
    # worker: CPython 3.11 fails parsing in two threads at once ("AST constructor recursion
    # depth mismatch"), which schemathesis reports as errors.
    "$venv/bin/st" --config-file "$root/bench/schemathesis.toml" run "$base/api/openapi.json" \
        --checks all \
        --exclude-path /api/v1/ws \
        --header "Authorization: Bearer $token" \
        --max-examples "$examples" \
        --seed 20261202 \
        --workers 1 \
        --request-timeout 10 \
        --report junit,ndjson --report-dir "$reports/${who%%@*}" \
        --no-color || failed=1
done

say "reports in $reports"
exit "$failed"
