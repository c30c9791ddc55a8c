#!/usr/bin/env bash
# What eng/cluster-test.sh and eng/overload-test.sh share: their own temporary cluster, the free-port check, wrk,
# psql against the shop database, and the cleanup that prints the end of each log on failure. Sourced, not run:
#
#   name=overload-test; log_lines=15; source eng/cluster-common.sh
#
# Sets: out (temporary directory, removed at exit), DATAPATTERNS_CLUSTER_DIR (our own cluster under it, so cleanup
# never touches anyone else's), psql; defines fail, cluster_require_free_ports, cluster_ensure_wrk, pg.
: "${name:?set name before sourcing eng/cluster-common.sh}"
log_lines="${log_lines:-40}"
out="$(mktemp -d)"
export DATAPATTERNS_CLUSTER_DIR="$out/cluster"
psql="${DATAPATTERNS_PG_BIN:-/usr/lib/postgresql/15/bin}/psql"

fail() { echo "$name: FAILED: $*" >&2; exit 1; }

cluster_cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -d "$DATAPATTERNS_CLUSTER_DIR" ]; then
    for log in "$DATAPATTERNS_CLUSTER_DIR"/shop-*.log "$DATAPATTERNS_CLUSTER_DIR/nginx/error.log"; do
      [ -f "$log" ] || continue
      echo "$name: --- last $log_lines lines of $(basename "$(dirname "$log")")/$(basename "$log") ---" >&2
      tail -n "$log_lines" "$log" | cut -c1-400 >&2
    done
  fi
  eng/cluster.sh down >/dev/null 2>&1 || true
  rm -rf "$out"
  exit "$status"
}
trap cluster_cleanup EXIT

# cluster_require_free_ports <port>...: the tests never share (or stop) a cluster someone else is running.
cluster_require_free_ports() {
  local p
  for p in "$@"; do
    [ -z "$(ss -Hltn "( sport = :$p )")" ] || fail "port $p is already in use (another cluster?): set DATAPATTERNS_CLUSTER_PORT, DATAPATTERNS_SHOP_PORT_A and DATAPATTERNS_SHOP_PORT_B to free ports"
  done
}

# cluster_ensure_wrk: installs wrk from Debian's packages when it is missing (as root; otherwise says what to run).
cluster_ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] || fail "wrk is not installed (apt-get install -y wrk)"
  echo "$name: installing wrk from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# pg <connection string> <sql>: one column, no headers, in the shop database.
pg() {
  local cs="$1" host port
  host="$(sed -n 's/.*Host=\([^;]*\).*/\1/p' <<<"$cs")"; port="$(sed -n 's/.*Port=\([^;]*\).*/\1/p' <<<"$cs")"
  "$psql" -h "$host" -p "$port" -U postgres -d shop -Atc "$2"
}

[ "${DATAPATTERNS_SKIP_SERVICES:-0}" = "1" ] || eval "$(eng/services.sh env)"
