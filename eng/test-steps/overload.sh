#!/usr/bin/env bash
# The Shop cluster under ten times its capacity, one database-backed endpoint at a time: the short form (about 2 min).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash eng/overload-test.sh
