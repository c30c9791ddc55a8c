#!/usr/bin/env bash
# The Shop as it runs in production, on one machine: the real servers of eng/services.sh, two stateless Shop
# instances on loopback, and nginx (Debian's package, installed when missing) as the L7 load balancer in front.
#
#   eng/cluster.sh up            start everything (servers only if they are not running); prints the URL
#   eng/cluster.sh down [--keep] stop what `up` started, by pid file (the servers only if `up` started them); deletes
#                                the directory (logs included) only when everything stopped and --keep was not given
#   eng/cluster.sh kill NAME     kill -9 one Shop instance (a or b): a spot VM reclaimed without warning
#   eng/cluster.sh start NAME    start (or restart) one instance with the same node id: its replacement
#   eng/cluster.sh stop NAME     SIGTERM one instance and wait: it drains requests and flushes its write-back queue
#   eng/cluster.sh status        say what answers
#
# Settings (environment): DATAPATTERNS_CLUSTER_DIR (/tmp/datapatterns-cluster), DATAPATTERNS_CLUSTER_PORT (8080),
# DATAPATTERNS_SHOP_PORT_A / _B (5081 / 5082), DATAPATTERNS_SHOP_ARGS (extra arguments for instances started now).
# A pid file is trusted only when the process it names runs this directory's Shop.dll (or nginx with this directory's
# configuration): a stale pid file whose pid was reused by an unrelated process never gets that process signalled.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${DATAPATTERNS_CLUSTER_DIR:-/tmp/datapatterns-cluster}"
PORT="${DATAPATTERNS_CLUSTER_PORT:-8080}"
declare -A SHOP_PORTS=([a]="${DATAPATTERNS_SHOP_PORT_A:-5081}" [b]="${DATAPATTERNS_SHOP_PORT_B:-5082}")

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: error: $*" >&2; exit 1; }

# owner <pid file>: what the process must be running for the pid file to be ours.
owner() { case "$1" in */nginx.pid) echo "$DIR/nginx/nginx.conf" ;; *) echo "$DIR/shop/Shop.dll" ;; esac; }

# alive <pid file>: the pid file names a live process of this cluster.
alive() {
  [ -f "$1" ] || return 1
  local pid; pid="$(cat "$1" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmdline; cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  if [[ "$cmdline" != *"$(owner "$1")"* ]]; then
    log "pid file $1 names pid $pid, which is not ours ($cmdline): ignored"
    return 1
  fi
}

ensure_nginx() {
  command -v nginx >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] || die "nginx is not installed; install Debian's nginx-light package (apt-get install -y nginx-light)"
  log "installing nginx from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # A policy-rc.d that exits 101 keeps the package's maintainer scripts from starting the system-wide nginx (on :80):
  # only ours runs, on loopback. Written for the install only, and only when the machine has none of its own.
  local policy=/usr/sbin/policy-rc.d wrote_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && wrote_policy=1
  fi
  local package installed=0
  for package in nginx-light nginx; do   # nginx-light is gone from newer Debian releases: fall back to nginx
    if apt-cache show "$package" >/dev/null 2>&1 && apt-get install -y -qq "$package" >/dev/null; then installed=1; break; fi
  done
  [ "$wrote_policy" = "0" ] || rm -f "$policy"
  [ "$installed" = "1" ] || die "could not install nginx-light or nginx with apt-get"
  command -v nginx >/dev/null 2>&1 || die "apt-get installed nginx but it is not on PATH"
}

raise_file_limit() {
  # 10,000 client connections plus upstream connections: more descriptors than the usual 1,024.
  local hard; hard="$(ulimit -Hn)"
  if [ "$hard" != "unlimited" ] && [ "$hard" -lt 65536 ] && [ "$(id -u)" = "0" ]; then ulimit -Hn 65536 2>/dev/null || true; fi
  ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
}

publish_shop() {
  log "publishing the Shop (Release)"
  dotnet publish samples/Shop -c Release -o "$DIR/shop" --nologo -v quiet >"$DIR/publish.log" 2>&1 || { cat "$DIR/publish.log" >&2; die "dotnet publish samples/Shop failed"; }
}

start_instance() {
  local name="$1" port="${SHOP_PORTS[$1]:-}"
  [ -n "$port" ] || die "unknown instance '$name' (a or b)"
  [ -f "$DIR/shop/Shop.dll" ] || publish_shop
  if alive "$DIR/shop-$name.pid"; then log "instance $name already running"; return 0; fi
  [ "${DATAPATTERNS_SKIP_SERVICES:-0}" = "1" ] || eval "$(eng/services.sh env)"
  raise_file_limit
  # The process itself (not a dotnet-run wrapper) owns the pid file, so kill -9 hits the server. Each instance sizes its
  # database pools for its share of every server's max_connections: it is told how many instances share them.
  # shellcheck disable=SC2086 # DATAPATTERNS_SHOP_ARGS is a list of extra Shop arguments
  setsid dotnet "$DIR/shop/Shop.dll" --services --node="$name" --urls="http://127.0.0.1:$port" \
    --Shop:Connections:Instances="${#SHOP_PORTS[@]}" ${DATAPATTERNS_SHOP_ARGS:-} \
    >>"$DIR/shop-$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/shop-$name.pid"
  for _ in $(seq 1 120); do
    curl -fsS --max-time 5 "http://127.0.0.1:$port/health" >/dev/null 2>&1 && { log "instance $name listening on 127.0.0.1:$port (pid $(cat "$DIR/shop-$name.pid"))"; return 0; }
    alive "$DIR/shop-$name.pid" || { tail -n 30 "$DIR/shop-$name.log" >&2; die "instance $name exited while starting"; }
    sleep 0.5
  done
  tail -n 30 "$DIR/shop-$name.log" >&2
  die "instance $name did not answer /health within 60 s"
}

kill_instance() {
  local pidfile="$DIR/shop-$1.pid"
  alive "$pidfile" || die "instance $1 is not running"
  kill -9 "$(cat "$pidfile")" || die "kill -9 of instance $1 failed"
  log "instance $1 killed with SIGKILL (pid $(cat "$pidfile"))"
  rm -f "$pidfile"
}

# stop_instance NAME: SIGTERM and wait up to 30 s; fails (after a SIGKILL) when the instance did not stop in time.
# stop_gracefully PIDFILE SIGNAL SECONDS WHAT: signal, wait, SIGKILL past the time (returns 1 then); removes the pid file.
stop_gracefully() {
  local pidfile="$1" signal="$2" seconds="$3" what="$4"
  if alive "$pidfile"; then
    local pid; pid="$(cat "$pidfile")"
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((seconds * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      log "$what did not stop within $seconds s of SIG$signal: killed"
      return 1
    fi
  fi
  rm -f "$pidfile"
}

# SIGTERM: the instance drains its requests and flushes its write-back queue.
stop_instance() { stop_gracefully "$DIR/shop-$1.pid" TERM 30 "instance $1"; }

write_nginx_conf() {
  mkdir -p "$DIR/nginx/tmp"
  chmod 777 "$DIR/nginx/tmp"
  local files; files="$(ulimit -Hn)"
  [ "$files" = "unlimited" ] && files=65536
  [ "$files" -gt 65536 ] && files=65536
  cat >"$DIR/nginx/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile $files;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections $files; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/tmp/body;
  proxy_temp_path $DIR/nginx/tmp/proxy;
  fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
  uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
  scgi_temp_path $DIR/nginx/tmp/scgi;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  upstream shop {
    # A refused connection (a dead instance) takes the server out for 2 s; a slow accept under a burst does not.
    server 127.0.0.1:${SHOP_PORTS[a]} max_fails=3 fail_timeout=2s;
    server 127.0.0.1:${SHOP_PORTS[b]} max_fails=3 fail_timeout=2s;
    keepalive 4096;
  }
  server {
    listen 127.0.0.1:$PORT backlog=16384;
    location / {
      proxy_pass http://shop;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A dead instance refuses the connection: try the other one. A request already sent is never replayed
      # (nginx does not retry POST once sent), so an order is placed at most once.
      proxy_next_upstream error timeout;
      proxy_connect_timeout 5s;
      proxy_read_timeout 60s;
    }
  }
}
CONF
}

start_nginx() {
  ensure_nginx
  if alive "$DIR/nginx/nginx.pid"; then log "nginx already running"; return 0; fi
  write_nginx_conf
  raise_file_limit
  nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" -g 'daemon on;' || die "nginx did not start (see $DIR/nginx/error.log)"
  for _ in $(seq 1 40); do
    curl -fsS --max-time 5 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && { log "nginx listening on 127.0.0.1:$PORT"; return 0; }
    sleep 0.25
  done
  die "nginx did not answer on port $PORT"
}

stop_nginx() { stop_gracefully "$DIR/nginx/nginx.pid" QUIT 10 nginx; }

case "${1:-}" in
  up)
    mkdir -p "$DIR"
    if [ "${DATAPATTERNS_SKIP_SERVICES:-0}" != "1" ] && ! eng/services.sh status >/dev/null 2>&1; then
      eng/services.sh up
      touch "$DIR/started-services"
    fi
    # Never republish under running instances: they would load a mix of old and new assemblies on their next load.
    if alive "$DIR/shop-a.pid" || alive "$DIR/shop-b.pid"; then
      log "instances from $DIR are running: not republishing (eng/cluster.sh down first to deploy a new build)"
    else
      publish_shop
    fi
    start_instance a
    start_instance b
    start_nginx
    echo "Shop cluster at http://127.0.0.1:$PORT (instances a and b behind nginx)"
    ;;
  down)
    stopped=1
    stop_nginx || stopped=0
    stop_instance a || stopped=0
    stop_instance b || stopped=0
    if [ -f "$DIR/started-services" ]; then eng/services.sh down || stopped=0; fi
    if [ "${2:-}" = "--keep" ] || [ "$stopped" = "0" ]; then
      [ ! -d "$DIR" ] || log "kept $DIR (logs: $DIR/shop-a.log, $DIR/shop-b.log, $DIR/nginx/error.log)"
    else
      rm -rf "$DIR"
    fi
    [ "$stopped" = "1" ] || die "not everything stopped cleanly"
    ;;
  kill) kill_instance "${2:?name: a or b}" ;;
  start) mkdir -p "$DIR"; start_instance "${2:?name: a or b}" ;;
  stop) stop_instance "${2:?name: a or b}"; log "instance $2 stopped with SIGTERM" ;;
  status)
    for name in a b; do
      if alive "$DIR/shop-$name.pid"; then echo "instance $name: running (pid $(cat "$DIR/shop-$name.pid"), port ${SHOP_PORTS[$name]})"; else echo "instance $name: stopped"; fi
    done
    if alive "$DIR/nginx/nginx.pid"; then echo "nginx: running on port $PORT"; else echo "nginx: stopped"; fi
    ;;
  *) echo "usage: eng/cluster.sh up|down [--keep]|kill NAME|start NAME|stop NAME|status" >&2; exit 2 ;;
esac
