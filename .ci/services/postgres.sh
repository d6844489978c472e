#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the sessionjar-postgres tests on 127.0.0.1:5432,
# without systemd: Debian's `postgresql` package, a fresh cluster under
# /var/tmp/sessionjar-postgres run by the `postgres` user, and a role and database
# `sessionjar` (password `sessionjar`). Idempotent: a second run starts a fresh cluster.
set -euo pipefail

PORT=5432
STATE=/var/tmp/sessionjar-postgres
PGDATA="$STATE/data"
URL="postgresql://sessionjar:sessionjar@127.0.0.1:$PORT/sessionjar"

die() { echo "postgres.sh: $*" >&2; exit 1; }

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_postgres() {
    [ -n "$(bin_dir)" ] && return
    # No cluster of Debian's own: it would start on our port and outlive this script.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/sessionjar.conf
    command -v apt-get >/dev/null || die "no apt-get: install PostgreSQL 13 or later by hand"
    # Stale package lists name files the mirror no longer has: refresh them and retry.
    if ! apt-cache policy postgresql 2>/dev/null | grep -q 'Candidate: [0-9]' \
        || ! apt_install postgresql; then
        apt-get update -qq || die "apt-get update failed"
        apt_install postgresql || die "apt-get install postgresql failed"
    fi
    [ -n "$(bin_dir)" ] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin"
}

apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

as_postgres() { runuser -u postgres -- "$@"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

stop_previous() {
    if [ -f "$PGDATA/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$STATE"
}

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and runs the server as postgres)"
install_postgres
BIN=$(bin_dir)
stop_previous
port_busy && die "something else listens on 127.0.0.1:$PORT; stop it first"

mkdir -p "$STATE"
chown postgres:postgres "$STATE"
chmod 700 "$STATE"
as_postgres "$BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE/initdb.log" 2>&1 \
    || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
# A throwaway test server: durability settings off for speed.
as_postgres "$BIN/pg_ctl" -D "$PGDATA" -l "$STATE/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
    || { tail -n 20 "$STATE/server.log" >&2; die "the server did not start within 60 s"; }

psql_admin() { as_postgres "$BIN/psql" -h "$STATE" -p "$PORT" -U postgres -qAt -v ON_ERROR_STOP=1 "$@"; }
psql_admin -c "CREATE ROLE sessionjar LOGIN PASSWORD 'sessionjar'" >/dev/null
psql_admin -c "CREATE DATABASE sessionjar OWNER sessionjar ENCODING 'UTF8' TEMPLATE template0" >/dev/null

for _ in $(seq 1 20); do
    if PGPASSWORD=sessionjar "$BIN/psql" "$URL" -qAt -c "SELECT 1" >/dev/null 2>&1; then
        echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') is up at $URL"
        exit 0
    fi
    sleep 0.5
done
die "PostgreSQL started but $URL does not answer (log: $STATE/server.log)"
