"""The shared conformance suite against FerretDB or MongoDB (async version)."""

from __future__ import annotations

from functools import partial

import pytest

from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory
from sessionjar_mongodb.plugin import UNREACHABLE_URL
from sessionjar_mongodb.store_async import AsyncMongoStore

# FerretDB v1 runs findAndModify as a query followed by a write by _id, with no
# transaction between them (internal/handler/msg_findandmodify.go): concurrent updates of
# one session can all succeed, each over the version it read. MongoDB is atomic here.
FERRETDB_RACE = "FerretDB v1 findAndModify is not atomic: concurrent updates lose writes"
# The races are lost on most runs, not all, so the xfails are not strict.
FERRETDB_KNOWN_FAILURES = {"test_unconditional_updates_all_count", "test_one_compare_and_set_wins"}


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
        if is_ferretdb and request.function.__name__ in FERRETDB_KNOWN_FAILURES:
            request.applymarker(pytest.mark.xfail(reason=FERRETDB_RACE, strict=False))
