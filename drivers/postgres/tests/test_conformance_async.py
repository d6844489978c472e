"""The shared conformance suite against a real PostgreSQL server (async version)."""

from __future__ import annotations

from functools import partial

import pytest

from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory
from sessionjar_postgres.plugin import UNREACHABLE_URL
from sessionjar_postgres.store_async import AsyncPostgresStore


class TestPostgresConformance(AsyncStoreConformance):
    """Every conformance test, on the server at ``SESSIONJAR_POSTGRES_URL``."""

    capabilities = frozenset({"shared_namespace", "multi_process", "unreachable"})

    @pytest.fixture
    def make_store(self, postgres_url: str) -> AsyncStoreFactory:
        """Open stores on the test server, in the run's schema."""
        return partial(AsyncPostgresStore.from_url, postgres_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return partial(AsyncPostgresStore.from_url, UNREACHABLE_URL)
