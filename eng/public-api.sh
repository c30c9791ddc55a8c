#!/usr/bin/env bash
# Records each package's public API in src/<package>/PublicAPI.Unshipped.txt (Microsoft.CodeAnalysis.PublicApiAnalyzers).
# The build fails (RS0016/RS0017) whenever a public symbol is added or removed without its line changing here, so an
# accidental break cannot land unnoticed. After an intended change, run:
#
#   eng/public-api.sh            rewrite every package's Unshipped file from the code, then review `git diff src/*/PublicAPI*`
#   eng/public-api.sh ship       at a release: move every Unshipped line to Shipped
#
# It builds with warnings not treated as errors, reads the analyzer's "Symbol '...' is not part of the declared public API"
# messages and writes those lines (the analyzer's own format) sorted, after the "#nullable enable" header.
set -euo pipefail
cd "$(dirname "$0")/.."
header='#nullable enable'
projects=(src/DataPatterns.*/)

if [ "${1:-}" = "ship" ]; then
  for dir in "${projects[@]}"; do
    shipped="$dir/PublicAPI.Shipped.txt" unshipped="$dir/PublicAPI.Unshipped.txt"
    { grep -v "^$header\$" "$shipped" || true; grep -v "^$header\$" "$unshipped" || true; } | sort -u \
      | { echo "$header"; cat; } >"$shipped.new"
    mv "$shipped.new" "$shipped"
    echo "$header" >"$unshipped"
  done
  exit 0
fi

for dir in "${projects[@]}"; do
  [ -f "$dir/PublicAPI.Shipped.txt" ] || echo "$header" >"$dir/PublicAPI.Shipped.txt"
  echo "$header" >"$dir/PublicAPI.Unshipped.txt"
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build DataPatterns.sln -nologo -v q -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= --no-incremental >"$log" 2>&1 || true
for dir in "${projects[@]}"; do
  name="$(basename "$dir")"
  grep -E "warning RS0016: .*\[[^]]*/$name\.csproj\]" "$log" \
    | sed -E "s/.*warning RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/" \
    | sort -u >>"$dir/PublicAPI.Unshipped.txt" || true
  echo "public-api: $name: $(($(wc -l <"$dir/PublicAPI.Unshipped.txt") - 1)) unshipped symbols"
done
if grep -qE 'error ' "$log"; then
  grep -E 'error ' "$log" | sort -u | head -20 >&2
  echo "public-api: the build has errors besides the API files; fix them and run again" >&2
  exit 1
fi
