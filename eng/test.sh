#!/usr/bin/env bash
# The test command: starts the real servers, runs every test in the solution, stops the servers,
# and exits with the tests' exit code. CI (.ci/run) calls exactly this script.
#
#   eng/test.sh [extra dotnet test arguments]
#
# Servers you run yourself: set the DATAPATTERNS_* variables (see eng/services.sh env) and
# DATAPATTERNS_SKIP_SERVICES=1 to use them instead of starting ours.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

if [ "${DATAPATTERNS_SKIP_SERVICES:-0}" != "1" ]; then
  eng/services.sh up || { echo "test: the servers did not start" >&2; exit 1; }
  trap 'eng/services.sh down' EXIT
  eval "$(eng/services.sh env)"
fi

# Extra steps that are not `dotnet test` (the packaging consumer test, cluster load test) register here.
extra_status=0 failed_steps=""
for step in eng/test-steps/*.sh; do
  [ -e "$step" ] || continue
  echo "test: running $step"
  bash "$step" || { echo "test: $step failed" >&2; extra_status=1; failed_steps+=" $step"; }
done

dotnet test DataPatterns.sln \
  --logger "console;verbosity=minimal" \
  --logger "trx" \
  --results-directory "$results" \
  "$@"
status=$?

# One closing line over every test project, read from the TRX files.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  n="$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done

if [ "$skipped" -gt 0 ]; then
  echo "test: $skipped test(s) were skipped; a skipped test proves nothing, so this run fails." >&2
  status=1
fi
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test: no test ran." >&2
  status=1
fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if [ "$extra_status" -ne 0 ]; then
  # Repeated here, last, so a log cut to its tail still names what failed (its own output is above).
  echo "test: these steps failed:$failed_steps" >&2
  status=1
fi
exit "$status"
