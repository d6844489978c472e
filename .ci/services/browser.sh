#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the example web app. Playwright (a pip
# package the nox session installs) drives it through executable_path=/usr/bin/chromium;
# no browser is ever downloaded (`playwright install` is not used). Idempotent.
set -euo pipefail

if /usr/bin/chromium --version >/dev/null 2>&1; then
    exit 0
fi
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version 2>/dev/null
