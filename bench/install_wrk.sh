#!/usr/bin/env bash
# Install the wrk load generator from Debian for bench/bench_web.py (idempotent).
set -euo pipefail
if command -v wrk >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$0" "$@"
fi
apt-get install -y --no-install-recommends wrk >/dev/null || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends wrk >/dev/null
}
