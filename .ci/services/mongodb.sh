#!/usr/bin/env bash
# Start MongoDB-compatible servers for the sessionjar-mongodb tests: FerretDB v1 with its
# SQLite backend on 127.0.0.1:27017, and a second one on 27018 (Debian ships no MongoDB
# server). The tests run in two processes, one per server: FerretDB's SQLite backend fails
# concurrent schema changes. FerretDB is built from the Go module proxy once and the
# binary is cached between runs. Idempotent.
set -euo pipefail

FERRETDB_VERSION=v1.24.2
PORTS=(27017 27018)
CACHE=/root/.cache/sessionjar
BIN="$CACHE/ferretdb-$FERRETDB_VERSION"
STATES=/var/tmp/sessionjar-mongodb  # the server on port P keeps its data in $STATES-P
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

die() { echo "mongodb.sh: $*" >&2; exit 1; }

ensure_apt() {  # ensure_apt COMMAND PACKAGE: install PACKAGE if COMMAND is missing
    command -v "$1" >/dev/null && return
    if ! apt-cache policy "$2" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

answers_ping() {  # answers_ping PORT: send a real OP_MSG ping, built by hand (no Python package)
    python3 - "$1" <<'PY' 2>/dev/null
import socket, struct, sys
def bson(doc):
    body = b""
    for key, value in doc.items():
        if isinstance(value, int):
            body += b"\x10" + key.encode() + b"\x00" + struct.pack("<i", value)
        else:
            raw = value.encode() + b"\x00"
            body += b"\x02" + key.encode() + b"\x00" + struct.pack("<i", len(raw)) + raw
    return struct.pack("<i", len(body) + 5) + body + b"\x00"
section = b"\x00" + bson({"ping": 1, "$db": "admin"})
message = struct.pack("<iiii", 16 + 4 + len(section), 1, 0, 2013) + b"\x00\x00\x00\x00" + section
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as conn:
    conn.sendall(message)
    reply = conn.recv(65536)
sys.exit(0 if b"ok" in reply and len(reply) > 21 else 1)
PY
}

# Not `--version | grep -q`: under pipefail the binary dies of SIGPIPE when grep exits
# first (about one run in ten), and the cached binary would be rebuilt for nothing.
built() { [ -x "$BIN" ] && [[ $("$BIN" --version 2>/dev/null) == *"version: $FERRETDB_VERSION"* ]]; }

build_ferretdb() {
    [ -x "$GO" ] || die "Go is required to build FerretDB (looked for 'go' and /usr/local/go/bin/go)"
    echo "mongodb.sh: building FerretDB $FERRETDB_VERSION (once; cached in $BIN)"
    local src work
    src=$("$GO" mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    # The module cache is read-only and the build needs build/version/version.txt,
    # which FerretDB's own Taskfile generates from git: build from a writable copy.
    work=$(mktemp -d "$CACHE/ferretdb-src.XXXXXX")
    cp -r "$src/." "$work"
    chmod -R u+w "$work"
    printf '%s' "$FERRETDB_VERSION" >"$work/build/version/version.txt"
    printf '%s' "sessionjar-ci" >"$work/build/version/package.txt"
    (cd "$work" && "$GO" build -o "$BIN.tmp" ./cmd/ferretdb)
    mv "$BIN.tmp" "$BIN"
    rm -rf "$work"
    built || die "the FerretDB build at $BIN does not report version $FERRETDB_VERSION"
}

mkdir -p "$CACHE"
ensure_apt python3 python3

start_ferretdb() {  # start_ferretdb PORT: start FerretDB on PORT unless a server answers
    local port=$1 state="$STATES-$1"
    if answers_ping "$port"; then
        echo "mongodb.sh: a MongoDB-compatible server already answers on 127.0.0.1:$port"
        return
    fi
    if [ -f "$state/ferretdb.pid" ]; then
        kill "$(cat "$state/ferretdb.pid")" 2>/dev/null || true
    fi
    rm -rf "$state"
    mkdir -p "$state/data"
    nohup "$BIN" \
        --handler=sqlite \
        --sqlite-url="file:$state/data/" \
        --listen-addr="127.0.0.1:$port" \
        --telemetry=disable \
        --debug-addr=- \
        --log-level=warn \
        --state-dir="$state" \
        >"$state/ferretdb.log" 2>&1 &
    echo $! >"$state/ferretdb.pid"
    for _ in $(seq 1 60); do
        if answers_ping "$port"; then
            echo "mongodb.sh: FerretDB $FERRETDB_VERSION (SQLite backend) is up on 127.0.0.1:$port"
            return
        fi
        kill -0 "$(cat "$state/ferretdb.pid")" 2>/dev/null || break
        sleep 0.5
    done
    tail -n 20 "$state/ferretdb.log" >&2 || true
    die "FerretDB did not answer a ping on 127.0.0.1:$port within 30 s (log: $state/ferretdb.log)"
}

for port in "${PORTS[@]}"; do
    answers_ping "$port" || built || build_ferretdb
    start_ferretdb "$port"
done
