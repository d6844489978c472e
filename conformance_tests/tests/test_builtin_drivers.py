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
from sessionjar_conformance.plugin import AsyncStoreOpener, StoreOpener

SQLITE_DEAD = driver_for("sqlite://").unreachable_url or "sqlite:////proc/nonexistent/x.db"


class TestMemoryAsync(AsyncStoreConformance):
    capabilities = frozenset({"shared_namespace"})

    @pytest.fixture
    def make_store(self) -> AsyncStoreFactory:
        return AsyncStoreOpener("memory://conformance-async")


class TestMemory(StoreConformance):
    capabilities = frozenset({"shared_namespace"})

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return StoreOpener("memory://conformance-sync")


_SQLITE_CAPABILITIES = frozenset({"shared_namespace", "multi_process", "unreachable"})


class TestSqliteAsync(AsyncStoreConformance):
    capabilities = _SQLITE_CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> AsyncStoreFactory:
        return AsyncStoreOpener(f"sqlite:///{tmp_path}/async.db")

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        return AsyncStoreOpener(SQLITE_DEAD)


class TestSqlite(StoreConformance):
    capabilities = _SQLITE_CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return StoreOpener(f"sqlite:///{tmp_path}/sync.db")

    @pytest.fixture
    def unreachable_store(self) -> StoreFactory:
        return StoreOpener(SQLITE_DEAD)
