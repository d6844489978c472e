"""Stores and managers for the session tests, on every built-in driver, both flavours."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

import sessionjar
from sessionjar import AsyncSessionManager, SessionManager, StorageUnavailable
from sessionjar.testing import ManualClock

__all__ = [
    "CountingStore",
    "aparallel_calls",
    "parallel_calls",
    "store_url",
    "make_amanager",
    "make_manager",
    "amanager",
    "manager",
]

_T = TypeVar("_T")

MakeAsync = Callable[..., AsyncSessionManager]
MakeSync = Callable[..., SessionManager]


@pytest.fixture(params=["memory", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store; every store opened on it shares its records."""
    if request.param == "memory":
        return f"memory://test-{uuid.uuid4().hex}"
    return f"sqlite:///{tmp_path / 'sessions.db'}"


@pytest.fixture
async def make_amanager(store_url: str, clock: ManualClock) -> AsyncIterator[MakeAsync]:
    """Build async managers on the test's store (closed at teardown).

    Keywords pass through to the manager, except ``calls``: a list that records the
    name of every store method the manager calls, and ``broken``: a set of store method
    names that raise `StorageUnavailable` (the test may change it as it goes).
    """
    made: list[AsyncSessionManager] = []

    def make(**options: Any) -> AsyncSessionManager:
        options.setdefault("clock", clock)
        store = _wrapped(sessionjar.open_async_store(store_url), options)
        made.append(AsyncSessionManager(store, **options))
        return made[-1]

    yield make
    for manager in made:
        await manager.close()


@pytest.fixture
def make_manager(store_url: str, clock: ManualClock) -> Iterator[MakeSync]:
    """Build sync managers on the test's store (closed at teardown); see `make_amanager`."""
    made: list[SessionManager] = []

    def make(**options: Any) -> SessionManager:
        options.setdefault("clock", clock)
        store = _wrapped(sessionjar.open_store(store_url), options)
        made.append(SessionManager(store, **options))
        return made[-1]

    yield make
    for manager in made:
        manager.close()


@pytest.fixture
async def amanager(make_amanager: MakeAsync) -> AsyncSessionManager:
    """An async manager with automatic keys, keys loaded."""
    manager = make_amanager()
    await manager.load_keys()
    return manager


@pytest.fixture
def manager(make_manager: MakeSync) -> SessionManager:
    """A sync manager with automatic keys, keys loaded."""
    manager = make_manager()
    manager.load_keys()
    return manager


def _wrapped(store: Any, options: dict[str, Any]) -> Any:
    calls, broken = options.pop("calls", None), options.pop("broken", None)
    if calls is None and broken is None:
        return store
    return CountingStore(store, [] if calls is None else calls, broken)


class CountingStore:
    """Wraps a real store and records the name of every method called on it.

    Methods named in ``broken`` raise `StorageUnavailable` instead, as a driver does
    when its backend is down.
    """

    def __init__(self, store: Any, calls: list[str], broken: set[str] | None = None) -> None:
        self._store = store
        self.calls = calls
        self.broken = set() if broken is None else broken
        self.protocol_version = store.protocol_version

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self.broken:
                raise StorageUnavailable(f"{name}: the backend is down (injected)")
            return method(*args, **kwargs)

        return call


async def aparallel_calls(calls: list[Callable[[], Awaitable[_T]]]) -> list[_T]:
    """Run calls concurrently as asyncio tasks; return their results in order."""
    return list(await asyncio.gather(*(call() for call in calls)))


def parallel_calls(calls: list[Callable[[], _T]]) -> list[_T]:
    """Run calls concurrently in threads; return their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))
