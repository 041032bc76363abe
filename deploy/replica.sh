#!/usr/bin/env bash
# A PostgreSQL primary and a hot standby streaming from it, on one machine, with Debian's
# cluster tools (pg_createcluster, pg_basebackup): what `baocao serve --read-database-url`
# reads analytics and exports from. Run as root.
#
#   deploy/replica.sh start   # primary on 127.0.0.1:5440, standby on 127.0.0.1:5441 (trust)
#   deploy/replica.sh stop    # stops and removes both clusters
#
# Ports with BAOCAO_REPLICA_PRIMARY_PORT / BAOCAO_REPLICA_STANDBY_PORT. Both clusters trust
# local connections: this is for tests and for trying the set-up, not for production, where
# the standby's connection uses a replication role with a password or a certificate.
set -euo pipefail

primary_port=${BAOCAO_REPLICA_PRIMARY_PORT:-5440}
standby_port=${BAOCAO_REPLICA_STANDBY_PORT:-5441}
version=${BAOCAO_REPLICA_PG_VERSION:-$(ls /usr/lib/postgresql | sort -V | tail -n 1)}
primary=baocao_primary
standby=baocao_standby

log() { echo "[replica] $*" >&2; }

as_postgres() { su postgres -s /bin/sh -c "$*"; }

stop() {
  for cluster in "$standby" "$primary"; do
    if pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version $cluster"; then
      pg_dropcluster --stop "$version" "$cluster"
    fi
  done
}

wait_ready() {
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p "$1" -q && return 0
    sleep 0.5
  done
  log "PostgreSQL on port $1 does not answer"
  return 1
}

trust_everyone() {
  local hba=/etc/postgresql/$version/$1/pg_hba.conf
  cat > "$hba" <<EOF
local   all          all                  trust
host    all          all    127.0.0.1/32  trust
host    replication  all    127.0.0.1/32  trust
local   replication  all                  trust
EOF
}

start() {
  stop
  log "primary $version/$primary on port $primary_port"
  pg_createcluster -q "$version" "$primary" -p "$primary_port" -- --auth=trust >/dev/null
  trust_everyone "$primary"
  cat >> "/etc/postgresql/$version/$primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '256MB'
fsync = off
full_page_writes = off
EOF
  pg_ctlcluster --skip-systemctl-redirect "$version" "$primary" start
  wait_ready "$primary_port"
  as_postgres "psql -q -h 127.0.0.1 -p $primary_port -d postgres -c 'CREATE DATABASE test'"

  log "standby $version/$standby on port $standby_port, from a base backup of the primary"
  pg_createcluster -q "$version" "$standby" -p "$standby_port" -- --auth=trust >/dev/null
  trust_everyone "$standby"
  local data=/var/lib/postgresql/$version/$standby
  find "$data" -mindepth 1 -delete
  as_postgres "pg_basebackup -h 127.0.0.1 -p $primary_port -D $data -R -X stream -c fast"
  cat >> "/etc/postgresql/$version/$standby/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
hot_standby = on
hot_standby_feedback = on
fsync = off
EOF
  pg_ctlcluster --skip-systemctl-redirect "$version" "$standby" start
  wait_ready "$standby_port"
  local recovering
  recovering=$(as_postgres "psql -tA -h 127.0.0.1 -p $standby_port -d postgres -c 'SELECT pg_is_in_recovery()'")
  [ "$recovering" = t ] || { log "the standby is not in recovery"; exit 1; }
  log "ready: postgres://postgres@127.0.0.1:$primary_port/test (primary), postgres://postgres@127.0.0.1:$standby_port/test (standby)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
