"""The whole suite on the built-in stores: memory:// and sqlite://, async and sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionjar import driver_for
from sessionjar_conformance import (
    AsyncStoreConformance,
    AsyncStoreFactory,
    StoreConformance,
    StoreFactory,
)
from sessionjar_conformance.plugin import UrlStoreFactory

SQLITE_DEAD = driver_for("sqlite://").unreachable_url or "sqlite:////proc/nonexistent/x.db"


class TestMemoryAsync(AsyncStoreConformance):
    capabilities = frozenset({"shared_namespace"})

    @pytest.fixture
    def make_store(self) -> AsyncStoreFactory:
        return UrlStoreFactory("memory://conformance-async", "async")  # type: ignore[return-value]


class TestMemory(StoreConformance):
    capabilities = frozenset({"shared_namespace"})

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return UrlStoreFactory("memory://conformance-sync", "sync")  # type: ignore[return-value]


_SQLITE_CAPABILITIES = frozenset({"shared_namespace", "multi_process", "unreachable"})


class TestSqliteAsync(AsyncStoreConformance):
    capabilities = _SQLITE_CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> AsyncStoreFactory:
        return UrlStoreFactory(f"sqlite:///{tmp_path}/async.db", "async")  # type: ignore[return-value]

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        return UrlStoreFactory(SQLITE_DEAD, "async")  # type: ignore[return-value]


class TestSqlite(StoreConformance):
    capabilities = _SQLITE_CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return UrlStoreFactory(f"sqlite:///{tmp_path}/sync.db", "sync")  # type: ignore[return-value]

    @pytest.fixture
    def unreachable_store(self) -> StoreFactory:
        return UrlStoreFactory(SQLITE_DEAD, "sync")  # type: ignore[return-value]
