#!/usr/bin/env bash
# `just cluster`: the production shape on this machine (cluster/lib.sh), in the
# foreground until Ctrl-C, which stops every process it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
asked_dir=${CLUSTER_DIR:-}
export CLUSTER_DIR=${CLUSTER_DIR:-$root/.data/cluster}
: "${API_BIN:?set API_BIN to the booking-api binary}"
# shellcheck source=cluster/lib.sh
source "$root/cluster/lib.sh"

cluster_install
# The postgres user must enter the cluster's folder: a checkout it cannot enter (under a
# root home, say) keeps its cluster where the embedded database of `just run` goes.
mkdir -p "$root/.data"
if [ -z "$asked_dir" ] && [ "$(id -u)" = 0 ] &&
    ! setpriv --reuid=postgres --regid=postgres --init-groups test -x "$root/.data"; then
    export CLUSTER_DIR=/var/lib/booking-api/cluster
    # shellcheck source=cluster/lib.sh
    source "$root/cluster/lib.sh"
fi
trap cluster_down EXIT
# Ctrl-C is how this ends: a clean stop, not a failure.
trap 'exit 0' INT TERM
cluster_up
cat >&2 <<MSG

  The booking system: $proxy_url (HAProxy; its statistics on http://127.0.0.1:$stats_port/stats)
  api instances:      ${api_ports[*]/#/127.0.0.1:}
  PostgreSQL:         $(node_states) under pg_auto_failover (monitor on $monitor_port)
  DATABASE_URL:       $database_url
  files and logs:     $CLUSTER_DIR

  Ctrl-C stops everything.
MSG
# The roles as they change: a failover shows here.
last=""
while true; do
    states=$(node_states 2>/dev/null || echo "monitor unreachable")
    [ "$states" = "$last" ] || say "nodes: $states"
    last=$states
    sleep 2
done
