"""pytest fixtures for an app's tests, opted into by the top-level ``conftest.py``.

    pytest_plugins = ["sessionjar.testing.pytest_plugin"]

The fixtures give each test its own clock and its own ``memory://`` managers, closed at
teardown. Pass the manager to the app under test (an app factory makes that easy).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from sessionjar import AsyncSessionManager, SessionManager
from sessionjar.testing._managers import ManualClock, async_memory_manager, memory_manager

__all__ = ["sessionjar_clock", "sessionjar_manager", "sessionjar_async_manager"]


@pytest.fixture
def sessionjar_clock() -> ManualClock:
    """A `ManualClock` at the current second; the managers below tell time by it."""
    return ManualClock()


@pytest.fixture
def sessionjar_manager(sessionjar_clock: ManualClock) -> Iterator[SessionManager]:
    """A `SessionManager` on a fresh ``memory://`` store, on ``sessionjar_clock``."""
    with memory_manager(clock=sessionjar_clock) as manager:
        yield manager


@pytest.fixture
def sessionjar_async_manager(sessionjar_clock: ManualClock) -> Iterator[AsyncSessionManager]:
    """An `AsyncSessionManager` on a fresh ``memory://`` store, on ``sessionjar_clock``.

    A plain fixture, so that sync tests (Starlette's `TestClient`) can use it too.
    """
    manager = async_memory_manager(clock=sessionjar_clock)
    yield manager
    asyncio.run(manager.close())  # the memory store's close touches no event loop state
