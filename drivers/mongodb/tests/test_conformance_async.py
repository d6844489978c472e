"""The shared conformance suite against FerretDB or MongoDB (async version)."""

from __future__ import annotations

from functools import partial

import pytest

from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory
from sessionjar_mongodb.plugin import UNREACHABLE_URL
from sessionjar_mongodb.store_async import AsyncMongoStore

# FerretDB v1 (SQLite and PostgreSQL backends alike) runs findAndModify as a query, then a
# write keyed on _id alone, with no transaction or lock between them: concurrent updates of
# one session all succeed over the version or refresh hash each read
# (docs/drivers/mongodb.md#ferretdb). MongoDB is atomic here. The test below is one race
# of 30, which FerretDB sometimes serialises whole (more often on a loaded machine), so
# its xfail cannot be strict: test_store's ten-round races pin each failure strictly.
FERRETDB_RACE = "FerretDB v1 findAndModify is not atomic: concurrent updates lose writes"
FERRETDB_KNOWN_FAILURES = frozenset(
    {
        # 1 to 28 of the 30 increments applied in 60 races; all 30 in 1 of about 50 runs.
        "test_unconditional_updates_all_count",
    }
)
# The suite's races of many rounds (test_atomicity) lose on FerretDB in every run: strict.
FERRETDB_RELIABLE_FAILURES = frozenset(
    {
        # More than one winner in 12 of 12 runs, sync and async.
        "test_one_update_per_version_wins",
        "test_one_rotation_per_refresh_hash_wins",
        # An update raced past the expiring one and revived the session, 12 of 12 runs.
        "test_no_update_lands_after_expiry",
    }
)


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
        name = request.function.__name__
        if is_ferretdb and name in FERRETDB_KNOWN_FAILURES | FERRETDB_RELIABLE_FAILURES:
            strict = name in FERRETDB_RELIABLE_FAILURES
            race = pytest.mark.xfail(reason=FERRETDB_RACE, strict=strict, raises=AssertionError)
            request.applymarker(race)
