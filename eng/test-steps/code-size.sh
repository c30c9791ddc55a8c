#!/usr/bin/env bash
# The architecture pass's size limits (files ≤ 450 lines, methods ≤ 80) stay kept: eng/code-size.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v python3 >/dev/null 2>&1; then
  [ "$(id -u)" = "0" ] || { echo "code-size: python3 is not installed (apt-get install -y python3)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
fi
python3 eng/code-size.py
