#!/bin/sh
# Entry point of Dockerfile.postgres: the first start creates the monitor or the data
# node with the settings `just cluster` uses (cluster/monitor.conf, cluster/postgresql.conf,
# mounted at /etc/booking), every start runs its keeper in the foreground.
#   ROLE=monitor                           the pg_auto_failover monitor
#   ROLE=node NODE_NAME=... MONITOR_URL=... a data node (the first becomes the primary)
set -eu
if [ ! -f "$PGDATA/postgresql.conf" ]; then
    # --auth trust: the nodes are reachable on the compose network alone (no published
    # port). Across machines use --auth scram-sha-256 and --ssl-self-signed or real
    # certificates, with the passwords in ~/.pgpass.
    case "$ROLE" in
    monitor)
        pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 --hostname "$(hostname)" \
            --auth trust --no-ssl
        echo "include '/etc/booking/monitor.conf'" >>"$PGDATA/postgresql.conf"
        ;;
    node)
        pg_autoctl create postgres --pgdata "$PGDATA" --pgport 5432 --hostname "$(hostname)" \
            --name "$NODE_NAME" --dbname booking --auth trust --no-ssl --monitor "$MONITOR_URL"
        grep -q /etc/booking/postgresql.conf "$PGDATA/postgresql.conf" ||
            echo "include '/etc/booking/postgresql.conf'" >>"$PGDATA/postgresql.conf"
        # Below the monitor's primary_demote_timeout: see cluster/monitor.conf.
        pg_autoctl config set --pgdata "$PGDATA" timeout.network_partition_timeout 4
        ;;
    *)
        echo "set ROLE to monitor or node" >&2
        exit 2
        ;;
    esac
fi
exec pg_autoctl run --pgdata "$PGDATA"
