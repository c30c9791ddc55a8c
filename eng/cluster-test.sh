#!/usr/bin/env bash
# The Shop cluster's load and fault test (issue #8): nginx + two Shop instances + the real servers.
#
#   eng/cluster-test.sh            short form (eng/test.sh runs it): 10 s of C10K, 20 s of orders with a kill -9
#   eng/cluster-test.sh --long     long form, by hand: 60 s of C10K, 90 s of orders with a kill -9
#
# 1. C10K: wrk holds 10,000 connections to nginx for the whole run: every request must answer 2xx, none may fail.
# 2. Fault: 32 workers place orders (2PC: payment on the primary + order on the customer's shard) and write carts
#    (write-back, durable in a Redis stream) through nginx; a third of the way in, instance a is killed with SIGKILL.
#    Its replacement (same node id) starts once the load is over, as a reclaimed spot VM's would.
#    Then: every acknowledged order is in both databases; payments and orders hold exactly the same order ids (all or
#    nothing, no prepared transaction left); every cart in the database is the last acknowledged version or a later
#    attempt, including the carts the dead instance had only queued; the CQRS order history holds exactly the
#    committed orders.
# Prints throughput, p50/p99 latency and error counts for both phases. Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
c10k_seconds=10 fault_seconds=20
[ "${1:-}" = "--long" ] && { c10k_seconds=60; fault_seconds=90; }
port="${DATAPATTERNS_CLUSTER_PORT:-8080}"
url="http://127.0.0.1:$port"
out="$(mktemp -d)"
psql="${DATAPATTERNS_PG_BIN:-/usr/lib/postgresql/15/bin}/psql"

fail() { echo "cluster-test: FAILED: $*" >&2; exit 1; }
cleanup() { eng/cluster.sh down >/dev/null 2>&1 || true; rm -rf "$out"; }
trap cleanup EXIT

ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] || fail "wrk is not installed (apt-get install -y wrk)"
  echo "cluster-test: installing wrk from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

[ "${DATAPATTERNS_SKIP_SERVICES:-0}" = "1" ] || eval "$(eng/services.sh env)"
pg() { # pg <connection string> <sql>: one column, no headers
  local cs="$1" host port
  host="$(sed -n 's/.*Host=\([^;]*\).*/\1/p' <<<"$cs")"; port="$(sed -n 's/.*Port=\([^;]*\).*/\1/p' <<<"$cs")"
  "$psql" -h "$host" -p "$port" -U postgres -d shop -Atc "$2"
}

ensure_wrk
ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
eng/cluster.sh up
dotnet build samples/Shop.LoadTest -c Release --nologo -v quiet -o "$out/load" >/dev/null

# --- 1. C10K ----------------------------------------------------------------------------------------------------
echo "cluster-test: C10K: 10,000 connections to nginx for $c10k_seconds s"
( peak=0; for _ in $(seq 1 "$c10k_seconds"); do sleep 1; n="$(ss -Htn state established "( sport = :$port )" | wc -l)"; [ "$n" -gt "$peak" ] && peak="$n"; done; echo "$peak" >"$out/peak" ) &
wrk -t2 -c10000 -d"${c10k_seconds}s" --timeout 15s --latency "$url/products/7" >"$out/wrk.txt" 2>&1 || { cat "$out/wrk.txt"; fail "wrk failed"; }
wait
cat "$out/wrk.txt"
peak="$(cat "$out/peak")"
requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out/wrk.txt")"
rps="$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$out/wrk.txt")"
p50="$(awk '$1=="50%"{print $2}' "$out/wrk.txt")"; p99="$(awk '$1=="99%"{print $2}' "$out/wrk.txt")"
socket_errors="$(sed -n 's/.*Socket errors: \(.*\)/\1/p' "$out/wrk.txt")"
non2xx="$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$out/wrk.txt")"
echo "cluster-test: C10K: peak $peak established connections; $requests requests, $rps req/s, p50 $p50, p99 $p99; socket errors: ${socket_errors:-none}; non-2xx: ${non2xx:-0}"
[ "$peak" -ge 10000 ] || fail "only $peak connections were established at once (10,000 wanted)"
[ -z "$socket_errors" ] || fail "wrk saw socket errors: $socket_errors"
[ -z "$non2xx" ] || fail "$non2xx requests did not answer 2xx"
[ "${requests:-0}" -gt 0 ] || fail "no request completed"

# --- 2. kill -9 under load ----------------------------------------------------------------------------------------
echo "cluster-test: fault: 32 workers for $fault_seconds s; instance a is killed with SIGKILL after $((fault_seconds / 3)) s"
dotnet "$out/load/Shop.LoadTest.dll" --url "$url" --seconds "$fault_seconds" --workers 32 --out "$out" >"$out/load.txt" 2>&1 &
load=$!
sleep $((fault_seconds / 3))
eng/cluster.sh kill a
queued="$(redis-cli -h 127.0.0.1 -p "${DATAPATTERNS_REDIS##*:}" XLEN shop:carts:writeback 2>/dev/null || echo '?')"
echo "cluster-test: at the kill, $queued cart writes were queued in the Redis stream"
wait "$load" || { cat "$out/load.txt"; fail "the load generator failed"; }
cat "$out/load.txt"
eng/cluster.sh start a   # the replacement: same node id, so it recovers the dead process's in-doubt branches

# Recovery (prepared transactions of the dead process) and the takeover of its queued carts take a few seconds.
deadline=$((SECONDS + 120))
while :; do
  prepared=0
  for cs in "$DATAPATTERNS_PG_PRIMARY" "$DATAPATTERNS_PG_NODE2" "$DATAPATTERNS_PG_NODE3"; do
    prepared=$((prepared + $(pg "$cs" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shop:%'")))
  done
  pending="$(redis-cli -h 127.0.0.1 -p "${DATAPATTERNS_REDIS##*:}" XLEN shop:carts:writeback 2>/dev/null || echo 0)"
  [ "$prepared" -eq 0 ] && [ "$pending" -eq 0 ] && break
  [ $SECONDS -lt $deadline ] || fail "after 120 s, $prepared prepared transactions and $pending queued cart writes remain"
  sleep 1
done

pg "$DATAPATTERNS_PG_PRIMARY" "SELECT order_id FROM payments" | sort >"$out/payments"
{ pg "$DATAPATTERNS_PG_NODE2" "SELECT order_id FROM orders"; pg "$DATAPATTERNS_PG_NODE3" "SELECT order_id FROM orders"; } | sort >"$out/orders"
sort "$out/orders-acknowledged.txt" >"$out/acked"
sort "$out/orders-attempted.txt" >"$out/attempted"
missing_payment="$(comm -23 "$out/acked" "$out/payments" | wc -l)"
missing_order="$(comm -23 "$out/acked" "$out/orders" | wc -l)"
one_sided="$(comm -3 "$out/payments" "$out/orders" | wc -l)"
committed_of_attempted="$(comm -12 "$out/attempted" "$out/payments" | wc -l)"
echo "cluster-test: orders: $(wc -l <"$out/acked") acknowledged, $(wc -l <"$out/attempted") attempted, $committed_of_attempted committed in both databases"
[ "$missing_payment" -eq 0 ] || fail "$missing_payment acknowledged orders have no payment"
[ "$missing_order" -eq 0 ] || fail "$missing_order acknowledged orders have no order row"
[ "$one_sided" -eq 0 ] || fail "$one_sided orders are in one database but not the other"

# CQRS: the order-history read model (kept by whichever instance holds the projection's lease) ends with exactly the
# committed orders: none lost, none doubled, whichever instance died.
deadline=$((SECONDS + 90))
while :; do
  pg "$DATAPATTERNS_PG_PRIMARY" "SELECT order_id FROM order_history.orders" | sort >"$out/history"
  [ "$(comm -3 "$out/history" "$out/payments" | wc -l)" -eq 0 ] && break
  [ $SECONDS -lt $deadline ] || fail "after 90 s the order history differs from the committed orders in $(comm -3 "$out/history" "$out/payments" | wc -l) orders"
  sleep 1
done
echo "cluster-test: order history: $(wc -l <"$out/history") orders, exactly the committed ones"

# Carts: the database holds, per customer, the last acknowledged version or a later attempt (a write whose answer was
# lost when the instance died may still have been queued, and then it must arrive too).
pg "$DATAPATTERNS_PG_PRIMARY" "SELECT customer_id || chr(9) || (lines->0->>'productId') FROM carts WHERE customer_id >= 1000000" | sort >"$out/db-carts"
bad_carts="$(sort "$out/carts.tsv" | join -t $'\t' -a1 -e 0 -o 0,1.2,1.3,2.2 - "$out/db-carts" | awk -F'\t' '$2 > 0 && ($4 < $2 || $4 > $3)' | tee "$out/bad-carts" | wc -l)"
echo "cluster-test: carts: $(wc -l <"$out/carts.tsv") customers written, $bad_carts not at their last acknowledged version"
[ "$bad_carts" -eq 0 ] || { head "$out/bad-carts" >&2; fail "$bad_carts carts lost an acknowledged write (customer, acknowledged, attempted, in database)"; }
# --- 3. SIGTERM flushes ------------------------------------------------------------------------------------------
# Only b runs, restarted with a flush interval of 10 minutes: carts written to it can reach the database only through
# its shutdown flush when it is stopped with SIGTERM (no other instance is left to take them over).
eng/cluster.sh stop a
eng/cluster.sh stop b
DATAPATTERNS_SHOP_ARGS="--writeBackFlushSeconds=600" eng/cluster.sh start b
b_url="http://127.0.0.1:${DATAPATTERNS_SHOP_PORT_B:-5082}"
marker=$((100 + RANDOM % 800))   # this run's carts, told apart from earlier runs'
for customer in $(seq 2000001 2000200); do
  curl -fsS -o /dev/null -X PUT "$b_url/carts/$customer" -H 'content-type: application/json' -d "{\"lines\":[{\"productId\":$customer,\"quantity\":$marker}]}" \
    || fail "PUT /carts/$customer on instance b failed"
done
sql="SELECT count(*) FROM carts WHERE customer_id BETWEEN 2000001 AND 2000200 AND (lines->0->>'quantity')::int = $marker"
before="$(pg "$DATAPATTERNS_PG_PRIMARY" "$sql")"
eng/cluster.sh stop b
flushed="$(pg "$DATAPATTERNS_PG_PRIMARY" "$sql")"
echo "cluster-test: SIGTERM: 200 carts queued on b ($before in the database before the stop, $flushed after)"
[ "$flushed" -eq 200 ] || fail "only $flushed of 200 carts reached the database after SIGTERM"
echo "cluster-test: passed"
