"""The shared conformance suite against FerretDB or MongoDB (async version)."""

from __future__ import annotations

from functools import partial

import pytest

from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory
from sessionjar_mongodb.plugin import UNREACHABLE_URL
from sessionjar_mongodb.store_async import AsyncMongoStore

# FerretDB v1 (SQLite and PostgreSQL backends alike) runs findAndModify as a query, then a
# write keyed on _id alone, with no transaction or lock between them: concurrent updates of
# one session all succeed over the version each read (docs/drivers/mongodb.md#ferretdb).
# MongoDB is atomic here. Test name -> whether the failure is certain (a strict xfail).
FERRETDB_RACE = "FerretDB v1 findAndModify is not atomic: concurrent updates lose writes"
FERRETDB_KNOWN_FAILURES = {
    # FerretDB applied at most 8 of the 30 concurrent increments in 80 tries.
    "test_unconditional_updates_all_count": True,
    # Its one round of 30 has a single winner in about half the runs (7 of 12), so this
    # xfail cannot be strict: test_store's ten-round race pins the failure strictly.
    "test_one_compare_and_set_wins": False,
}


class TestMongoConformance(AsyncStoreConformance):
    """Every conformance test, on the server at ``SESSIONJAR_MONGODB_URL``."""

    capabilities = frozenset({"shared_namespace", "multi_process", "unreachable"})

    @pytest.fixture
    def make_store(self, mongodb_url: str) -> AsyncStoreFactory:
        """Open stores on the test server (picklable, for the multi-process tests)."""
        return partial(AsyncMongoStore, mongodb_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return partial(AsyncMongoStore, UNREACHABLE_URL)

    @pytest.fixture(autouse=True)
    def _ferretdb_known_failures(self, request: pytest.FixtureRequest, is_ferretdb: bool) -> None:
        strict = FERRETDB_KNOWN_FAILURES.get(request.function.__name__)
        if is_ferretdb and strict is not None:
            race = pytest.mark.xfail(reason=FERRETDB_RACE, strict=strict, raises=AssertionError)
            request.applymarker(race)
