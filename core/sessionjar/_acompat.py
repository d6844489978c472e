"""Pairs of helpers that differ between the async and the sync flavour only in name.

The async-to-sync converter renames the async member of each pair to the sync one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

__all__ = ["ALock", "Lock", "asleep", "sleep", "ato_thread", "to_thread"]

_P = ParamSpec("_P")
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


def ato_thread(func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Awaitable[_T]:
    """Run a blocking call in a worker thread; equivalent to calling it directly."""
    return asyncio.to_thread(func, *args, **kwargs)


def to_thread(func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Equivalent to `ato_thread`, in the calling thread."""
    return func(*args, **kwargs)
