"""Conformance: listing a user's live sessions (async version)."""

from __future__ import annotations

from datetime import timedelta

from sessionjar import AsyncStore, SessionPatch
from sessionjar_conformance._helpers import MANY, MutableClock, new_record


class AsyncListForUserTests:
    """`list_for_user` returns the handles of one user's live records in one tenant."""

    async def test_lists_every_live_session(self, store: AsyncStore, clock: MutableClock) -> None:
        records = [new_record(clock()) for _ in range(5)]
        for record in records:
            await store.create(record)
        handles = [r.handle for r in records]
        listed = await store.list_for_user("public", "alice", now=clock())
        assert sorted(listed) == sorted(handles)

    async def test_lists_hundreds_of_sessions(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        records = [new_record(clock()) for _ in range(MANY)]
        for record in records:
            await store.create(record)
        await store.create(new_record(clock(), user_id="bob"))
        listed = await store.list_for_user("public", "alice", now=clock())
        assert sorted(listed) == sorted([r.handle for r in records])

    async def test_unknown_user_lists_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        await store.create(new_record(clock()))
        assert await store.list_for_user("public", "nobody", now=clock()) == []

    async def test_lists_only_the_user_in_the_tenant(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        mine = new_record(clock(), tenant="acme", user_id="alice")
        for other in (
            new_record(clock(), tenant="acme", user_id="bob"),
            new_record(clock(), tenant="globex", user_id="alice"),
            new_record(clock(), tenant="public", user_id="alice"),
        ):
            await store.create(other)
        await store.create(mine)
        assert await store.list_for_user("acme", "alice", now=clock()) == [mine.handle]

    async def test_omits_expired_sessions(self, store: AsyncStore, clock: MutableClock) -> None:
        short = new_record(clock(), ttl=timedelta(minutes=5))
        long = new_record(clock(), ttl=timedelta(hours=5))
        await store.create(short)
        await store.create(long)
        later = clock.advance(minutes=6)
        assert await store.list_for_user("public", "alice", now=later) == [long.handle]

    async def test_session_expiring_exactly_now_is_omitted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await store.create(record)
        before = record.expires_at - timedelta(milliseconds=1)
        assert await store.list_for_user("public", "alice", now=before) == [record.handle]
        assert await store.list_for_user("public", "alice", now=record.expires_at) == []

    async def test_sliding_the_expiry_lists_it_again(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await store.create(record)
        patch = SessionPatch(expires_at=clock() + timedelta(minutes=30))
        await store.update(record.handle, patch, expected_version=None, now=clock())
        later = clock.advance(minutes=20)
        assert await store.list_for_user("public", "alice", now=later) == [record.handle]

    async def test_omits_deleted_sessions(self, store: AsyncStore, clock: MutableClock) -> None:
        gone, kept = new_record(clock()), new_record(clock())
        await store.create(gone)
        await store.create(kept)
        await store.delete([gone.handle])
        assert await store.list_for_user("public", "alice", now=clock()) == [kept.handle]


__all__ = ["AsyncListForUserTests"]
