"""Work the multi-process tests hand to child processes (started with ``spawn``)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessionjar import AsyncSessionManager, SessionManager

__all__ = ["create_session_in_child"]


def create_session_in_child(
    make_store: Callable[[str], Any], namespace: str, now: datetime, user_id: str
) -> tuple[str, str]:
    """Open a store, create a session at ``now`` (loading or creating the automatic
    keys), and return its access and refresh tokens."""
    store = make_store(namespace)
    if inspect.iscoroutinefunction(store.create):
        return asyncio.run(_acreate(store, now, user_id))
    with SessionManager(store, clock=lambda: now) as manager:
        session = manager.create_session(user_id)
    assert session.refresh_token is not None
    return session.access_token, session.refresh_token


async def _acreate(store: Any, now: datetime, user_id: str) -> tuple[str, str]:
    async with AsyncSessionManager(store, clock=lambda: now) as manager:
        session = await manager.create_session(user_id)
    assert session.refresh_token is not None
    return session.access_token, session.refresh_token
