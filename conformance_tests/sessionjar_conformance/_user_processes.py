"""Sign-ins the multi-process session-limit test hands to child processes (``spawn``)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessionjar import AsyncSessionManager, SessionLimit, SessionLimitReached, SessionManager

__all__ = ["sign_in_in_child"]


def sign_in_in_child(
    make_store: Callable[[str], Any], namespace: str, now: datetime, limit: SessionLimit
) -> str | None:
    """Open a store, sign ``alice`` in at ``now`` under ``limit``; return the refresh
    token, or `None` when the limit refused the sign-in."""
    store = make_store(namespace)
    if inspect.iscoroutinefunction(store.create):
        return asyncio.run(_asign_in(store, now, limit))
    with SessionManager(store, clock=lambda: now, session_limit=limit) as manager:
        try:
            return manager.create_session("alice").refresh_token
        except SessionLimitReached:
            return None


async def _asign_in(store: Any, now: datetime, limit: SessionLimit) -> str | None:
    async with AsyncSessionManager(store, clock=lambda: now, session_limit=limit) as manager:
        try:
            return (await manager.create_session("alice")).refresh_token
        except SessionLimitReached:
            return None
