"""Conformance: reading session records (async version)."""

from __future__ import annotations

from sessionjar import AsyncStore
from sessionjar_conformance._helpers import MutableClock, new_handle, new_record


class AsyncGetTests:
    """`get` returns the record with a handle, or `None`."""

    async def test_unknown_handle_is_none(self, store: AsyncStore) -> None:
        assert await store.get(new_handle()) is None

    async def test_returns_the_record_asked_for(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        alice = new_record(clock(), user_id="alice")
        bob = new_record(clock(), user_id="bob")
        await store.create(alice)
        await store.create(bob)
        assert await store.get(bob.handle) == bob
        assert await store.get(alice.handle) == alice

    async def test_returned_record_is_not_shared_state(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), session_data={"cart": [1, 2]})
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        got.session_data["cart"].append(3)  # type: ignore[union-attr]
        record.session_data["cart"].append(4)  # type: ignore[union-attr]
        again = await store.get(record.handle)
        assert again is not None
        assert again.session_data == {"cart": [1, 2]}

    async def test_text_fields_round_trip_unicode(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        tenant, user_id = "Zürich-東京", "ünïcødé 🍪 user@example.org"
        record = new_record(clock(), tenant=tenant, user_id=user_id)
        await store.create(record)
        assert await store.get(record.handle) == record
        listed = await store.list_for_user(tenant, user_id, now=clock())
        assert listed == [record.handle]


__all__ = ["AsyncGetTests"]
