#!/usr/bin/env bash
# Start PgBouncer from Debian on 127.0.0.1:6432, in transaction pooling mode, in front of
# the test PostgreSQL server that postgres.sh starts on 127.0.0.1:5432 (role and database
# `sessionjar`, password `sessionjar`), for the sessionjar-postgres tests behind a pooler.
# Named z-* so that .ci/services.sh runs it after postgres.sh (it globs in sorted order);
# PgBouncer connects to the server lazily, so it starts even before the server is up.
# Idempotent: a second run stops the previous PgBouncer and starts a fresh one.
set -euo pipefail

PORT=6432
STATE=/var/tmp/sessionjar-pgbouncer
URL="postgresql://sessionjar:sessionjar@127.0.0.1:$PORT/sessionjar"

die() { echo "z-pgbouncer.sh: $*" >&2; exit 1; }

apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

install_pgbouncer() {
    [ -x /usr/sbin/pgbouncer ] && return
    command -v apt-get >/dev/null || die "no apt-get: install PgBouncer 1.18 or later by hand"
    if ! apt-cache policy pgbouncer 2>/dev/null | grep -q 'Candidate: [0-9]' \
        || ! apt_install pgbouncer; then
        apt-get update -qq || die "apt-get update failed"
        apt_install pgbouncer || die "apt-get install pgbouncer failed"
    fi
    # Debian's package starts a PgBouncer of its own on 6432 when systemd runs: stop it.
    if command -v systemctl >/dev/null && systemctl is-active --quiet pgbouncer 2>/dev/null; then
        systemctl disable --now pgbouncer >/dev/null 2>&1 || true
    fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

stop_previous() {
    if [ -f "$STATE/pgbouncer.pid" ]; then
        kill "$(cat "$STATE/pgbouncer.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do port_busy || break; sleep 0.1; done
    fi
    rm -rf "$STATE"
}

[ "$(id -u)" -eq 0 ] || die "run as root (it installs a package and runs PgBouncer as postgres)"
install_pgbouncer
stop_previous
port_busy && die "something else listens on 127.0.0.1:$PORT; stop it first"

mkdir -p "$STATE"
cat >"$STATE/pgbouncer.ini" <<EOF
[databases]
sessionjar = host=127.0.0.1 port=5432 dbname=sessionjar

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $STATE/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
logfile = $STATE/pgbouncer.log
pidfile = $STATE/pgbouncer.pid
EOF
echo '"sessionjar" "sessionjar"' >"$STATE/userlist.txt"
chown -R postgres:postgres "$STATE"
chmod 700 "$STATE"
runuser -u postgres -- /usr/sbin/pgbouncer -d -q "$STATE/pgbouncer.ini" \
    || { tail -n 20 "$STATE/pgbouncer.log" >&2; die "PgBouncer did not start"; }

for _ in $(seq 1 40); do
    if port_busy; then
        echo "z-pgbouncer.sh: PgBouncer $(/usr/sbin/pgbouncer --version | head -n 1 | awk '{print $2}')" \
            "(transaction pooling) is up at $URL"
        exit 0
    fi
    sleep 0.25
done
die "PgBouncer started but does not listen on 127.0.0.1:$PORT (log: $STATE/pgbouncer.log)"
