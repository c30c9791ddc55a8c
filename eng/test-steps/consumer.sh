#!/usr/bin/env bash
# The consumer test: a stranger's console project, outside the solution, that gets DataPatterns only from the packed
# packages in artifacts/packages, registers them with their DI calls, resolves the services and uses them.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
suffix="consumer.$(date +%s)"
if ! command -v unzip >/dev/null 2>&1; then
  [ "$(id -u)" = "0" ] || { echo "consumer: unzip is needed (apt-get install unzip)" >&2; exit 1; }
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
fi
rm -rf artifacts/packages
version="0.1.0-$suffix"
eng/pack.sh --version "$version" >/dev/null

for package in artifacts/packages/*."$version".nupkg; do
  # Each package carries its README, license, XML docs and repository link.
  listing="$(unzip -l "$package")"
  for expected in PACKAGE.md ".xml" ".dll"; do
    grep -q "$expected" <<<"$listing" || { echo "consumer: $package lacks $expected" >&2; exit 1; }
  done
  unzip -p "$package" '*.nuspec' | grep -q '<license type="expression">MIT</license>' || { echo "consumer: $package has no MIT license expression" >&2; exit 1; }
  unzip -p "$package" '*.nuspec' | grep -q '<repository ' || { echo "consumer: $package has no repository link" >&2; exit 1; }
  [ -f "${package%.nupkg}.snupkg" ] || { echo "consumer: $package has no symbol package" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r eng/consumer/. "$work/"
# The machine's default source stays; the local artifacts folder is added beside it, for this project only.
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="datapatterns-local" value="$root/artifacts/packages" />
  </packageSources>
</configuration>
XML
sed -i "s|DATAPATTERNS_VERSION|$version|g" "$work/Consumer.csproj"
(cd "$work" && dotnet run -c Release)
