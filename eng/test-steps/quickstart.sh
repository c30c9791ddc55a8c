#!/usr/bin/env bash
# Every quickstart runs as a user would run it, against the servers eng/test.sh started.
set -euo pipefail
cd "$(dirname "$0")/../.."
for pattern in sharding; do
  echo "quickstart: $pattern"
  dotnet run --project samples/Quickstart -- "$pattern" | tail -n 2
done
