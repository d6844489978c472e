#!/usr/bin/env bash
# Install node's `jose` package, the independent JavaScript verifier that
# core/tests/test_jwks_verifiers.py checks our access tokens with, into a cache directory
# the test finds: $SESSIONJAR_NODE_CACHE, by default ~/.cache/sessionjar/node.
# Idempotent. Without node there is nothing to install: the test then skips, saying so.
set -euo pipefail

dir=${SESSIONJAR_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionjar/node}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node-jose: node or npm is not installed; the node verifier test will skip"
    exit 0
fi
if [ -f "$dir/node_modules/jose/package.json" ]; then
    exit 0
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "jose@6" >/dev/null
node -e 'console.log("node-jose: jose " + require(process.argv[1]).version)' \
    "$dir/node_modules/jose/package.json"
