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
grep -qF "$url/customers/42/orders" "$log" || fail "the Shop did not print its tour"
# The tour's product (its first /products/N line; 77 since product 7 is warmed up at start): the steps below use it.
product="$(grep -o "/products/[0-9][0-9]*" "$log" | head -n 1 | sed 's#.*/##')"
[ -n "$product" ] || fail "the tour names no product"

expect() { # expect <description> <HTTP status> <expected substring> <curl arguments...>
  local what="$1" status="$2" want="$3"; shift 3
  local answer; answer="$(curl -sS --max-time 30 -w '\n%{http_code}' "$@")" || fail "$what: curl $* failed"
  local code="${answer##*$'\n'}" body="${answer%$'\n'*}"
  [ "$code" = "$status" ] || fail "$what: expected HTTP $status, got $code: $body"
  grep -qF -- "$want" <<<"$body" || fail "$what: expected '$want' in: $body"
  echo "shop-smoke: $what: $code $body" | cut -c1-160
}
json=(-H 'content-type: application/json')
order_id="$(cat /proc/sys/kernel/random/uuid)"
expect "health" 200 '"healthy"' "$url/health"
expect "lazy loading" 200 "\"id\":$product" "$url/products/$product"
expect "write-through" 200 '"name":"Teapot"' -X PUT "$url/products/$product" "${json[@]}" -d '{"name":"Teapot","price":12.50}'
expect "read after write" 200 '"name":"Teapot"' "$url/products/$product"
expect "a page" 200 '"id":5' "$url/products?after=0&count=5"
expect "write-back" 202 "\"productId\":$product" -X PUT "$url/carts/42" "${json[@]}" -d "{\"lines\":[{\"productId\":$product,\"quantity\":2}]}"
expect "cart read" 200 '"quantity":2' "$url/carts/42"
expect "two-phase commit" 201 '"amount":12.50' -X POST "$url/orders" "${json[@]}" -d "{\"orderId\":\"$order_id\",\"customerId\":42,\"productId\":$product,\"quantity\":1}"
expect "shard" 200 '"shard":"orders-' "$url/customers/42/shard"
for _ in $(seq 1 20); do
  curl -sS --max-time 30 "$url/customers/42/orders" | grep -q "\"productId\":$product" && break
  sleep 0.25
done
expect "order history (CQRS)" 200 "\"productId\":$product" "$url/customers/42/orders"
expect "bad input" 400 '"price":["price must be above 0' -X PUT "$url/products/$product" "${json[@]}" -d '{"name":"","price":-1}'
expect "price in whole cents" 400 '"price":["price must have at most two decimals' -X PUT "$url/products/$product" "${json[@]}" -d '{"name":"Teapot","price":0.004}'
expect "price kept" 200 '"price":12.50' "$url/products/$product"
expect "malformed JSON" 400 '"code":"unreadable-body"' -X PUT "$url/products/$product" "${json[@]}" -d '{"name":"Teapot","price":'
expect "unknown route" 404 '"traceId":"' "$url/no-such-thing"
expect "invalid quantity" 400 'quantity' -X POST "$url/orders" "${json[@]}" -d "{\"customerId\":42,\"productId\":$product,\"quantity\":0}"
expect "unknown product" 404 'does not exist' -X POST "$url/orders" "${json[@]}" -d '{"customerId":42,"productId":100000,"quantity":1}'
expect "duplicate order id" 409 '"code":"duplicate-order"' -X POST "$url/orders" "${json[@]}" -d "{\"orderId\":\"$order_id\",\"customerId\":42,\"productId\":$product,\"quantity\":1}"
echo "shop-smoke: the Shop listened on $url with no servers and its tour answered as printed"
