"""Conformance: a reused refresh token revokes the whole session (async version)."""

from __future__ import annotations

import pytest

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    InvalidTokenError,
    SessionNotFound,
    TokenTheftDetected,
)
from sessionjar_conformance._helpers import MutableClock
from sessionjar_conformance.fixtures_async import GRACE_WINDOW


class AsyncTheftDetectionTests:
    """Reuse raises `TokenTheftDetected` naming the session, which is gone for everyone."""

    async def test_reuse_revokes_the_session_for_everyone(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice", tenant="acme")
        assert session.refresh_token is not None
        thief = await manager.refresh_session(session.refresh_token)
        clock.advance(seconds=GRACE_WINDOW.total_seconds() * 2)
        with pytest.raises(TokenTheftDetected) as info:
            await manager.refresh_session(session.refresh_token)
        assert (info.value.handle, info.value.user_id) == (session.handle, "alice")
        assert await store.get(session.handle) is None
        assert await manager.get_all_session_handles_for_user("alice", tenant="acme") == []
        with pytest.raises(SessionNotFound):
            await manager.get_session(thief.access_token, check_database=True)
        assert thief.refresh_token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(thief.refresh_token)

    async def test_other_sessions_of_the_user_survive(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        stolen = await manager.create_session("alice")
        other = await manager.create_session("alice")
        assert stolen.refresh_token is not None
        assert other.refresh_token is not None
        await manager.refresh_session(stolen.refresh_token)
        clock.advance(minutes=1)
        with pytest.raises(TokenTheftDetected):
            await manager.refresh_session(stolen.refresh_token)
        assert await manager.get_all_session_handles_for_user("alice") == [other.handle]
        await manager.refresh_session(other.refresh_token)

    async def test_forged_secret_is_refused_without_revoking(
        self, manager: AsyncSessionManager
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        handle, _, secret = session.refresh_token.partition(".")
        forged = f"{handle}.{secret[::-1]}"
        with pytest.raises(InvalidTokenError):
            await manager.refresh_session(forged)
        assert await manager.get_session_information(session.handle) is not None
        await manager.refresh_session(session.refresh_token)


__all__ = ["AsyncTheftDetectionTests"]
