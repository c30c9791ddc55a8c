#!/usr/bin/env bash
# The Shop cluster under ten times its capacity (issue #13): nginx + two Shop instances + the real servers, one
# database-backed endpoint at a time.
#
#   eng/overload-test.sh           short form (eng/test-steps/overload.sh): 3 s at 64 connections, 7 s at 10,000, 5 + 3 s at 64
#   eng/overload-test.sh --long    long form, by hand: 5 s at 64, 20 s at 10,000, 5 + 5 s at 64, per endpoint
#
# Endpoints, in turn: replica reads (GET /products?after=&count=, on the replica), orders (POST /orders: 2PC over the
# primary and an order shard, a unique order id per request), order history (GET /customers/{id}/orders, the CQRS read
# model on the replica) and carts (PUT /carts/{id}: write-back, flushed to the primary, a new customer per request).
# For each: the peak goodput (2xx/s) and p99 at 64 connections; then 10,000 connections through nginx; then 64 again:
# 5 s to recover, then the p99 that is judged. Every answer is checked by a wrk Lua script, which also counts the 2xx
# per second: goodput is taken over a phase's whole seconds, and under overload without its first 2 s, while wrk is
# still opening its 10,000 connections (on this machine that takes about as long).
#
# It passes when, for every endpoint: no 500; every other non-2xx is a 503 with Retry-After and a Problem Details body;
# goodput under overload >= 80 % of the peak at 64 connections; within 5 s after the overload, p99 at 64 connections is
# at most 1.5x its value before (the short form: or its value + 150 ms, see p99_slack_ms); and over the whole run: no ejection in either Shop's log (the router's "node '...'
# ejected for ..." line, event 4001 of DataPatterns.Routing; every server stays alive), no
# "too many clients" in any Shop or PostgreSQL log (only what this run wrote), and the orders hold: none prepared is
# left, payments and orders hold the same order ids for this run's customers, and at least as many as were acknowledged.
# The short form measures an endpoint once more, whole, when it misses the goodput or p99 bound (its 3-s samples are
# noisy on a shared machine) and judges that second pass; the answers of both passes are judged. The long form never does.
# Each failed criterion is printed as "overload-test: FAILED <criterion> [<endpoint>]: <numbers>"; it exits non-zero then.
#
# Like eng/cluster-test.sh it runs its own cluster (DATAPATTERNS_CLUSTER_DIR under its temporary directory) on ports of
# its own: DATAPATTERNS_CLUSTER_PORT / DATAPATTERNS_SHOP_PORT_A / _B (8090 / 5091 / 5092), which must be free.
# OVERLOAD_ENDPOINTS="replica orders" runs only those endpoints (while working on one).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
peak_seconds=3 over_seconds=7 recover_seconds=5 after_seconds=3
# The short form's 3-s samples at 64 connections vary on their own by up to 2x on a shared 2-core machine (a carts p99
# of 147 to 287 ms with no overload at all), so it allows 1.5x or +150 ms, whichever is larger; the long form judges 1.5x.
p99_slack_ms=150
[ "${1:-}" = "--long" ] && { peak_seconds=5; over_seconds=20; recover_seconds=5; after_seconds=5; p99_slack_ms=0; }
endpoints="${OVERLOAD_ENDPOINTS:-replica orders history carts}"
export DATAPATTERNS_CLUSTER_PORT="${DATAPATTERNS_CLUSTER_PORT:-8090}"
export DATAPATTERNS_SHOP_PORT_A="${DATAPATTERNS_SHOP_PORT_A:-5091}" DATAPATTERNS_SHOP_PORT_B="${DATAPATTERNS_SHOP_PORT_B:-5092}"
port="$DATAPATTERNS_CLUSTER_PORT"
url="http://127.0.0.1:$port"
name=overload-test log_lines=15
source eng/cluster-common.sh
cluster_require_free_ports "$port" "$DATAPATTERNS_SHOP_PORT_A" "$DATAPATTERNS_SHOP_PORT_B"
cluster_ensure_wrk

# This run's customers: 5,000 ids for orders and history, far from eng/cluster-test.sh's and other runs'.
run=$((RANDOM * 32768 + RANDOM))
customers=$((3000000000000 + (run % 100000) * 10000000000))
export OVERLOAD_RUN="$run" OVERLOAD_CUSTOMERS="$customers"

# The Lua script: builds each endpoint's request and checks every answer (see the header of this file).
cat >"$out/endpoint.lua" <<'LUA'
local endpoint = os.getenv("OVERLOAD_ENDPOINT")
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  n, ok, s503, bad503, s500, other, other_status = 0, 0, 0, 0, 0, 0, 0
  per_second = {}   -- 2xx by wall-clock second: goodput over the steady part of the phase
  run = tonumber(os.getenv("OVERLOAD_RUN"))
  phase = tonumber(os.getenv("OVERLOAD_PHASE"))
  base = tonumber(os.getenv("OVERLOAD_CUSTOMERS"))
  json = { ["Content-Type"] = "application/json" }
end
function request()
  n = n + 1
  if endpoint == "orders" then   -- a unique order id: run, phase, thread, request
    local order = string.format("%08x-%04x-%04x-8000-%012x", run, phase, tid, n)
    return wrk.format("POST", "/orders", json, string.format('{"customerId":%d,"productId":%d,"quantity":1,"orderId":"%s"}',
      base + (tid * 7919 + n) % 5000, 1 + n % 100, order))
  elseif endpoint == "history" then
    return wrk.format("GET", string.format("/customers/%d/orders", base + (tid * 7919 + n) % 5000))
  elseif endpoint == "carts" then   -- a new customer per write: a row for the flush each, none coalesced in the queue
    return wrk.format("PUT", string.format("/carts/%d", base + 1000000 + phase * 100000000 + tid * 10000000 + n), json,
      string.format('{"lines":[{"productId":%d,"quantity":1}]}', 1 + n % 100))
  else   -- replica: a page of the catalogue
    return wrk.format("GET", string.format("/products?after=%d&count=20", n % 80))
  end
end
local function header(headers, name) return headers[name] or headers[string.lower(name)] end
function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    local second = os.time()
    per_second[second] = (per_second[second] or 0) + 1
  elseif status == 503 then
    s503 = s503 + 1
    local type = header(headers, "Content-Type") or ""
    if not header(headers, "Retry-After") or not string.find(type, "application/problem+json", 1, true)
        or not string.find(body or "", '"status":503', 1, true) then
      bad503 = bad503 + 1
    end
  elseif status == 500 then
    s500 = s500 + 1
  else
    other = other + 1
    other_status = status
  end
end
function done(summary, latency, requests)
  local t = { ok = 0, s503 = 0, bad503 = 0, s500 = 0, other = 0 }
  local last_other, seconds, first, last = 0, {}, nil, nil
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + (thread:get(key) or 0) end
    if (thread:get("other_status") or 0) ~= 0 then last_other = thread:get("other_status") end
    for second, count in pairs(thread:get("per_second") or {}) do
      seconds[second] = (seconds[second] or 0) + count
      if not first or second < first then first = second end
      if not last or second > last then last = second end
    end
  end
  -- Steady goodput: whole seconds only (not the first, partial one, nor the last), and not the first OVERLOAD_SKIP
  -- seconds, while wrk is still opening its connections.
  local steady, steady_seconds, series = 0, 0, {}
  if first then
    for second = first, last do table.insert(series, tostring(seconds[second] or 0)) end
    for second = first + 1 + tonumber(os.getenv("OVERLOAD_SKIP") or "0"), last - 1 do
      steady, steady_seconds = steady + (seconds[second] or 0), steady_seconds + 1
    end
  end
  local e = summary.errors
  io.write(string.format("overload-result series=%s steady_goodput=%.0f steady_seconds=%d ok=%d s503=%d bad503=%d s500=%d other=%d other_status=%d responses=%d seconds=%.3f p50_ms=%.1f p99_ms=%.1f connect=%d read=%d write=%d timeout=%d\n",
    #series > 0 and table.concat(series, ",") or "-", steady_seconds > 0 and steady / steady_seconds or 0, steady_seconds, t.ok, t.s503, t.bad503, t.s500, t.other, last_other, summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.connect, e.read, e.write, e.timeout))
end
LUA

ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
# Only what this run writes to the logs counts: remember where each PostgreSQL log ends now.
pg_logs=("${DATAPATTERNS_SERVICES_DIR:-/tmp/datapatterns-services}"/pg/*.log)
declare -A pg_offsets=()
for log in "${pg_logs[@]}"; do [ -f "$log" ] && pg_offsets[$log]="$(stat -c %s "$log")"; done
# The Shop's per-request Information logs (its appsettings.json is not read from the cluster's working directory) would
# cost more CPU than the requests under 10,000 connections.
export DATAPATTERNS_SHOP_ARGS="--Logging:LogLevel:Microsoft.AspNetCore=Warning ${DATAPATTERNS_SHOP_ARGS:-}"
eng/cluster.sh up

phase=0
# measure <endpoint> <connections> <seconds> <name> [<seconds to skip>]: one wrk; sets the r_* variables from its result
# line. r_goodput is the 2xx per second over the phase's whole seconds, without the first <seconds to skip>.
measure() {
  phase=$((phase + 1))
  OVERLOAD_ENDPOINT="$1" OVERLOAD_PHASE="$phase" OVERLOAD_SKIP="${5:-0}" wrk -t2 -c"$2" -d"$3s" --timeout 30s -s "$out/endpoint.lua" "$url" >"$out/$1-$4.txt" 2>&1 \
    || { cat "$out/$1-$4.txt" >&2; fail "wrk failed ($1, $4)"; }
  local line; line="$(grep '^overload-result ' "$out/$1-$4.txt")" || { cat "$out/$1-$4.txt" >&2; fail "wrk printed no result ($1, $4)"; }
  for pair in ${line#overload-result }; do printf -v "r_${pair%%=*}" '%s' "${pair#*=}"; done
  r_goodput="$r_steady_goodput"
  [ "$r_steady_seconds" -gt 0 ] || r_goodput="$(awk -v ok="$r_ok" -v s="$r_seconds" 'BEGIN { printf "%.0f", ok / s }')"
  echo "overload-test: $1 $4 ($2 connections, $3 s): $r_ok 2xx ($(awk -v ok="$r_ok" -v s="$r_seconds" 'BEGIN { printf "%.0f", ok / s }')/s over the phase, $r_goodput/s over $r_steady_seconds steady s), $r_s503 503 ($r_bad503 malformed), $r_s500 500, $r_other other (last $r_other_status), p50 $r_p50_ms ms, p99 $r_p99_ms ms; socket errors: connect $r_connect, read $r_read, write $r_write, timeout $r_timeout; 2xx per second: $r_series"
}

failures=0
failed() { echo "overload-test: FAILED $*" >&2; failures=$((failures + 1)); }
judge_answers() { # judge_answers <endpoint> <phase>: the answers of the last measure
  [ "$r_s500" -eq 0 ] || failed "no-500 [$1, $2]: $r_s500 answers were 500"
  [ "$r_other" -eq 0 ] || failed "only-503 [$1, $2]: $r_other answers were neither 2xx nor 503 (the last: $r_other_status)"
  [ "$r_bad503" -eq 0 ] || failed "503-problem-details [$1, $2]: $r_bad503 of $r_s503 503 answers lacked Retry-After or a Problem Details body"
}
ejections() { cat "$DATAPATTERNS_CLUSTER_DIR"/shop-*.log 2>/dev/null | grep -c "node '[^']*' ejected for" || true; }
orders_acknowledged=0
summary=()
# measure_endpoint <endpoint> <attempt>: peak, overload, recovery and after; every answer of every phase is judged. Sets
# peak_goodput, over_goodput, ratio, p99_before, p99_after, allowed and adds this attempt's 2xx to acked.
measure_endpoint() {
  local tag=""; [ "$2" -gt 1 ] && tag=" (again)"
  measure "$1" 64 "$peak_seconds" "peak$2"; judge_answers "$1" "peak$tag"
  peak_goodput="$r_goodput" p99_before="$r_p99_ms" acked=$((acked + r_ok))
  measure "$1" 10000 "$over_seconds" "overload$2" 2; judge_answers "$1" "overload$tag"
  over_goodput="$r_goodput" over_503="$r_s503" over_500="$r_s500" acked=$((acked + r_ok))
  over_share="$(awk -v a="$r_s503" -v t="$r_responses" 'BEGIN { printf "%.1f", t ? 100 * a / t : 0 }')"
  ratio="$(awk -v o="$over_goodput" -v p="$peak_goodput" 'BEGIN { printf "%.2f", p ? o / p : 0 }')"
  measure "$1" 64 "$recover_seconds" "recovery$2"; judge_answers "$1" "recovery$tag"
  acked=$((acked + r_ok))
  measure "$1" 64 "$after_seconds" "after$2"; judge_answers "$1" "after$tag"
  p99_after="$r_p99_ms" acked=$((acked + r_ok))
  allowed=$(awk -v b="$p99_before" -v slack="$p99_slack_ms" 'BEGIN { a = 1.5 * b; if (b + slack > a) a = b + slack; printf "%.1f", a }')
}
goodput_met() { awk -v o="$over_goodput" -v p="$peak_goodput" 'BEGIN { exit !(o >= 0.8 * p) }'; }
p99_met() { awk -v a="$p99_after" -v m="$allowed" 'BEGIN { exit !(a <= m) }'; }

for endpoint in $endpoints; do
  ejected_before="$(ejections)" acked=0
  measure_endpoint "$endpoint" 1
  # The short form's 3-s peak at 64 connections alone varies by up to 2x between runs on a shared 2-core machine (the
  # history endpoint: 1,756 and 3,420 2xx/s). A missed timing bound is measured once more, whole, and judged on that
  # second pair; answers (500s, malformed 503s), ejections and lost orders are judged on every phase of both.
  if [ "$p99_slack_ms" -gt 0 ] && ! { goodput_met && p99_met; }; then
    echo "overload-test: $endpoint: goodput ${ratio}x (0.80x wanted), p99 after $p99_after ms ($allowed ms allowed) on the first pass; measuring it once more"
    measure_endpoint "$endpoint" 2
  fi
  ejected=$(($(ejections) - ejected_before))
  [ "$endpoint" = "orders" ] && orders_acknowledged=$acked
  goodput_met \
    || failed "goodput [$endpoint]: $over_goodput 2xx/s under 10,000 connections is ${ratio}x the peak of $peak_goodput 2xx/s at 64 (0.80x wanted)"
  p99_met \
    || failed "p99-recovery [$endpoint]: p99 at 64 connections 5 s after the overload is $p99_after ms, before it $p99_before ms ($allowed ms allowed: 1.5x, or +$p99_slack_ms ms in the short form)"
  [ "$ejected" -eq 0 ] || failed "no-ejection [$endpoint]: $ejected ejections logged by the Shops while every server was alive: $(cat "$DATAPATTERNS_CLUSTER_DIR"/shop-*.log | grep "node '[^']*' ejected for" | sed 's/.*\(Router.*ejected for [^:]*\).*/\1/' | sort | uniq -c | tr '\n' ';')"
  summary+=("$(printf '| %s | %s | %s | %s | %s %% | %s | %s | %s | %s |' "$endpoint" "$peak_goodput" "$over_goodput" "$ratio" "$over_share" "$over_500" "$p99_before" "$p99_after" "$ejected")")
done

# Logs: no server refused a connection for want of slots, in this run.
too_many=0
for log in "${pg_logs[@]}"; do
  [ -f "$log" ] || continue
  n="$(tail -c +"$((${pg_offsets[$log]:-0} + 1))" "$log" | grep -ci "too many clients" || true)"
  [ "$n" -eq 0 ] || { failed "no-too-many-clients: $n lines of $log"; too_many=$((too_many + n)); }
done
n="$(cat "$DATAPATTERNS_CLUSTER_DIR"/shop-*.log | grep -ci "too many clients" || true)"
[ "$n" -eq 0 ] || { failed "no-too-many-clients: $n lines in the Shops' logs"; too_many=$((too_many + n)); }
grep -h "Connection budget" "$DATAPATTERNS_CLUSTER_DIR"/shop-a.log | sed 's/^ *//' | sort -u | sed 's/^/overload-test: shop a: /' | cut -c1-260

# Orders: all or nothing, none lost (the checks of eng/cluster-test.sh, on this run's customers).
if [[ " $endpoints " == *" orders "* ]]; then
  deadline=$((SECONDS + 60))
  while :; do
    prepared=0
    for cs in "$DATAPATTERNS_PG_PRIMARY" "$DATAPATTERNS_PG_NODE2" "$DATAPATTERNS_PG_NODE3"; do
      prepared=$((prepared + $(pg "$cs" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shop:%'"))) || fail "could not count prepared transactions"
    done
    [ "$prepared" -eq 0 ] && break
    [ $SECONDS -lt $deadline ] || { failed "orders [prepared]: $prepared prepared transactions left after 60 s"; break; }
    sleep 1
  done
  range="customer_id >= $customers AND customer_id < $((customers + 5000))"
  pg "$DATAPATTERNS_PG_PRIMARY" "SELECT order_id FROM payments WHERE $range" | sort >"$out/payments"
  { pg "$DATAPATTERNS_PG_NODE2" "SELECT order_id FROM orders WHERE $range"; pg "$DATAPATTERNS_PG_NODE3" "SELECT order_id FROM orders WHERE $range"; } | sort >"$out/orders"
  committed="$(wc -l <"$out/payments")" one_sided="$(comm -3 "$out/payments" "$out/orders" | wc -l)"
  echo "overload-test: orders: $orders_acknowledged acknowledged (2xx), $committed committed in both databases, $one_sided in one only, $prepared prepared left"
  [ "$one_sided" -eq 0 ] || failed "orders [one-sided]: $one_sided orders are in one database but not the other"
  [ "$committed" -ge "$orders_acknowledged" ] || failed "orders [lost]: $orders_acknowledged acknowledged but only $committed committed"
fi

echo "overload-test: | endpoint | peak 2xx/s at 64 | 2xx/s at 10,000 | ratio | 503 share | 500s | p99 before (ms) | p99 after (ms) | ejections |"
for row in "${summary[@]}"; do echo "overload-test: $row"; done
echo "overload-test: 'too many clients': $too_many lines"
[ "$failures" -eq 0 ] || fail "$failures criteria failed (see the FAILED lines above)"
echo "overload-test: passed"
