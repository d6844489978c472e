"""Helpers that differ between the async and the sync flavour only in name.

The async-to-sync converter renames the async member of each pair to the sync one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["agather", "gather"]

_T = TypeVar("_T")


async def agather(*calls: Awaitable[_T]) -> list[_T]:
    """Run awaitables concurrently and return their results in order."""
    if len(calls) == 1:  # no task to schedule for a single call
        return [await calls[0]]
    return list(await asyncio.gather(*calls))


def gather(*results: _T) -> list[_T]:
    """Equivalent to `agather`, for calls the caller has already made in turn."""
    return list(results)
