"""Pairs of helpers that differ between the async and the sync flavour only in name.

The async-to-sync converter renames the async member of each pair to the sync one.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

from sessionjar.errors import ConfigurationError

__all__ = ["ALock", "Lock", "asleep", "sleep", "agather", "gather", "aresolve", "resolve"]

_T = TypeVar("_T")

ALock = asyncio.Lock
"""Equivalent to `threading.Lock` for asyncio tasks."""

Lock = threading.Lock
"""Equivalent to `asyncio.Lock` for threads."""


async def asleep(seconds: float) -> None:
    """Equivalent to `time.sleep`, for asyncio."""
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    """Equivalent to `asyncio.sleep`, for threads."""
    time.sleep(seconds)


async def agather(*calls: Awaitable[_T]) -> list[_T]:
    """Run awaitables concurrently and return their results in order."""
    if len(calls) == 1:  # no task to schedule for a single call
        return [await calls[0]]
    return list(await asyncio.gather(*calls))


def gather(*results: _T) -> list[_T]:
    """Equivalent to `agather`, for calls the caller has already made in turn."""
    return list(results)


async def aresolve(value: _T | Awaitable[_T], what: str) -> _T:
    """Return ``value``, awaited if it is awaitable (the result of a plain or async
    function of the user's)."""
    return await value if inspect.isawaitable(value) else value


def resolve(value: _T | Awaitable[_T], what: str) -> _T:
    """Equivalent to `aresolve` where no event loop runs: an awaitable is refused.

    Raises:
        ConfigurationError: ``value`` is awaitable; ``what`` names its source.
    """
    if not inspect.isawaitable(value):
        return value
    close = getattr(value, "close", None)
    if close is not None:
        close()  # an unawaited coroutine would warn
    raise ConfigurationError(f"{what} is an async function: use the async manager")
