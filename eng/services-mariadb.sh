# MariaDB servers for eng/services.sh (sourced by it, not run on its own).
#
# primary  53306  binlog + GTID + log_slave_updates
# replica  53307  GTID replica of the primary (master_use_gtid=slave_pos), read_only
# node2    53308  an independent server (a second XA participant and shard)
# galera1..3  53316..53318  a three-node Galera cluster (gcomm 54567..54569, IST 54577..54579, SST 54587..54589)
#
# Every server runs as the mysql OS user from an option file $MARIADB_DIR/<name>.cnf, so a test that kills one
# starts it again with exactly: runuser -u mysql -- mariadbd --defaults-file=$MARIADB_DIR/<name>.cnf
# (a killed Galera node rejoins its cluster by IST that way).
#
# Overridable: DATAPATTERNS_MARIADB_PRIMARY_PORT / _REPLICA_PORT / _NODE2_PORT (53306 / 53307 / 53308),
# DATAPATTERNS_GALERA_PORTS (53316,53317,53318), DATAPATTERNS_GALERA_GCOMM_BASE (54567).

MARIADB_DIR="$SERVICES_DIR/mariadb"
MARIADB_PRIMARY_PORT="${DATAPATTERNS_MARIADB_PRIMARY_PORT:-53306}"
MARIADB_REPLICA_PORT="${DATAPATTERNS_MARIADB_REPLICA_PORT:-53307}"
MARIADB_NODE2_PORT="${DATAPATTERNS_MARIADB_NODE2_PORT:-53308}"
GALERA_PORTS="${DATAPATTERNS_GALERA_PORTS:-53316,53317,53318}"
GALERA_GCOMM_BASE="${DATAPATTERNS_GALERA_GCOMM_BASE:-54567}"
GALERA_PROVIDER="${DATAPATTERNS_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"

as_mysql() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u mysql -- "$@"
  else
    "$@"
  fi
}

ensure_mariadb_installed() {
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    [ -f "$GALERA_PROVIDER" ] && command -v rsync >/dev/null 2>&1 && return 0
  fi
  [ "$(id -u)" = "0" ] || die "MariaDB is not installed; install Debian's mariadb-server, galera-4 and rsync packages or set the DATAPATTERNS_MARIADB_* variables to your own servers"
  log "installing mariadb-server, galera-4 and rsync from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  # The package's own system service must not start: only our servers run, on our ports.
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = "1" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  apt-get update -qq >/dev/null
  apt-get install -y -qq mariadb-server galera-4 rsync >/dev/null \
    || { [ "$had_policy" = "1" ] || rm -f "$policy"; die "apt-get install mariadb-server galera-4 rsync failed"; }
  [ "$had_policy" = "1" ] || rm -f "$policy"
  [ -f "$GALERA_PROVIDER" ] || die "galera-4 installed but $GALERA_PROVIDER is missing"
}

mariadbd_bin() { command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd; }

galera_port() { tr ',' '\n' <<<"$GALERA_PORTS" | sed -n "${1}p"; }
galera_count() { tr ',' '\n' <<<"$GALERA_PORTS" | grep -c .; }

mariadb_port_of() {
  case "$1" in
    primary) echo "$MARIADB_PRIMARY_PORT" ;;
    replica) echo "$MARIADB_REPLICA_PORT" ;;
    node2) echo "$MARIADB_NODE2_PORT" ;;
    galera*) galera_port "${1#galera}" ;;
    *) die "unknown MariaDB server '$1'" ;;
  esac
}

# One option file per server. Durable settings (flush at every commit, binlog synced) because the XA tests
# kill servers holding prepared branches; small buffers because seven servers share the machine.
write_mariadb_cnf() {
  local name="$1" port="$2" server_id="$3" extra="$4"
  cat >"$MARIADB_DIR/$name.cnf" <<EOF
[mariadbd]
user = mysql
datadir = $MARIADB_DIR/$name
port = $port
bind-address = 127.0.0.1
socket = $MARIADB_DIR/$name.sock
pid-file = $MARIADB_DIR/$name.pid
log-error = $MARIADB_DIR/$name.err
tmpdir = $MARIADB_DIR/$name.tmp
server_id = $server_id
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
default_storage_engine = InnoDB
max_connections = 400
performance_schema = OFF
innodb_buffer_pool_size = 48M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 1
innodb_use_native_aio = OFF
sync_binlog = 1
log_bin = $MARIADB_DIR/$name-bin
binlog_format = ROW
log_slave_updates = ON
$extra
EOF
}

galera_cnf_extra() {
  local i="$1" count addresses="" n
  count="$(galera_count)"
  for n in $(seq 1 "$count"); do
    addresses+="${addresses:+,}127.0.0.1:$((GALERA_GCOMM_BASE + n - 1))"
  done
  cat <<EOF
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = $GALERA_PROVIDER
wsrep_cluster_name = datapatterns
wsrep_cluster_address = gcomm://$addresses
wsrep_node_name = galera$i
wsrep_node_address = 127.0.0.1:$((GALERA_GCOMM_BASE + i - 1))
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$((GALERA_GCOMM_BASE + i - 1));ist.recv_addr=127.0.0.1:$((GALERA_GCOMM_BASE + 9 + i));gcache.size=64M"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$((GALERA_GCOMM_BASE + 19 + i))
EOF
}

mariadb_running() {
  [ -f "$MARIADB_DIR/$1.pid" ] && kill -0 "$(cat "$MARIADB_DIR/$1.pid")" 2>/dev/null
}

mariadb_sql() {
  local name="$1"; shift
  mariadb --protocol=socket -S "$MARIADB_DIR/$name.sock" -u root -N -B "$@"
}

mariadb_ready() {
  mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$(mariadb_port_of "$1")" -u root --connect-timeout=1 ping >/dev/null 2>&1
}

mariadb_init() {
  local name="$1" attempt
  [ -d "$MARIADB_DIR/$name/mysql" ] && return 0
  # A server's temporary files stay in its own folder: in the shared /tmp another process may remove them.
  as_mysql mkdir -p "$MARIADB_DIR/$name.tmp"
  for attempt in 1 2; do
    as_mysql mkdir -p "$MARIADB_DIR/$name"
    if as_mysql mariadb-install-db --defaults-file="$MARIADB_DIR/$name.cnf" --auth-root-authentication-method=normal \
      --skip-test-db >"$MARIADB_DIR/$name.install.log" 2>&1; then
      return 0
    fi
    # A half-made data folder would start a server without its system tables: start again from nothing, once.
    log "mariadb-install-db for '$name' failed (attempt $attempt); see $MARIADB_DIR/$name.install.log"
    rm -rf "${MARIADB_DIR:?}/$name"
  done
  cat "$MARIADB_DIR/$name.install.log" >&2
  die "mariadb-install-db for '$name' failed twice"
}

# Starts mariadbd in the background as the mysql user and waits until it answers on its TCP port.
mariadb_launch() {
  local name="$1"; shift
  if mariadb_running "$name"; then
    log "MariaDB $name already running on port $(mariadb_port_of "$name")"
    return 0
  fi
  as_mysql bash -c 'nohup "$0" --defaults-file="$1" "${@:2}" >/dev/null 2>&1 &' "$(mariadbd_bin)" "$MARIADB_DIR/$name.cnf" "$@"
  local i
  for i in $(seq 1 600); do
    mariadb_ready "$name" && { log "MariaDB $name listening on 127.0.0.1:$(mariadb_port_of "$name")"; return 0; }
    sleep 0.1
  done
  tail -n 30 "$MARIADB_DIR/$name.err" >&2 || true
  die "MariaDB '$name' did not start on port $(mariadb_port_of "$name")"
}

# Loopback TCP login for the tests (root, no password: loopback-only servers) and their database.
# sql_log_bin=0 keeps these out of the binlog, so the replica (which runs the same) never replays them.
mariadb_bootstrap() {
  mariadb_sql "$1" <<'EOF'
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS datapatterns CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
EOF
}

mariadb_replica_attach() {
  local state
  state="$(mariadb_sql replica -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_IO'" 2>/dev/null || echo 0)"
  [ "$state" != "0" ] && return 0
  mariadb_sql replica <<EOF
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MARIADB_PRIMARY_PORT, MASTER_USER='root', MASTER_PASSWORD='',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
EOF
}

galera_synced() {
  local v
  v="$(mariadb --protocol=tcp -h 127.0.0.1 -P "$(galera_port "$1")" -u root -N -B --connect-timeout=1 \
    -e "SHOW STATUS LIKE 'wsrep_local_state'" 2>/dev/null | awk '{print $2}')"
  [ "$v" = "4" ]
}

galera_wait_synced() {
  local i
  for i in $(seq 1 600); do
    galera_synced "$1" && return 0
    sleep 0.1
  done
  tail -n 30 "$MARIADB_DIR/galera$1.err" >&2 || true
  die "Galera node galera$1 did not reach Synced"
}

mariadb_up() {
  ensure_mariadb_installed
  mkdir -p "$MARIADB_DIR"
  [ "$(id -u)" = "0" ] && chown mysql: "$MARIADB_DIR"
  write_mariadb_cnf primary "$MARIADB_PRIMARY_PORT" 1 "gtid_domain_id = 0"
  write_mariadb_cnf replica "$MARIADB_REPLICA_PORT" 2 "read_only = ON"
  write_mariadb_cnf node2 "$MARIADB_NODE2_PORT" 3 ""
  local i count pids=() pid failed=0
  count="$(galera_count)"
  for i in $(seq 1 "$count"); do
    write_mariadb_cnf "galera$i" "$(galera_port "$i")" $((10 + i)) "$(galera_cnf_extra "$i")"
  done

  for name in primary replica node2 galera1; do mariadb_init "$name" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = "0" ] || die "a MariaDB server could not be prepared (see above)"

  # The Galera cluster is bootstrapped from galera1 only when no node of it is running.
  local galera_any=0
  for i in $(seq 1 "$count"); do mariadb_running "galera$i" && galera_any=1; done
  pids=()
  for name in primary replica node2; do ( mariadb_launch "$name" && mariadb_bootstrap "$name" ) & pids+=($!); done
  if [ "$galera_any" = "0" ]; then
    ( mariadb_launch galera1 --wsrep-new-cluster && mariadb_bootstrap galera1 ) & pids+=($!)
  fi
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = "0" ] || die "a MariaDB server did not start (see above)"
  mariadb_replica_attach
  [ "$galera_any" = "0" ] || mariadb_launch galera1

  # Joiners take a state transfer (rsync) from a synced node, one at a time.
  galera_wait_synced 1
  for i in $(seq 2 "$count"); do
    as_mysql mkdir -p "$MARIADB_DIR/galera$i" "$MARIADB_DIR/galera$i.tmp"
    mariadb_launch "galera$i"
    galera_wait_synced "$i"
  done
}

mariadb_stop_one() {
  local name="$1" pid
  mariadb_running "$name" || return 0
  pid="$(cat "$MARIADB_DIR/$name.pid")"
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  log "MariaDB $name stopped"
}

# The data is deleted right after, so the servers are killed rather than shut down cleanly.
mariadb_down() {
  [ -d "$MARIADB_DIR" ] || return 0
  local name i
  for name in replica primary node2; do mariadb_stop_one "$name"; done
  for i in $(seq 1 "$(galera_count)"); do mariadb_stop_one "galera$i"; done
  # An rsync daemon a state transfer started may outlive its server.
  for f in "$MARIADB_DIR"/galera*/rsync_sst.pid; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$MARIADB_DIR"
}

mariadb_conn() { echo "Server=127.0.0.1;Port=$1;User ID=root;Password=;Database=datapatterns"; }

mariadb_env() {
  local galera="" i
  for i in $(seq 1 "$(galera_count)"); do galera+="${galera:+,}$(mariadb_conn "$(galera_port "$i")")"; done
  cat <<EOF
export DATAPATTERNS_MARIADB_DIR='$MARIADB_DIR'
export DATAPATTERNS_MARIADB_PRIMARY='$(mariadb_conn "$MARIADB_PRIMARY_PORT")'
export DATAPATTERNS_MARIADB_REPLICA='$(mariadb_conn "$MARIADB_REPLICA_PORT")'
export DATAPATTERNS_MARIADB_NODE2='$(mariadb_conn "$MARIADB_NODE2_PORT")'
export DATAPATTERNS_GALERA='$galera'
EOF
}

mariadb_status() {
  local name all=0 i
  for name in primary replica node2; do
    if mariadb_ready "$name"; then echo "mariadb $name: up (127.0.0.1:$(mariadb_port_of "$name"))"; else echo "mariadb $name: down"; all=1; fi
  done
  for i in $(seq 1 "$(galera_count)"); do
    if galera_synced "$i"; then echo "galera$i: synced (127.0.0.1:$(galera_port "$i"))"; else echo "galera$i: down or not synced"; all=1; fi
  done
  return $all
}
