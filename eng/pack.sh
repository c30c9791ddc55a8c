#!/usr/bin/env bash
# Packs every package project of the solution (those under src/) into artifacts/packages (.nupkg + .snupkg), in one build.
#   eng/pack.sh                      the version from git tags (MinVer): a commit tagged v1.2.3 packs 1.2.3, any other a
#                                    pre-release (0.1.0-preview.0.<commits> before the first tag)
#   eng/pack.sh --version 0.1.0-local.1 [extra dotnet pack arguments]   that version, whatever the tags say
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [ "${1:-}" = "--version" ]; then
  [ -n "${2:-}" ] || { echo "pack: --version needs a version, e.g. --version 0.1.0-local.1" >&2; exit 1; }
  args+=("-p:MinVerVersionOverride=$2")
  shift 2
fi
mkdir -p artifacts/packages
projects="$(dotnet sln DataPatterns.sln list | grep '^src/' | sed 's|.*|"&"|' | paste -sd, -)"
[ -n "$projects" ] || { echo "pack: the solution has no project under src/" >&2; exit 1; }
cat >artifacts/packages.slnf <<JSON
{ "solution": { "path": "../DataPatterns.sln", "projects": [ $projects ] } }
JSON
# SourceLink points each PDB at the sources of this commit on the repository's host; it needs a remote to name.
if ! git remote get-url origin >/dev/null 2>&1; then
  echo "pack: this checkout has no 'origin' remote, so SourceLink has no repository URL to record: the symbols carry the sources embedded instead" >&2
fi
dotnet pack artifacts/packages.slnf -c Release -o artifacts/packages --nologo -v quiet ${args[@]+"${args[@]}"} "$@"
ls -1 artifacts/packages
version="$(ls artifacts/packages | sed -n 's/^DataPatterns\.Caching\.\([0-9].*\)\.nupkg$/\1/p' | head -n 1)"
echo "pack: version ${version:-unknown}"
