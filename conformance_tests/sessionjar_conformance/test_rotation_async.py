"""Conformance: refresh-token rotation and its grace window (async version)."""

from __future__ import annotations

import pytest

from sessionjar import AsyncSessionManager, AsyncStore, SessionNotFound, TokenTheftDetected
from sessionjar_conformance._helpers import MutableClock
from sessionjar_conformance.fixtures_async import GRACE_WINDOW


class AsyncRotationTests:
    """A refresh rotates the refresh token: the new one works, the record remembers both."""

    async def test_each_refresh_issues_a_new_working_token(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        seen = {session.refresh_token}
        token = session.refresh_token
        for _ in range(5):
            clock.advance(minutes=5)
            assert token is not None
            refreshed = await manager.refresh_session(token)
            token = refreshed.refresh_token
            assert token not in seen
            seen.add(token)
            await manager.get_session(refreshed.access_token, check_database=True)

    async def test_record_keeps_the_previous_hash(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        before = await store.get(session.handle)
        assert before is not None
        assert session.refresh_token is not None
        await manager.refresh_session(session.refresh_token)
        after = await store.get(session.handle)
        assert after is not None
        assert after.prev_refresh_hash == before.refresh_hash
        assert after.refresh_hash != before.refresh_hash
        assert after.rotated_at == clock()
        assert after.version == before.version + 1


class AsyncGraceWindowTests:
    """Within the grace window the previous token yields the same new token; after, theft."""

    async def test_previous_token_within_grace_gets_the_same_child(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        first = await manager.refresh_session(session.refresh_token)
        clock.advance(seconds=GRACE_WINDOW.total_seconds() - 1)
        second = await manager.refresh_session(session.refresh_token)
        assert second.refresh_token == first.refresh_token
        assert first.refresh_token is not None
        third = await manager.refresh_session(first.refresh_token)
        assert third.handle == session.handle

    async def test_previous_token_after_grace_is_theft(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        first = await manager.refresh_session(session.refresh_token)
        clock.advance(seconds=GRACE_WINDOW.total_seconds() + 1)
        with pytest.raises(TokenTheftDetected):
            await manager.refresh_session(session.refresh_token)
        assert await store.get(session.handle) is None
        assert first.refresh_token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(first.refresh_token)

    async def test_grandparent_token_is_theft_even_within_grace(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        child = await manager.refresh_session(session.refresh_token)
        clock.advance(seconds=1)
        assert child.refresh_token is not None
        await manager.refresh_session(child.refresh_token)
        with pytest.raises(TokenTheftDetected):
            await manager.refresh_session(session.refresh_token)
        assert await manager.get_session_information(session.handle) is None


__all__ = ["AsyncRotationTests", "AsyncGraceWindowTests"]
