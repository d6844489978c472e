"""Conformance: deleting session records (async version)."""

from __future__ import annotations

from datetime import timedelta

from sessionjar import AsyncStore
from sessionjar_conformance._helpers import MANY, MutableClock, new_handle, new_record


class AsyncDeleteTests:
    """`delete` removes records by handle and reports the handles it removed."""

    async def test_returns_only_the_handles_deleted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        first, second = new_record(clock()), new_record(clock())
        await store.create(first)
        await store.create(second)
        missing = new_handle()
        deleted = await store.delete([first.handle, missing, second.handle])
        assert sorted(deleted) == sorted([first.handle, second.handle])
        assert await store.get(first.handle) is None
        assert await store.get(second.handle) is None

    async def test_second_delete_finds_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        assert await store.delete([record.handle]) == [record.handle]
        assert await store.delete([record.handle]) == []

    async def test_empty_list_deletes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        assert await store.delete([]) == []
        assert await store.get(record.handle) == record

    async def test_delete_leaves_other_records_alone(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        doomed, kept = new_record(clock()), new_record(clock())
        await store.create(doomed)
        await store.create(kept)
        await store.delete([doomed.handle])
        assert await store.get(kept.handle) == kept
        assert await store.list_for_user("public", "alice", now=clock()) == [kept.handle]

    async def test_handle_can_be_created_again_after_delete(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        await store.delete([record.handle])
        await store.create(record)
        assert await store.get(record.handle) == record


class AsyncDeleteForUserTests:
    """`delete_for_user` removes every record of one user in one tenant, and no other."""

    async def test_deletes_every_session_of_the_user(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        records = [new_record(clock(), user_id="alice") for _ in range(4)]
        for record in records:
            await store.create(record)
        handles = [r.handle for r in records]
        assert sorted(await store.delete_for_user("public", "alice")) == sorted(handles)
        for record in records:
            assert await store.get(record.handle) is None
        assert await store.list_for_user("public", "alice", now=clock()) == []

    async def test_deletes_hundreds_of_sessions_expired_or_not(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        short = [new_record(clock(), ttl=timedelta(minutes=5)) for _ in range(MANY // 2)]
        long = [new_record(clock()) for _ in range(MANY - len(short))]
        bob = new_record(clock(), user_id="bob")
        for record in (*short, *long, bob):
            await store.create(record)
        clock.advance(minutes=10)
        deleted = await store.delete_for_user("public", "alice")
        assert sorted(deleted) == sorted([r.handle for r in (*short, *long)])
        assert await store.delete_for_user("public", "alice") == []
        assert await store.get(short[0].handle) is None
        assert await store.get(bob.handle) == bob

    async def test_leaves_other_users_alone(self, store: AsyncStore, clock: MutableClock) -> None:
        alice = new_record(clock(), user_id="alice")
        bob = new_record(clock(), user_id="bob")
        alice_bis = new_record(clock(), user_id="alice-bis")
        for record in (alice, bob, alice_bis):
            await store.create(record)
        assert await store.delete_for_user("public", "alice") == [alice.handle]
        assert await store.get(bob.handle) == bob
        assert await store.get(alice_bis.handle) == alice_bis

    async def test_leaves_the_user_in_other_tenants_alone(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        here = new_record(clock(), tenant="acme")
        there = new_record(clock(), tenant="globex")
        await store.create(here)
        await store.create(there)
        assert await store.delete_for_user("acme", "alice") == [here.handle]
        assert await store.get(there.handle) == there

    async def test_deletes_expired_sessions_too(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        clock.advance(days=2)
        assert await store.delete_for_user("public", "alice") == [record.handle]
        assert await store.get(record.handle) is None

    async def test_unknown_user_deletes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        assert await store.delete_for_user("public", "nobody") == []
        assert await store.get(record.handle) == record


__all__ = ["AsyncDeleteTests", "AsyncDeleteForUserTests"]
