#!/usr/bin/env bash
# Packs every package project of the solution (those under src/) into artifacts/packages (.nupkg + .snupkg),
# in one build; versions come from Directory.Build.props.
#   eng/pack.sh [extra dotnet pack arguments, e.g. -p:VersionSuffix=preview.1]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts/packages
projects="$(dotnet sln DataPatterns.sln list | grep '^src/' | sed 's|.*|"&"|' | paste -sd, -)"
[ -n "$projects" ] || { echo "pack: the solution has no project under src/" >&2; exit 1; }
cat >artifacts/packages.slnf <<JSON
{ "solution": { "path": "../DataPatterns.sln", "projects": [ $projects ] } }
JSON
dotnet pack artifacts/packages.slnf -c Release -o artifacts/packages --nologo -v quiet "$@"
ls -1 artifacts/packages
