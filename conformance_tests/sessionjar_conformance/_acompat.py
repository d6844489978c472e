"""Test helpers that differ between the async and the sync suite only in name.

The async-to-sync converter renames the async member of each pair to the sync one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import pytest
import pytest_asyncio

__all__ = ["afixture", "fixture", "aparallel", "parallel", "ato_thread", "to_thread"]

_T = TypeVar("_T")
_P = ParamSpec("_P")

afixture = pytest_asyncio.fixture
"""Equivalent to `pytest.fixture` for async fixtures (works in strict and auto mode)."""

fixture = pytest.fixture
"""Equivalent to `afixture` for sync fixtures."""


async def aparallel(count: int, func: Callable[[int], Awaitable[_T]]) -> list[_T | BaseException]:
    """Run ``func(0)`` … ``func(count - 1)`` as concurrent asyncio tasks.

    Tasks interleave where the store awaits I/O: on a store that never yields (the
    in-process memory store) they run one after another, on a networked one they
    overlap (the suite's self-tests show a racy store is caught).

    Returns:
        each call's result or the exception it raised, in call order.
    """
    coros = [func(index) for index in range(count)]
    return await asyncio.gather(*coros, return_exceptions=True)


def parallel(count: int, func: Callable[[int], _T]) -> list[_T | BaseException]:
    """Equivalent to `aparallel`, with one thread per call, all released at once."""
    barrier = threading.Barrier(count)

    def call(index: int) -> _T | BaseException:
        barrier.wait()
        try:
            return func(index)
        except Exception as exc:  # collected for the test to inspect
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


async def ato_thread(func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a blocking call in a worker thread, keeping the event loop free."""
    return await asyncio.to_thread(func, *args, **kwargs)


def to_thread(func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Equivalent to `ato_thread`, in the calling thread."""
    return func(*args, **kwargs)
