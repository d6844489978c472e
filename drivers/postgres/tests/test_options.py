"""Store URLs: the driver's options are taken out, libpq's are passed on untouched."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sessionjar
from sessionjar import ConfigurationError
from sessionjar_postgres._options import parse_url
from sessionjar_postgres.store import PostgresStore
from sessionjar_postgres.store_async import AsyncPostgresStore


def test_own_options_are_taken_out_and_libpq_options_kept_verbatim() -> None:
    options = parse_url(
        "postgresql://me:secret@db.example:6543/app?schema=auth&application_name=a+b"
        "&pool_min_size=2&pool_max_size=3&timeout=1.5&auto_migrate=false"
        "&prepare_threshold=none&delete_batch_size=50&sslmode=disable",
    )
    assert options.conninfo == (
        "postgresql://me:secret@db.example:6543/app?application_name=a+b&sslmode=disable"
        "&connect_timeout=5"
    )
    assert options.schema == "auth"
    assert (options.pool_min_size, options.pool_max_size, options.timeout) == (2, 3, 1.5)
    assert options.auto_migrate is False
    assert options.prepare_threshold is None
    assert options.delete_batch_size == 50
    assert options.where == "db.example:6543/app"


def test_defaults_and_the_postgres_scheme() -> None:
    options = parse_url("postgres://h/db?connect_timeout=2")
    assert options.conninfo == "postgres://h/db?connect_timeout=2"
    assert options.schema == "public"
    assert (options.pool_min_size, options.pool_max_size, options.timeout) == (1, 10, 5.0)
    assert (options.auto_migrate, options.prepare_threshold) == (True, 5)


def test_unix_socket_url_without_a_host_keeps_its_slashes() -> None:
    options = parse_url("postgresql:///app?host=/var/run/postgresql&user=me")
    assert options.conninfo == (
        "postgresql:///app?host=/var/run/postgresql&user=me&connect_timeout=5"
    )
    assert options.where == "/var/run/postgresql:5432/app"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://h/db?bogus=1", "invalid PostgreSQL URL"),
        ("postgresql://h/db?schema=a;b", "schema"),
        ("postgresql://h/db?schema=", "schema"),
        ("postgresql://h/db?pool_max_size=0", "pool_max_size"),
        ("postgresql://h/db?pool_min_size=5&pool_max_size=2", "larger"),
        ("postgresql://h/db?timeout=-1", "timeout"),
        ("postgresql://h/db?timeout=nan", "timeout"),
        ("postgresql://h/db?auto_migrate=maybe", "auto_migrate"),
        ("postgresql://h/db?prepare_threshold=x", "prepare_threshold"),
        ("postgresql://h/db?schema=a&schema=b", "twice"),
        ("postgresql://h/db#frag", "fragment"),
        ("mysql://h/db", "not a PostgreSQL URL"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_url(url)


@pytest.mark.parametrize("namespace", ["", "a b", "x" * 49, "semi;colon", 'quo"te'])
def test_bad_namespaces_are_configuration_errors(namespace: str) -> None:
    with pytest.raises(ConfigurationError, match="namespace"):
        PostgresStore.from_url("postgresql://h/db", namespace=namespace)


def test_the_registry_opens_both_flavours_without_io() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    assert sessionjar.driver_for("postgres://h/db").name == "postgres"
    store = sessionjar.open_store(url, namespace="app")
    astore = sessionjar.open_async_store(url, namespace="app")
    assert isinstance(store, PostgresStore)
    assert isinstance(astore, AsyncPostgresStore)
    store.close()


def test_registering_the_driver_does_not_import_psycopg() -> None:
    code = (
        "import sys, sessionjar_postgres.plugin as p; p.sessionjar_register_drivers(); "
        "assert not any(m.startswith('psycopg') for m in sys.modules), 'psycopg imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
