"""Store URLs, the plugin and error translation: what the driver decides without a server."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pymongo.errors import (
    AutoReconnect,
    DocumentTooLarge,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
)

import sessionjar
from sessionjar import ConfigurationError, SerializationError, StorageUnavailable
from sessionjar_mongodb._errors import Translated
from sessionjar_mongodb._options import DEFAULT_DATABASE, parse_url
from sessionjar_mongodb._server import check_atomic_updates
from sessionjar_mongodb.store import MongoStore
from sessionjar_mongodb.store_async import AsyncMongoStore


def test_database_comes_from_the_path() -> None:
    assert parse_url("mongodb://h/app_1").database == "app_1"
    assert parse_url("mongodb://h/").database == DEFAULT_DATABASE
    assert parse_url("mongodb+srv://u:p@cluster.example.net").database == DEFAULT_DATABASE
    assert parse_url("mongodb://h/my%2Ddb?w=majority").database == "my-db"


@pytest.mark.parametrize("path", ["a.b", "a b", "a$b", "a%2Fb", "x" * 64])
def test_invalid_database_names_are_refused(path: str) -> None:
    with pytest.raises(ConfigurationError, match="database name"):
        parse_url(f"mongodb://h/{path}")


def test_timeouts_default_unless_the_url_sets_them() -> None:
    defaults = parse_url("mongodb://h/").options
    assert defaults["timeoutMS"] == 5_000  # one whole operation, retries included
    assert defaults["serverSelectionTimeoutMS"] == 5_000
    assert defaults["connectTimeoutMS"] == 5_000
    assert defaults["tz_aware"] is True
    assert defaults["connect"] is False
    given = parse_url("mongodb://h/?serverselectiontimeoutms=1&timeoutMS=9").options
    assert "serverSelectionTimeoutMS" not in given
    assert "timeoutMS" not in given
    assert "timeoutMS" not in parse_url("mongodb://h/?socketTimeoutMS=9").options
    assert "appname" not in parse_url("mongodb://h/?appName=web").options


def test_the_non_atomic_acknowledgement_is_the_driver_s_own_option() -> None:
    options = parse_url("mongodb://h/db?w=1&accept_non_atomic_updates=true&appName=x")
    assert (options.url, options.accept_non_atomic) == ("mongodb://h/db?w=1&appName=x", True)
    assert parse_url("mongodb://h/?accept_non_atomic_updates=false").accept_non_atomic is False
    assert parse_url("mongodb://h/").accept_non_atomic is False
    for bad in ("maybe", "true&accept_non_atomic_updates=true"):
        with pytest.raises(ConfigurationError, match="accept_non_atomic_updates"):
            parse_url(f"mongodb://h/?accept_non_atomic_updates={bad}")


def test_ferretdb_v1_is_refused_unless_accepted_and_others_pass() -> None:
    ferretdb = {"version": "7.0.77", "ferretdbVersion": "v1.24.2"}
    with pytest.raises(ConfigurationError, match=r"not atomic.*accept_non_atomic_updates=true"):
        check_atomic_updates(ferretdb, accepted=False)
    check_atomic_updates(ferretdb, accepted=True)
    check_atomic_updates({"version": "7.0.14"}, accepted=False)  # MongoDB


def test_unacknowledged_writes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="w=0"):
        parse_url("mongodb://h/?w=0")


@pytest.mark.parametrize("store_class", [MongoStore, AsyncMongoStore])
@pytest.mark.parametrize(
    "url",
    [
        "mongodb://h/?tls=ture",
        "mongodb://h/?serverSelectionTimeoutMS=soon",
        "mongodb://h/?tmeoutMS=5",
        "mongodb://h:notaport/",
        "http://h/",
        "mongodb://h/a.b",
    ],
)
def test_bad_urls_raise_configuration_error_when_opened(
    store_class: type[MongoStore | AsyncMongoStore], url: str
) -> None:
    with pytest.raises(ConfigurationError):
        store_class.from_url(url, namespace="app")


@pytest.mark.parametrize("namespace", ["", "a.b", "a$b", "x" * 49, "ns/1"])
def test_bad_namespaces_are_refused(namespace: str) -> None:
    with pytest.raises(ConfigurationError, match="namespace"):
        MongoStore.from_url("mongodb://127.0.0.1:1/", namespace=namespace)


def test_registry_opens_both_schemes_without_io() -> None:
    for url in ("mongodb://127.0.0.1:1/app", "mongodb+srv://sessionjar.invalid/app"):
        store = sessionjar.open_store(url, namespace="app")
        assert type(store) is MongoStore
        store.close()
    assert sessionjar.driver_for("mongodb+srv://x/").distribution == "sessionjar-mongodb"


def test_registering_the_driver_imports_no_pymongo() -> None:
    code = (
        "import sys, sessionjar_mongodb.plugin as p; "
        "info, = p.sessionjar_register_drivers(); "
        "assert info.schemes == ('mongodb', 'mongodb+srv'), info; "
        "assert 'pymongo' not in sys.modules and 'bson' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("no servers"),
        AutoReconnect("connection reset"),
        NetworkTimeout("timed out"),
        WriteConcernError("waiting for replication timed out", 64, {}),
        OperationFailure("not primary", 10107),
    ],
)
def test_client_errors_become_storage_unavailable(error: Exception) -> None:
    expected = pytest.raises(StorageUnavailable, match="failed to read a session")
    with expected as caught, Translated("read a session"):
        raise error
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [DocumentTooLarge("BSON document too large"), OperationFailure("too large", 17419)],
)
def test_oversized_documents_become_serialization_errors(error: Exception) -> None:
    with pytest.raises(SerializationError) as caught, Translated("update a session"):
        raise error
    assert caught.value.__cause__ is error


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), Translated("read a session"):
        raise KeyError("not a client error")
