#!/usr/bin/env bash
# Every quickstart runs as a user would run it (docs/quickstart.md), against the servers eng/test.sh started.
# Each must exit 0: a quickstart checks its own result and exits non-zero when it is wrong.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build samples/Quickstart --nologo -v quiet
failed=""
for pattern in sharding caching routing transactions cqrs; do
  echo "quickstart: $pattern"
  status=0
  output="$(timeout 180 dotnet run --no-build --project samples/Quickstart -- "$pattern" 2>&1)" || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$output" >&2
    echo "quickstart: $pattern exited with $status" >&2
    failed="$failed $pattern"
  else
    printf '%s\n' "$output" | tail -n 4
  fi
done
[ -z "$failed" ] || { echo "quickstart: failed:$failed" >&2; exit 1; }
