"""Pairs of helpers that differ between the async and the sync flavour only in name.

The async-to-sync converter renames the async member of each pair to the sync one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["ALock", "Lock", "asleep", "sleep", "agather", "gather"]

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
