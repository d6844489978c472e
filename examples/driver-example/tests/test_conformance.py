"""The jsonfile driver against the whole conformance suite, async and sync."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from sessionjar import AsyncStore, AsyncStoreAdapter, Store
from sessionjar_conformance import (
    AsyncStoreConformance,
    AsyncStoreFactory,
    StoreConformance,
    StoreFactory,
)
from sessionjar_jsonfile import JsonFileStore

CAPABILITIES = frozenset({"shared_namespace", "multi_process", "unreachable"})
DEAD_DIRECTORY = "/proc/sessionjar-unreachable"


def open_async(directory: str, namespace: str) -> AsyncStore:
    """Module-level, so that `functools.partial` of it pickles for child processes."""
    return AsyncStoreAdapter(JsonFileStore(directory, namespace))


def open_sync(directory: str, namespace: str) -> Store:
    """The sync factory, module-level for the same reason."""
    return JsonFileStore(directory, namespace)


class TestJsonFileAsync(AsyncStoreConformance):
    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> AsyncStoreFactory:
        return functools.partial(open_async, str(tmp_path))

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        return functools.partial(open_async, DEAD_DIRECTORY)


class TestJsonFile(StoreConformance):
    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return functools.partial(open_sync, str(tmp_path))

    @pytest.fixture
    def unreachable_store(self) -> StoreFactory:
        return functools.partial(open_sync, DEAD_DIRECTORY)
