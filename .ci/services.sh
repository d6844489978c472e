#!/usr/bin/env bash
# Install and start every service the test suite needs, on loopback. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for service in "$here"/services/*.sh; do
  bash "$service"
done
