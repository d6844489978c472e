"""Conformance: inserting session records (async version)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sessionjar import AsyncStore, DuplicateHandle, SessionPatch
from sessionjar_conformance._helpers import MutableClock, new_hash, new_record


class AsyncCreateTests:
    """`create` inserts a record that `get` returns exactly as given."""

    async def test_round_trips_every_field(self, store: AsyncStore, clock: MutableClock) -> None:
        now = clock()
        record = new_record(
            now,
            absolute_deadline=now + timedelta(days=30),
            prev_refresh_hash=new_hash(),
            rotated_at=now + timedelta(milliseconds=123),
        )
        await store.create(record)
        assert await store.get(record.handle) == record

    async def test_round_trips_empty_optional_fields(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), access_payload={}, session_data={})
        await store.create(record)
        assert await store.get(record.handle) == record

    async def test_returns_aware_utc_times_to_the_millisecond(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        now = clock().replace(microsecond=987000)
        record = new_record(now, ttl=timedelta(minutes=5, milliseconds=1))
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        for moment in (got.created_at, got.expires_at):
            assert moment.utcoffset() == timedelta(0)
        assert got.created_at.microsecond == 987000
        assert got.expires_at - got.created_at == timedelta(minutes=5, milliseconds=1)

    async def test_starts_at_version_one(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock())
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        assert got.version == 1


class AsyncCreateIsInsertOnlyTests:
    """`create` never overwrites: a taken handle raises `DuplicateHandle`."""

    async def test_duplicate_handle_raises(self, store: AsyncStore, clock: MutableClock) -> None:
        first = new_record(clock(), user_id="alice")
        await store.create(first)
        with pytest.raises(DuplicateHandle) as info:
            await store.create(replace(first, user_id="mallory", session_data={"x": 1}))
        assert info.value.handle == first.handle

    async def test_duplicate_leaves_the_original_untouched(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        first = new_record(clock(), user_id="alice")
        await store.create(first)
        with pytest.raises(DuplicateHandle):
            await store.create(replace(first, user_id="mallory", refresh_hash=new_hash()))
        assert await store.get(first.handle) == first
        assert await store.list_for_user("public", "mallory", now=clock()) == []

    async def test_duplicate_of_an_updated_record_raises(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        first = new_record(clock())
        await store.create(first)
        patch = SessionPatch(session_data={"n": 2})
        await store.update(first.handle, patch, expected_version=None, now=clock())
        with pytest.raises(DuplicateHandle):
            await store.create(first)
        got = await store.get(first.handle)
        assert got is not None
        assert got.session_data == {"n": 2}

    async def test_expired_record_still_takes_its_handle(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        first = new_record(clock(), ttl=timedelta(minutes=5))
        await store.create(first)
        later = clock.advance(hours=1)  # first has expired, for core; not for native TTLs
        with pytest.raises(DuplicateHandle):
            await store.create(new_record(later, handle=first.handle, user_id="mallory"))
        assert await store.get(first.handle) == first
        assert await store.list_for_user("public", "mallory", now=later) == []

    async def test_distinct_handles_are_independent(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        records = [new_record(clock(), user_id="alice") for _ in range(3)]
        for record in records:
            await store.create(record)
        for record in records:
            assert await store.get(record.handle) == record


__all__ = ["AsyncCreateTests", "AsyncCreateIsInsertOnlyTests"]
