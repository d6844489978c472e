"""Fixtures of the MongoDB driver tests: the server's URL, and clean-up of test collections."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from sessionjar_mongodb._options import parse_url

pytest_plugins = ["fix_store_url", "fix_proxy", "fix_ferretdb"]

# one server per test process (pytest-xdist worker): FerretDB's SQLite backend fails
# concurrent schema changes, so .ci/services/mongodb.sh starts two
DEFAULT_URLS = "mongodb://127.0.0.1:27017/ mongodb://127.0.0.1:27018/"
TEST_PREFIXES = ("sjc_", "sjm_")  # the conformance suite's namespaces, and ours
# pymongo's async client leaks a socket when close() cancels a monitor that is still
# connecting (pymongo/pool_shared.py closes it on OSError only); the warning comes at
# garbage collection, in whichever test runs then.
PYMONGO_SOCKET_LEAK = (
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests with the filter of pymongo's socket leak."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            for mark in PYMONGO_SOCKET_LEAK:
                item.add_marker(mark)


@pytest.fixture(scope="session")
def server_url() -> str:
    """The URL of this process's test server; fails if it does not answer.

    ``SESSIONJAR_MONGODB_URL`` holds one URL, or several separated by spaces: worker
    ``gwN`` of a parallel run takes the N-th (round robin), a serial run the first.
    """
    urls = os.environ.get("SESSIONJAR_MONGODB_URL", DEFAULT_URLS).split()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = urls[int(worker.removeprefix("gw")) % len(urls)]
    try:
        with _raw_client(url) as client:
            client.admin.command("ping")
    except PyMongoError as exc:
        pytest.fail(
            f"no MongoDB server answers at {url} ({exc}); start FerretDB with "
            "`bash .ci/services/mongodb.sh` or point SESSIONJAR_MONGODB_URL at a server",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def raw_database(server_url: str) -> Iterator[Any]:
    """The test database through a plain pymongo client; test collections dropped at the end."""
    with _raw_client(server_url) as client:
        database = client[parse_url(server_url).database]
        yield database
        for name in database.list_collection_names():
            if name.startswith(TEST_PREFIXES):
                database.drop_collection(name)


@pytest.fixture(scope="session")
def is_ferretdb(raw_database: Any) -> bool:
    """Whether the test server is FerretDB rather than MongoDB."""
    return "ferretdbVersion" in raw_database.command("buildInfo")


def _raw_client(url: str) -> MongoClient[dict[str, Any]]:
    return MongoClient(url, serverSelectionTimeoutMS=3000, tz_aware=True)
