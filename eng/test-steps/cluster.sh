#!/usr/bin/env bash
# The Shop cluster (nginx + two instances + the real servers) under C10K load and a kill -9: the short form.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash eng/cluster-test.sh
