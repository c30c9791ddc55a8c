#!/usr/bin/env bash
# Every quickstart runs as a user would run it (docs/quickstart.md), against the servers eng/test.sh started.
# Each must exit 0: a quickstart checks its own result and exits non-zero when it is wrong.
set -euo pipefail
cd "$(dirname "$0")/../.."
failed=""

# The docs show the quickstart files verbatim, and each file stays small.
for file in samples/Quickstart/*.cs; do
  lines="$(wc -l <"$file")"
  [ "$lines" -lt 60 ] || { echo "quickstart: $file has $lines lines; keep each under 60" >&2; failed="$failed $file"; }
  shown="$(awk -v marker="<!-- snippet: $file -->" '
    $0 == marker { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' docs/quickstart.md)"
  if [ "$shown" != "$(cat "$file")" ]; then
    diff -u "$file" <(printf '%s\n' "$shown") >&2 || true
    echo "quickstart: docs/quickstart.md does not show $file as it is; copy the file into its snippet" >&2
    failed="$failed $file"
  fi
done

dotnet build samples/Quickstart --nologo -v quiet
# The quickstarts own fixed tables and databases on the shared servers: one run at a time on this machine.
exec 9>"${TMPDIR:-/tmp}/datapatterns-quickstart.lock"
flock 9
for pattern in sharding caching routing transactions cqrs efcore mariadb-sharding mariadb-caching; do
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
