#!/usr/bin/env bash
# The README's run command, exactly as a new user types it: the Shop starts with no servers,
# says where it listens, and its health endpoint answers.
set -euo pipefail
cd "$(dirname "$0")/../.."
log="$(mktemp)"
setsid dotnet run --project samples/Shop >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

url=""
for _ in $(seq 1 240); do
  url="$(sed -n 's/^Shop listening on \([^ ,]*\).*/\1/p' "$log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "shop-smoke: the Shop exited before listening" >&2; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { cat "$log" >&2; echo "shop-smoke: the Shop did not say where it listens within 120 s" >&2; exit 1; }

body="$(curl -fsS "$url/health")" || { cat "$log" >&2; echo "shop-smoke: GET $url/health failed" >&2; exit 1; }
grep -q '"healthy"' <<<"$body" || { echo "shop-smoke: unexpected health answer: $body" >&2; exit 1; }
echo "shop-smoke: the Shop listened on $url and answered $body"
