# The production shape on one machine, for `just cluster` (up.sh) and `just test-cluster`
# (test.sh); sourced, not run. From Debian's packages: PostgreSQL 15 as a primary and a
# synchronous standby under pg_auto_failover (its monitor is a third, small PostgreSQL),
# three booking-api instances, HAProxy in front.
#
# Settings (environment): CLUSTER_DIR (the cluster's files), CLUSTER_PORT (the proxy),
# API_BIN (the booking-api binary), CLUSTER_API_ENV (extra `NAME=value` words for every
# api instance). Every process started here is remembered by PID and stopped by it.

cluster_conf=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
cluster_dir=${CLUSTER_DIR:?set CLUSTER_DIR}
proxy_port=${CLUSTER_PORT:-8080}
stats_port=$((proxy_port + 10))
monitor_port=5440
node_ports=(5441 5442)
api_ports=(18091 18092 18093)
monitor_url="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"
# Every connection, the pools' and the live listeners', finds the primary by itself.
database_url="postgres://postgres@127.0.0.1:${node_ports[0]},127.0.0.1:${node_ports[1]}/booking?target_session_attrs=read-write&connect_timeout=2"
# Public reads may go to either node; with synchronous_commit = remote_apply a standby
# has applied every booking the primary has answered.
database_read_url="postgres://postgres@127.0.0.1:${node_ports[1]},127.0.0.1:${node_ports[0]}/booking?target_session_attrs=any&connect_timeout=2"
proxy_url="http://127.0.0.1:$proxy_port"

say() { echo "cluster: $*" >&2; }

# haproxy and pg_autoctl, from Debian's packages when missing.
cluster_install() {
    local missing=()
    command -v haproxy >/dev/null || missing+=(haproxy)
    command -v pg_autoctl >/dev/null || missing+=(postgresql-15-auto-failover)
    [ -x "$pg_bin/postgres" ] || missing+=(postgresql-15)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        say "missing ${missing[*]}: install them (sudo apt-get install ${missing[*]}) or run as root"
        return 1
    fi
    say "installing ${missing[*]} from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
        { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# PostgreSQL refuses to run as root: as root, its processes run as the `postgres` user.
# `"${as_pg[@]}" command ...`; a command so started in the background keeps the PID it
# was started with (setpriv and env exec into it).
as_pg=(env "PATH=$pg_bin:$PATH" "HOME=$cluster_dir" "XDG_CONFIG_HOME=$cluster_dir/config"
    "XDG_DATA_HOME=$cluster_dir/state" "XDG_RUNTIME_DIR=$cluster_dir/run")
[ "$(id -u)" != 0 ] || as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups "${as_pg[@]}")

monitor_sql() {
    psql "$monitor_url" -XAtq -c "$1"
}

# A background process, its PID kept under $cluster_dir/pids/NAME.
start_bg() {
    local name=$1
    shift
    "$@" >>"$cluster_dir/$name.log" 2>&1 &
    echo $! >"$cluster_dir/pids/$name"
    # Stopped by PID (cluster_down), not waited for: no job notices when one is killed.
    disown $!
}

pid_of() { cat "$cluster_dir/pids/$1" 2>/dev/null || true; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

wait_until() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            say "gave up after ${seconds}s waiting for $what"
            return 1
        fi
        sleep 0.2
    done
}

node_states() {
    monitor_sql "select string_agg(nodename || '=' || reportedstate, ' ' order by nodeid) from pgautofailover.node"
}

# Both nodes where they were sent: one primary, one secondary.
settled() {
    [ "$(monitor_sql "select count(*) from pgautofailover.node where reportedstate = goalstate and reportedstate in ('primary', 'secondary')")" = 2 ]
}

primary_node() {
    monitor_sql "select nodename from pgautofailover.node where reportedstate in ('single', 'primary', 'wait_primary') and reportedstate = goalstate"
}

has_primary() { [ -n "$(primary_node)" ]; }

start_monitor() {
    local data=$cluster_dir/monitor
    if [ ! -d "$data" ]; then
        "${as_pg[@]}" pg_autoctl create monitor --pgdata "$data" --pgport $monitor_port \
            --hostname 127.0.0.1 --auth trust --no-ssl >>"$cluster_dir/monitor.log" 2>&1
        echo "include '$cluster_dir/conf/monitor.conf'" >>"$data/postgresql.conf"
    fi
    start_bg monitor "${as_pg[@]}" pg_autoctl run --pgdata "$data"
    wait_until "the monitor" 60 monitor_sql "select 1"
}

# Node N (1 or 2): created against the monitor the first time, then run by its keeper.
start_node() {
    local n=$1 data=$cluster_dir/node$1
    if [ ! -d "$data" ]; then
        "${as_pg[@]}" pg_autoctl create postgres --pgdata "$data" --pgport "${node_ports[$((n - 1))]}" \
            --hostname 127.0.0.1 --name "node$n" --dbname booking --auth trust --no-ssl \
            --monitor "$monitor_url" >>"$cluster_dir/node$n.log" 2>&1
        grep -q "$cluster_dir/conf/postgresql.conf" "$data/postgresql.conf" ||
            echo "include '$cluster_dir/conf/postgresql.conf'" >>"$data/postgresql.conf"
        # Below the monitor's primary_demote_timeout (monitor.conf): a primary cut off
        # from the monitor and its standby stops taking writes before the standby can
        # be promoted, so two primaries never take bookings at once.
        "${as_pg[@]}" pg_autoctl config set --pgdata "$data" timeout.network_partition_timeout 4 >/dev/null
    fi
    start_bg "node$n" "${as_pg[@]}" pg_autoctl run --pgdata "$data"
}

start_api() {
    local n=$1
    # shellcheck disable=SC2086 # CLUSTER_API_ENV is a list of NAME=value words.
    start_bg "api$n" env APP_ENV=production JWT_SECRET="$jwt_secret" TICKET_SECRET="$ticket_secret" \
        DATABASE_URL="$database_url" DATABASE_READ_URL="$database_read_url" \
        BIND_ADDR="127.0.0.1:${api_ports[$((n - 1))]}" TRUSTED_PROXY_HEADER=X-Forwarded-For \
        PUBLIC_URL="$proxy_url" DB_POOL_SIZE="${DB_POOL_SIZE:-8}" ${CLUSTER_API_ENV:-} \
        "$API_BIN" serve
}

api_ready() { curl -sf "http://127.0.0.1:${api_ports[$(($1 - 1))]}/ready"; }

start_proxy() {
    start_bg proxy env PROXY_BIND="127.0.0.1:$proxy_port" CLUSTER_CONF="$cluster_conf" \
        STATS_BIND="127.0.0.1:$stats_port" API_1="127.0.0.1:${api_ports[0]}" \
        API_2="127.0.0.1:${api_ports[1]}" API_3="127.0.0.1:${api_ports[2]}" \
        haproxy -db -f "$cluster_conf/haproxy.cfg"
}

# `api1 UP` ... as the proxy sees its servers.
proxy_servers() {
    curl -sf "http://127.0.0.1:$stats_port/stats;csv" |
        awk -F, '$1 == "api" && $2 ~ /^api/ { print $2, $18 }'
}

cluster_up() {
    mkdir -p "$cluster_dir"/{pids,config,state,run,conf}
    # The servers read their settings from the cluster's folder: the checkout may be
    # somewhere the postgres user cannot read (a root home, say).
    cp "$cluster_conf/postgresql.conf" "$cluster_conf/monitor.conf" "$cluster_dir/conf/"
    [ "$(id -u)" != 0 ] || chown -R postgres: "$cluster_dir"
    # Shared by the instances: a token or a ticket one signs, the others accept.
    # The umask in a subshell: only this file is private, not what the script makes after.
    [ -f "$cluster_dir/secrets" ] || (
        umask 077
        printf 'jwt_secret=%s\nticket_secret=%s\n' "$(head -c 48 /dev/urandom | base64 -w0)" \
            "$(head -c 48 /dev/urandom | base64 -w0)" >"$cluster_dir/secrets"
    )
    # shellcheck disable=SC1091
    source "$cluster_dir/secrets"
    say "PostgreSQL monitor (pg_auto_failover) on port $monitor_port"
    start_monitor
    say "node1 on port ${node_ports[0]}"
    start_node 1
    wait_until "node1 to become primary" 90 has_primary
    say "node2 on port ${node_ports[1]} (synchronous standby)"
    start_node 2
    wait_until "a primary and its standby" 120 settled
    say "migrating and seeding through $database_url"
    DATABASE_URL="$database_url" APP_ENV=production JWT_SECRET="$jwt_secret" TICKET_SECRET="$ticket_secret" \
        "$API_BIN" migrate >>"$cluster_dir/setup.log" 2>&1
    DATABASE_URL="$database_url" APP_ENV=production JWT_SECRET="$jwt_secret" TICKET_SECRET="$ticket_secret" \
        "$API_BIN" seed >>"$cluster_dir/setup.log" 2>&1
    for n in 1 2 3; do start_api "$n"; done
    for n in 1 2 3; do wait_until "api$n" 60 api_ready "$n"; done
    start_proxy
    wait_until "the proxy" 30 curl -sf "$proxy_url/ready"
}

# Stops what was started, in reverse; a postmaster that outlived its keeper goes too.
cluster_down() {
    local name pid
    for name in proxy api3 api2 api1 node2 node1 monitor; do
        pid=$(pid_of "$name")
        alive "$pid" && kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do alive "$pid" || break; sleep 0.2; done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    for data in "$cluster_dir"/node1 "$cluster_dir"/node2 "$cluster_dir"/monitor; do
        pid=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
        if alive "$pid"; then
            "${as_pg[@]}" pg_ctl --pgdata "$data" stop --mode fast >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null
        fi
    done
    return 0
}

# The primary's machine lost: its keeper and its postmaster killed at once (SIGKILL),
# nothing shut down cleanly. Prints the node's name.
kill_primary() {
    local node pid postmaster children
    node=$(primary_node)
    pid=$(pid_of "$node")
    postmaster=$(head -1 "$cluster_dir/$node/postmaster.pid")
    children=$(pgrep -P "$pid" | tr '\n' ' ')
    # shellcheck disable=SC2086
    kill -KILL "$pid" $children "$postmaster" 2>/dev/null
    echo "$node"
}
