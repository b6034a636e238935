# Shared by the bench scripts (sourced, not run): PostgreSQL's client tools, a fresh
# `booking` database on the with-postgres cluster, and the release server on it.
# Expects `root`, `bin`, `admin_url`, `port`, `work` and `base` to be set.

pg_tool() {
    command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}
psql_bin=$(pg_tool psql)
pgbench_bin=$(pg_tool pgbench)
psql() { "$psql_bin" -X -v ON_ERROR_STOP=1 "$@"; }
say() { printf '\n== %s\n' "$*" >&2; }

# Fails naming what is missing among psql, pgbench and the commands given.
require_tools() {
    local tool
    for tool in "$psql_bin" "$pgbench_bin" "$@"; do
        [ -x "$tool" ] || [ -x "$(command -v "$tool" 2>/dev/null)" ] \
            || { echo "bench: missing a tool (psql, pgbench, $*)" >&2; exit 1; }
    done
}

server=""
stop_server() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server=""
}

# Creates the `booking` database and migrates and seeds it with the release server.
prepare_database() {
    db_url=${admin_url%/postgres}/booking
    psql -q "$admin_url" -c 'CREATE DATABASE booking'
    export DATABASE_URL=$db_url BIND_ADDR=127.0.0.1:$port RUST_LOG=${RUST_LOG:-warn}
    # Sign-up hashing is not what these benches measure: cheap hashes keep set-up short.
    export BCRYPT_COST=4
    # A storm is abuse by design: one address signs up thousands of buyers who book
    # hundreds of times a second. The limits are measured by the tests, not here.
    export RATE_LIMITS=off
    JWT_SECRET=$(head -c 48 /dev/urandom | base64)
    export JWT_SECRET
    "$bin/booking-api" migrate 2>>"$work/server.log"
    "$bin/booking-api" seed 2>>"$work/server.log"
}

# Starts the server in the background (its pid in `server`) and waits until it is ready.
start_server() {
    "$bin/booking-api" serve >>"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -sf "$base/ready" >/dev/null && return 0
        kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "bench: the server never became ready" >&2
    exit 1
}
