"""Conformance: expired records and signing keys are purged (async version)."""

from __future__ import annotations

from datetime import timedelta

from sessionjar import AsyncStore
from sessionjar_conformance._helpers import MutableClock, new_record, new_signing_key


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


__all__ = ["AsyncDeleteExpiredTests"]
