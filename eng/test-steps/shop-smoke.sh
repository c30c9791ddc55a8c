#!/usr/bin/env bash
# The README's run command, exactly as a new user types it: the Shop starts with no servers, says where it listens,
# and every request of the tour it prints answers as the tour says.
set -euo pipefail
cd "$(dirname "$0")/../.."
log="$(mktemp)"
data="$(mktemp -d)"
# No servers: the embedded mode must not need (or see) the test servers' settings.
unset DATAPATTERNS_PG_PRIMARY DATAPATTERNS_PG_REPLICA DATAPATTERNS_PG_NODE2 DATAPATTERNS_PG_NODE3 DATAPATTERNS_REDIS
setsid dotnet run --project samples/Shop -- --data="$data" >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$log" "$data"; }
trap cleanup EXIT
fail() { cat "$log" >&2; echo "shop-smoke: $*" >&2; exit 1; }

url=""
for _ in $(seq 1 600); do
  url="$(sed -n 's/^Shop listening on \([^ ,]*\).*/\1/p' "$log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the Shop exited before listening"
  sleep 0.5
done
[ -n "$url" ] || fail "the Shop did not say where it listens within 300 s"
grep -q "curl $url/customers/42/orders" "$log" || fail "the Shop did not print its tour"

expect() { # expect <description> <expected substring> <curl arguments...>
  local what="$1" want="$2"; shift 2
  local body; body="$(curl -sS "$@")" || fail "$what: curl $* failed"
  grep -qF -- "$want" <<<"$body" || fail "$what: expected '$want' in: $body"
  echo "shop-smoke: $what: $body" | cut -c1-160
}
json=(-H 'content-type: application/json')
expect "health" '"healthy"' "$url/health"
expect "lazy loading" '"id":7' "$url/products/7"
expect "write-through" '"name":"Teapot"' -X PUT "$url/products/7" "${json[@]}" -d '{"name":"Teapot","price":12.50}'
expect "read after write" '"name":"Teapot"' "$url/products/7"
expect "a page" '"id":5' "$url/products?after=0&count=5"
expect "write-back" '"productId":7' -X PUT "$url/carts/42" "${json[@]}" -d '{"lines":[{"productId":7,"quantity":2}]}'
expect "cart read" '"quantity":2' "$url/carts/42"
expect "two-phase commit" '"amount":12.50' -X POST "$url/orders" "${json[@]}" -d '{"customerId":42,"productId":7,"quantity":1}'
expect "shard" '"shard":"orders-' "$url/customers/42/shard"
for _ in $(seq 1 20); do
  curl -sS "$url/customers/42/orders" | grep -q '"productId":7' && break
  sleep 0.25
done
expect "order history (CQRS)" '"productId":7' "$url/customers/42/orders"
expect "bad input" 'price above 0' -X PUT "$url/products/7" "${json[@]}" -d '{"name":"","price":-1}'
expect "unknown product" 'does not exist' -X POST "$url/orders" "${json[@]}" -d '{"customerId":42,"productId":100000,"quantity":1}'
echo "shop-smoke: the Shop listened on $url with no servers and its tour answered as printed"
