#!/usr/bin/env bash
# Start the Redis servers the sessionjar-redis tests use, from Debian's package, on loopback:
# a standalone server on 127.0.0.1:6379 (also TLS on 6380, with a throwaway self-signed
# certificate, and a Unix socket) and a 3-master Redis Cluster on 127.0.0.1:7001-7003.
# Each run stops the servers an earlier run started and starts them on fresh data under
# /var/tmp/sessionjar-redis/. Idempotent; needs root on Debian, no systemd.
set -euo pipefail

STANDALONE_PORT=6379
TLS_PORT=6380
CLUSTER_PORTS=(7001 7002 7003)
STATE=/var/tmp/sessionjar-redis
WAIT_SECONDS=30

die() { echo "redis.sh: $*" >&2; exit 1; }

ensure_apt() {  # ensure_apt COMMAND PACKAGE: install PACKAGE if COMMAND is missing
    command -v "$1" >/dev/null && return
    if ! apt-cache policy "$2" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    command -v "$1" >/dev/null || die "installing $2 did not provide $1"
}

answers() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

cluster_ok() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

wait_until() {  # wait_until WHAT COMMAND...: retry COMMAND for WAIT_SECONDS
    local what=$1
    shift
    for _ in $(seq $((WAIT_SECONDS * 10))); do
        "$@" && return 0
        sleep 0.1
    done
    die "$what after ${WAIT_SECONDS}s (logs: $STATE/*/redis.log)"
}

stop_ours() {  # stop the server an earlier run started on PORT, if it is still up
    local port=$1 pidfile="$STATE/$1/redis.pid" pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$pid" || true
        wait_until "the old server on port $port did not stop" not_running "$pid"
    fi
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

start() {  # start PORT [EXTRA OPTIONS...]: a fresh server on 127.0.0.1:PORT
    local port=$1 dir="$STATE/$1"
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
        --save "" --appendonly no "$@" >/dev/null
    wait_until "redis-server on port $port does not answer" answers "$port"
}

ensure_apt redis-server redis-server
ensure_apt redis-cli redis-tools
ensure_apt openssl openssl

for port in "$STANDALONE_PORT" "${CLUSTER_PORTS[@]}"; do
    stop_ours "$port"
done

if answers "$STANDALONE_PORT"; then
    standalone="reused the Redis server already answering on 127.0.0.1:$STANDALONE_PORT"
else
    tls="$STATE/tls"
    rm -rf "$tls"
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null \
        || die "openssl could not make the test certificate"
    start "$STANDALONE_PORT" --unixsocket "$STATE/$STANDALONE_PORT/redis.sock" --unixsocketperm 700 \
        --tls-port "$TLS_PORT" --tls-cert-file "$tls/cert.pem" --tls-key-file "$tls/key.pem" \
        --tls-ca-cert-file "$tls/cert.pem" --tls-auth-clients no
    standalone="Redis on 127.0.0.1:$STANDALONE_PORT (TLS on $TLS_PORT, CA $tls/cert.pem)"
    standalone+=" and unix:$STATE/$STANDALONE_PORT/redis.sock"
fi

if cluster_ok "${CLUSTER_PORTS[0]}"; then
    cluster="reused the Redis Cluster already up on 127.0.0.1:${CLUSTER_PORTS[0]}"
else
    nodes=()
    for port in "${CLUSTER_PORTS[@]}"; do
        answers "$port" && die "port $port is taken by a Redis server this script did not start"
        start "$port" --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-node-timeout 5000
        nodes+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
        >"$STATE/cluster-create.log" 2>&1 \
        || die "redis-cli --cluster create failed (see $STATE/cluster-create.log)"
    for port in "${CLUSTER_PORTS[@]}"; do
        wait_until "the cluster node on port $port is not ok" cluster_ok "$port"
    done
    cluster="Redis Cluster on 127.0.0.1:${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[-1]}"
fi

echo "redis.sh: $standalone; $cluster (Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))"
