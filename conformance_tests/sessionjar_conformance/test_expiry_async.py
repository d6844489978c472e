"""Conformance: expiry — purged by the store, enforced by core on every read (async version)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionjar import AsyncSessionManager, AsyncStore, SessionNotFound, TryRefreshToken
from sessionjar_conformance._helpers import MutableClock, new_record, new_signing_key
from sessionjar_conformance.fixtures_async import (
    ABSOLUTE_LIFETIME,
    ACCESS_VALIDITY,
    REFRESH_VALIDITY,
)


class AsyncDeleteExpiredTests:
    """`delete_expired` removes what has expired at ``now`` and counts the sessions."""

    async def test_deletes_expired_sessions_and_counts_them(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        short = [new_record(clock(), ttl=timedelta(minutes=5)) for _ in range(3)]
        long = new_record(clock(), ttl=timedelta(hours=5))
        for record in (*short, long):
            await store.create(record)
        assert await store.delete_expired(now=clock.advance(minutes=10)) == 3
        for record in short:
            assert await store.get(record.handle) is None
        assert await store.get(long.handle) == long

    async def test_session_expiring_exactly_now_is_deleted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await store.create(record)
        before = record.expires_at - timedelta(milliseconds=1)
        assert await store.delete_expired(now=before) == 0
        assert await store.get(record.handle) == record
        assert await store.delete_expired(now=record.expires_at) == 1
        assert await store.get(record.handle) is None

    async def test_nothing_expired_deletes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        assert await store.delete_expired(now=clock()) == 0
        assert await store.get(record.handle) == record

    async def test_deletes_expired_signing_keys_only(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        old = new_signing_key(clock(), expires_at=clock() + timedelta(hours=1))
        current = new_signing_key(clock(), expires_at=clock() + timedelta(days=3))
        await store.add_signing_key(old)
        await store.add_signing_key(current)
        assert await store.delete_expired(now=clock.advance(hours=2)) == 0
        assert await store.list_signing_keys() == [current]

    async def test_deleted_sessions_are_no_longer_listed(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await store.create(record)
        later = clock.advance(minutes=10)
        await store.delete_expired(now=later)
        assert await store.delete_for_user("public", "alice") == []


class AsyncExpiryOnReadTests:
    """Core treats expired sessions as absent, even while the store still holds them."""

    async def test_access_token_expires(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        clock.advance(seconds=ACCESS_VALIDITY.total_seconds() - 1)
        await manager.get_session(session.access_token)
        clock.advance(seconds=2)
        with pytest.raises(TryRefreshToken):
            await manager.get_session(session.access_token)

    async def test_expired_session_is_absent_everywhere(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice", session_data={"a": 1})
        assert session.refresh_token is not None
        clock.advance(seconds=REFRESH_VALIDITY.total_seconds())
        # Only the test's clock has moved: the record is still there, and core must
        # treat it as absent on its own.
        assert await store.get(session.handle) is not None
        assert await manager.get_session_information(session.handle) is None
        assert await manager.get_all_session_handles_for_user("alice") == []
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(session.refresh_token)
        with pytest.raises(SessionNotFound):
            await manager.update_session_data(session.handle, {"a": 2})
        with pytest.raises(SessionNotFound):
            await session.get_session_data()

    async def test_expired_session_is_purged(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        await manager.create_session("alice")
        live = await manager.create_session("bob")
        clock.advance(minutes=50)
        assert live.refresh_token is not None
        await manager.refresh_session(live.refresh_token)
        clock.advance(minutes=20)
        assert await manager.delete_expired_sessions() == 1
        assert await manager.get_all_session_handles_for_user("bob") == [live.handle]


class AsyncSlidingExpiryTests:
    """Each refresh moves the session's expiry; idling past it ends the session."""

    async def test_refreshing_keeps_the_session_alive(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        token = session.refresh_token
        for _ in range(4):
            clock.advance(minutes=50)
            assert token is not None
            token = (await manager.refresh_session(token)).refresh_token
        info = await manager.get_session_information(session.handle)
        assert info is not None
        assert info.expires_at == clock() + REFRESH_VALIDITY
        record = await store.get(session.handle)
        assert record is not None
        assert record.expires_at == clock() + REFRESH_VALIDITY

    async def test_idling_past_the_expiry_ends_the_session(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        clock.advance(minutes=50)
        token = (await manager.refresh_session(session.refresh_token)).refresh_token
        clock.advance(seconds=REFRESH_VALIDITY.total_seconds())
        assert token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(token)


class AsyncAbsoluteDeadlineTests:
    """However often a session is refreshed, it ends at its absolute deadline."""

    async def test_refreshing_never_passes_the_deadline(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        deadline = clock() + ABSOLUTE_LIFETIME
        token = session.refresh_token
        while clock() + timedelta(minutes=50) < deadline:
            clock.advance(minutes=50)
            assert token is not None
            token = (await manager.refresh_session(token)).refresh_token
            record = await store.get(session.handle)
            assert record is not None
            assert record.absolute_deadline == deadline
            assert record.expires_at <= deadline
        clock.advance(seconds=(deadline - clock()).total_seconds())
        assert token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(token)
        assert await manager.get_session_information(session.handle) is None


__all__ = [
    "AsyncDeleteExpiredTests",
    "AsyncExpiryOnReadTests",
    "AsyncSlidingExpiryTests",
    "AsyncAbsoluteDeadlineTests",
]
