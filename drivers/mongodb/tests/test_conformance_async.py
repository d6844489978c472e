"""The shared conformance suite against FerretDB or MongoDB (async version).

The network fault tests reach the server through a `FaultProxy`, by the proxy's address
in the URL (``directConnection``: the server announces its own address).
"""

from __future__ import annotations

from typing import Final

import pytest
from fix_store_url import acknowledged
from pymongo.uri_parser import parse_uri

from sessionjar_conformance import AsyncProxiedBackend, AsyncStoreConformance, AsyncStoreFactory
from sessionjar_conformance.faultproxy import FaultProxy
from sessionjar_conformance.plugin import AsyncStoreOpener
from sessionjar_mongodb.plugin import UNREACHABLE_URL
from sessionjar_mongodb.store_async import AsyncMongoStore

BOUND: Final = 1.0
"""The ``timeoutMS`` of the stores behind the fault proxy, in seconds."""

# FerretDB v1 (SQLite and PostgreSQL backends alike) runs findAndModify as a query, then a
# write keyed on _id alone, with no transaction or lock between them: concurrent updates of
# one session all succeed over the version or refresh hash each read
# (docs/drivers/mongodb.md#ferretdb). MongoDB is atomic here. FerretDB sometimes runs a
# whole race one update at a time, more often on a loaded machine: even the ten-round races
# have passed once in a CI run, so none of these xfails can be strict.
FERRETDB_RACE = "FerretDB v1 findAndModify is not atomic: concurrent updates lose writes"
FERRETDB_KNOWN_FAILURES = frozenset(
    {
        # 1 to 28 of the 30 increments applied in 60 races; all 30 in 1 of about 50 runs.
        "test_unconditional_updates_all_count",
        # More than one winner in 12 of 12 runs, then one clean pass in a CI run.
        "test_one_rotation_per_refresh_hash_wins",
        # More than one winner in 12 of 12 runs, sync and async.
        "test_one_update_per_version_wins",
        # An update raced past the expiring one and revived the session, 12 of 12 runs.
        "test_no_update_lands_after_expiry",
    }
)
# FerretDB v1's SQLite backend aborts some of many concurrent writes ("InTransaction
# interrupted (9)", or past the timeout) when the machine is busy, and once let two
# inserts of one _id both succeed: each test failed in one full run of three or four and
# passes alone. MongoDB runs them strictly. Not strict.
FERRETDB_OVERLOAD = "FerretDB v1 (SQLite backend) aborts concurrent writes under load"
FERRETDB_OVERLOADED = frozenset(
    {
        "test_parallel_creates_are_all_listed",
        "test_parallel_refreshes_of_one_token",
        "test_one_insert_of_a_kid_wins",
    }
)


class TestMongoConformance(AsyncStoreConformance):
    """Every conformance test, on the server at ``SESSIONJAR_MONGODB_URL``."""

    capabilities = frozenset({"shared_namespace", "multi_process", "unreachable"})

    @pytest.fixture
    def make_store(self, mongodb_url: str) -> AsyncStoreFactory:
        """Open stores on the test server (picklable, for the multi-process tests)."""
        return AsyncStoreOpener(mongodb_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return AsyncStoreOpener(UNREACHABLE_URL)

    @pytest.fixture
    def proxied_backend(self, server_url: str, is_ferretdb: bool) -> AsyncProxiedBackend:
        """The test server, through a fault proxy."""
        database = parse_uri(server_url)["database"] or ""

        def open_store(proxy: FaultProxy, namespace: str) -> AsyncMongoStore:
            host, port = proxy.address
            url = f"mongodb://{host}:{port}/{database}?directConnection=true&timeoutMS=1000"
            return AsyncMongoStore.from_url(acknowledged(url, is_ferretdb), namespace=namespace)

        server = parse_uri(server_url)["nodelist"][0]
        return AsyncProxiedBackend(upstreams=(server,), open_store=open_store, bound=BOUND)

    @pytest.fixture(autouse=True)
    def _ferretdb_known_failures(self, request: pytest.FixtureRequest, is_ferretdb: bool) -> None:
        name = request.function.__name__
        if is_ferretdb and name in FERRETDB_KNOWN_FAILURES:
            race = pytest.mark.xfail(reason=FERRETDB_RACE, strict=False, raises=AssertionError)
            request.applymarker(race)
        elif is_ferretdb and name in FERRETDB_OVERLOADED:
            overload = pytest.mark.xfail(reason=FERRETDB_OVERLOAD, strict=False)
            request.applymarker(overload)
