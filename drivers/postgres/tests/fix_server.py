"""Fixtures of the PostgreSQL driver tests: the server's URL and a schema of their own."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

DEFAULT_URL = "postgresql://sessionjar:sessionjar@127.0.0.1:5432/sessionjar"


def with_options(url: str, **options: object) -> str:
    """Return ``url`` with query options added."""
    query = "&".join(f"{name}={value}" for name, value in options.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.fixture(scope="session")
def server_url() -> str:
    """The URL of the test server (``SESSIONJAR_POSTGRES_URL``); fails if it does not answer."""
    url = os.environ.get("SESSIONJAR_POSTGRES_URL", DEFAULT_URL)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"no PostgreSQL server answers at {url} ({exc}); start one with "
            "`bash .ci/services/postgres.sh` or point SESSIONJAR_POSTGRES_URL at a server",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def test_schema(server_url: str) -> Iterator[str]:
    """A schema of this test run, dropped with every table in it at the end."""
    schema = f"sjtest_{secrets.token_hex(4)}"
    yield schema
    with psycopg.connect(server_url, autocommit=True) as conn:
        drop_schema(conn, schema)


def drop_schema(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> None:
    """Drop a schema and its tables, a few tables per statement.

    One DROP SCHEMA ... CASCADE of the hundreds of tables a run makes would need more
    locks than one transaction may hold (max_locks_per_transaction).
    """
    tables = [
        str(row[0])
        for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
    ]
    for start in range(0, len(tables), 20):
        names = [sql.Identifier(schema, name) for name in tables[start : start + 20]]
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.SQL(", ").join(names)))
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def postgres_url(server_url: str, test_schema: str) -> str:
    """The store URL of the tests: the test server, in the run's own schema."""
    return with_options(server_url, schema=test_schema)


@pytest.fixture
def raw(server_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A plain autocommit psycopg connection to the test server, to look behind the store."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        yield conn


PGBOUNCER_URL = "postgresql://sessionjar:sessionjar@127.0.0.1:6432/sessionjar"


@pytest.fixture(scope="session")
def pgbouncer_url(test_schema: str) -> str:
    """The store URL through PgBouncer in transaction pooling mode
    (``SESSIONJAR_PGBOUNCER_URL``), in the run's schema; fails if it does not answer."""
    url = os.environ.get("SESSIONJAR_PGBOUNCER_URL", PGBOUNCER_URL)
    try:
        with psycopg.connect(url, connect_timeout=3, prepare_threshold=None) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"no PgBouncer answers at {url} ({exc}); start one with "
            "`bash .ci/services/z-pgbouncer.sh` or point SESSIONJAR_PGBOUNCER_URL at one",
            pytrace=False,
        )
    return with_options(url, schema=test_schema, prepare_threshold="none")
