#!/usr/bin/env bash
# Real servers on loopback for the DataPatterns tests and samples.
#
#   eng/services.sh up      start (or keep) every server; safe to run twice
#   eng/services.sh down    stop what `up` started (by pid file) and delete its data
#   eng/services.sh env     print the connection strings as `export` lines
#   eng/services.sh status  say which servers answer
#
# Servers: PostgreSQL 15 primary (max_prepared_transactions > 0, wal_level=replica),
# a streaming replica of it (pg_basebackup -R), two independent PostgreSQL servers
# (node2, node3), Redis, two Memcached instances, and MariaDB (a GTID primary and replica, node2, a
# three-node Galera cluster; see eng/services-mariadb.sh). Every byte of data lives under one folder.
#
# Overridable settings (environment):
#   DATAPATTERNS_SERVICES_DIR   data folder               (/tmp/datapatterns-services)
#   DATAPATTERNS_PG_BIN         PostgreSQL binaries        (/usr/lib/postgresql/15/bin)
#   DATAPATTERNS_PG_PRIMARY_PORT / _REPLICA_PORT / _NODE2_PORT / _NODE3_PORT
#                                                          (55432 / 55433 / 55434 / 55435)
#   DATAPATTERNS_REDIS_PORT                                (56379)
#   DATAPATTERNS_MEMCACHED_PORTS  comma-separated, one instance each (51211,51212)
#   DATAPATTERNS_MEMCACHED_ITEM_SIZE  memcached -I, the largest value (1m)
set -euo pipefail

SERVICES_DIR="${DATAPATTERNS_SERVICES_DIR:-/tmp/datapatterns-services}"
PG_BIN="${DATAPATTERNS_PG_BIN:-/usr/lib/postgresql/15/bin}"
PRIMARY_PORT="${DATAPATTERNS_PG_PRIMARY_PORT:-55432}"
REPLICA_PORT="${DATAPATTERNS_PG_REPLICA_PORT:-55433}"
NODE2_PORT="${DATAPATTERNS_PG_NODE2_PORT:-55434}"
NODE3_PORT="${DATAPATTERNS_PG_NODE3_PORT:-55435}"
REDIS_PORT="${DATAPATTERNS_REDIS_PORT:-56379}"
PG_DIR="$SERVICES_DIR/pg"
REDIS_DIR="$SERVICES_DIR/redis"
MEMCACHED_PORTS="${DATAPATTERNS_MEMCACHED_PORTS:-51211,51212}"
MEMCACHED_ITEM_SIZE="${DATAPATTERNS_MEMCACHED_ITEM_SIZE:-1m}"
MEMCACHED_DIR="$SERVICES_DIR/memcached"

log() { echo "services: $*" >&2; }
die() { echo "services: error: $*" >&2; exit 1; }

# shellcheck source=eng/services-mariadb.sh
source "$(dirname "${BASH_SOURCE[0]}")/services-mariadb.sh"

# PostgreSQL refuses to run as root, so as root its commands run as the postgres user.
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_port_of() {
  case "$1" in
    primary) echo "$PRIMARY_PORT" ;;
    replica) echo "$REPLICA_PORT" ;;
    node2) echo "$NODE2_PORT" ;;
    node3) echo "$NODE3_PORT" ;;
    *) die "unknown PostgreSQL server '$1'" ;;
  esac
}

pg_running() {
  local data="$PG_DIR/$1"
  [ -f "$data/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(pg_port_of "$1")" -t 1 >/dev/null 2>&1
}

# Settings shared by every server: loopback only, sockets in our own folder,
# enough prepared-transaction slots for the two-phase-commit tests.
write_pg_conf() {
  local data="$1"
  cat >>"$data/postgresql.conf" <<EOF

# --- DataPatterns test settings ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sockets'
max_connections = 200
max_prepared_transactions = 200
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
wal_keep_size = '256MB'
shared_buffers = '64MB'
logging_collector = off
log_min_messages = warning
EOF
}

pg_init() {
  local name="$1" data="$PG_DIR/$1"
  [ -f "$data/PG_VERSION" ] && return 0
  as_pg mkdir -p "$data"
  as_pg chmod 700 "$data"
  as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$PG_DIR/$name.initdb.log" 2>&1 \
    || { cat "$PG_DIR/$name.initdb.log" >&2; die "initdb for '$name' failed"; }
  write_pg_conf "$data"
}

pg_start() {
  local name="$1" data="$PG_DIR/$1" port
  port="$(pg_port_of "$1")"
  if pg_running "$name"; then
    log "$name already running on port $port"
    return 0
  fi
  # -w waits until the server accepts connections (or fails), so callers never race it.
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$PG_DIR/$name.log" -o "-p $port" -w -t 30 start >/dev/null \
    || { tail -n 30 "$PG_DIR/$name.log" >&2; die "PostgreSQL '$name' did not start on port $port"; }
  log "$name listening on 127.0.0.1:$port"
}

replica_init() {
  local data="$PG_DIR/replica"
  [ -f "$data/PG_VERSION" ] && return 0
  # -R writes standby.signal and primary_conninfo; -X stream keeps the WAL needed while copying.
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data" -R -X stream -c fast --no-sync \
    >"$PG_DIR/replica.basebackup.log" 2>&1 \
    || { cat "$PG_DIR/replica.basebackup.log" >&2; die "pg_basebackup of the primary failed"; }
}

ensure_redis_installed() {
  command -v redis-server >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] || die "redis-server is not installed; install Debian's redis-server package (apt-get install -y redis-server) or set DATAPATTERNS_REDIS to your own server"
  log "installing redis-server from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server >/dev/null
  command -v redis-server >/dev/null 2>&1 || die "apt-get installed redis-server but it is not on PATH"
}

redis_running() {
  [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null
}

redis_start() {
  if redis_running; then
    log "redis already running on port $REDIS_PORT"
    return 0
  fi
  ensure_redis_installed
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" \
    --save "" --appendonly no --protected-mode yes >/dev/null
  local i
  for i in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      log "redis listening on 127.0.0.1:$REDIS_PORT"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
  die "redis did not answer PING on port $REDIS_PORT"
}

ensure_memcached_installed() {
  command -v memcached >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] || die "memcached is not installed; install Debian's memcached package (apt-get install -y memcached) or set DATAPATTERNS_MEMCACHED to your own servers"
  log "installing memcached from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  # The package's own system service must not start: only our instances run, on our ports.
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = "1" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  apt-get update -qq >/dev/null
  apt-get install -y -qq memcached >/dev/null || { [ "$had_policy" = "1" ] || rm -f "$policy"; die "apt-get install memcached failed"; }
  [ "$had_policy" = "1" ] || rm -f "$policy"
  command -v memcached >/dev/null 2>&1 || die "apt-get installed memcached but it is not on PATH"
}

memcached_ports() { tr ',' ' ' <<<"$MEMCACHED_PORTS"; }

memcached_running() {
  local pidfile="$MEMCACHED_DIR/memcached-$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

memcached_answers() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
  printf 'mn\r\n' >&3
  local line=""
  read -r -t 1 line <&3 || true
  exec 3<&- 3>&-
  [ "${line%$'\r'}" = "MN" ]
}

memcached_start() {
  ensure_memcached_installed
  mkdir -p "$MEMCACHED_DIR"
  # memcached writes its pid file after dropping to the memcache user.
  if [ "$(id -u)" = "0" ] && id memcache >/dev/null 2>&1; then chown memcache: "$MEMCACHED_DIR"; fi
  local port i
  for port in $(memcached_ports); do
    if memcached_running "$port"; then
      log "memcached already running on port $port"
      continue
    fi
    # -U 0: no UDP; -u: memcached refuses to run as root without a user to drop to.
    local user=()
    if [ "$(id -u)" = "0" ]; then
      if id memcache >/dev/null 2>&1; then user=(-u memcache); else user=(-u root); fi
    fi
    memcached -d -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 1024 -I "$MEMCACHED_ITEM_SIZE" "${user[@]}" \
      -P "$MEMCACHED_DIR/memcached-$port.pid" >>"$MEMCACHED_DIR/memcached-$port.log" 2>&1 \
      || die "memcached did not start on port $port (see $MEMCACHED_DIR/memcached-$port.log)"
    for i in $(seq 1 100); do
      memcached_answers "$port" && break
      sleep 0.1
    done
    memcached_answers "$port" || die "memcached did not answer on port $port"
    log "memcached listening on 127.0.0.1:$port"
  done
}

memcached_stop() {
  local port pid
  for port in $(memcached_ports); do
    memcached_running "$port" || continue
    pid="$(cat "$MEMCACHED_DIR/memcached-$port.pid")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "memcached on port $port stopped"
  done
}

cmd_up() {
  [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL binaries not found in $PG_BIN (install postgresql-15 or set DATAPATTERNS_PG_BIN)"
  local started=$SECONDS
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR"
  if [ "$(id -u)" = "0" ]; then
    mkdir -p "$PG_DIR"
    chown postgres: "$PG_DIR"
  fi
  as_pg mkdir -p "$PG_DIR/sockets"

  # MariaDB (seven servers, a state transfer per Galera joiner) comes up beside PostgreSQL.
  ( mariadb_up ) &
  local mariadb_pid=$!

  # initdb is the slow part: the three independent clusters are made side by side.
  local pids=() name
  for name in primary node2 node3; do
    pg_init "$name" & pids+=($!)
  done
  ( redis_start ) & pids+=($!)
  ( memcached_start ) & pids+=($!)
  local failed=0 pid
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = "0" ] || die "a server could not be prepared (see the messages above)"

  pg_start primary
  replica_init
  pids=()
  for name in replica node2 node3; do
    pg_start "$name" & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = "0" ] || die "a server did not start (see the messages above)"
  wait "$mariadb_pid" || die "MariaDB did not start (see the messages above)"
  log "up in $((SECONDS - started)) s; data in $SERVICES_DIR"
}

cmd_down() {
  local name
  for name in replica node3 node2 primary; do
    if pg_running "$name"; then
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/$name" -m immediate -w -t 30 stop >/dev/null && log "$name stopped"
    fi
  done
  if redis_running; then
    local pid
    pid="$(cat "$REDIS_DIR/redis.pid")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "redis stopped"
  fi
  memcached_stop
  mariadb_down
  # private/ holds what fault tests left of the servers they killed (sockets, logs); its servers are already gone.
  rm -rf "$PG_DIR" "$REDIS_DIR" "$MEMCACHED_DIR" "$SERVICES_DIR/private"
  rmdir "$SERVICES_DIR" 2>/dev/null || true
}

conn() { echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres"; }

cmd_env() {
  cat <<EOF
export DATAPATTERNS_SERVICES_DIR='$SERVICES_DIR'
export DATAPATTERNS_PG_BIN='$PG_BIN'
export DATAPATTERNS_PG_PRIMARY='$(conn "$PRIMARY_PORT")'
export DATAPATTERNS_PG_REPLICA='$(conn "$REPLICA_PORT")'
export DATAPATTERNS_PG_NODE2='$(conn "$NODE2_PORT")'
export DATAPATTERNS_PG_NODE3='$(conn "$NODE3_PORT")'
export DATAPATTERNS_REDIS='127.0.0.1:$REDIS_PORT'
export DATAPATTERNS_MEMCACHED='$(memcached_ports | tr ' ' '\n' | sed 's/^/127.0.0.1:/' | paste -sd, -)'
EOF
  mariadb_env
}

cmd_status() {
  local name all=0
  for name in primary replica node2 node3; do
    if pg_ready "$name"; then echo "$name: up (127.0.0.1:$(pg_port_of "$name"))"; else echo "$name: down"; all=1; fi
  done
  if redis_running; then echo "redis: up (127.0.0.1:$REDIS_PORT)"; else echo "redis: down"; all=1; fi
  local port
  for port in $(memcached_ports); do
    if memcached_running "$port" && memcached_answers "$port"; then echo "memcached: up (127.0.0.1:$port)"; else echo "memcached $port: down"; all=1; fi
  done
  mariadb_status || all=1
  return $all
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
