"""Conformance: updating session records — update-only, conditions (async version)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from sessionjar import AsyncStore, SessionPatch
from sessionjar_conformance._helpers import MutableClock, new_handle, new_hash, new_record


class AsyncUpdateTests:
    """`update` applies a patch to a live record and increments its version."""

    @pytest.mark.parametrize(
        "field",
        ["expires_at", "access_payload", "session_data", "refresh_hash", "prev_refresh_hash",
         "rotated_at"],
    )  # fmt: skip
    async def test_sets_one_field_and_bumps_the_version(
        self, store: AsyncStore, clock: MutableClock, field: str
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        values: dict[str, Any] = {
            "expires_at": clock() + timedelta(hours=2),
            "access_payload": {"role": "admin", "n": [1, {"x": None}]},
            "session_data": {"theme": "dark"},
            "refresh_hash": new_hash(),
            "prev_refresh_hash": new_hash(),
            "rotated_at": clock() + timedelta(seconds=1),
        }
        value = values[field]
        updated = await store.update(
            record.handle, SessionPatch(**{field: value}), expected_version=None, now=clock()
        )
        expected = replace(record, version=2, **{field: value})
        assert updated == expected
        assert await store.get(record.handle) == expected

    async def test_sets_several_fields_at_once(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(
            expires_at=clock() + timedelta(hours=3),
            refresh_hash=new_hash(),
            prev_refresh_hash=record.refresh_hash,
            rotated_at=clock(),
        )
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated == replace(record, version=2, **patch.changes())  # type: ignore[arg-type]

    async def test_session_data_is_replaced_whole(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), session_data={"a": 1, "b": {"c": 2}})
        await store.create(record)
        patch = SessionPatch(session_data={"b": {"d": 3}})
        updated = await store.update(record.handle, patch, expected_version=None, now=clock())
        assert updated is not None
        assert updated.session_data == {"b": {"d": 3}}

    async def test_empty_object_clears_session_data(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), session_data={"a": 1})
        await store.create(record)
        patch = SessionPatch(session_data={})
        await store.update(record.handle, patch, expected_version=None, now=clock())
        got = await store.get(record.handle)
        assert got is not None
        assert got.session_data == {}

    async def test_versions_count_every_update(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        for version in range(2, 6):
            patch = SessionPatch(session_data={"v": version})
            updated = await store.update(record.handle, patch, expected_version=None, now=clock())
            assert updated is not None
            assert updated.version == version

    async def test_update_leaves_other_records_alone(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record, other = new_record(clock()), new_record(clock())
        await store.create(record)
        await store.create(other)
        patch = SessionPatch(session_data={"changed": True})
        await store.update(record.handle, patch, expected_version=None, now=clock())
        assert await store.get(other.handle) == other


class AsyncUpdateIsUpdateOnlyTests:
    """`update` never creates a record: missing, deleted and expired ones stay absent."""

    async def test_missing_record_is_not_created(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        handle = new_handle()
        patch = SessionPatch(session_data={"x": 1}, expires_at=clock() + timedelta(hours=1))
        assert await store.update(handle, patch, expected_version=None, now=clock()) is None
        assert await store.get(handle) is None

    async def test_deleted_record_is_not_resurrected(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        await store.delete([record.handle])
        patch = SessionPatch(
            session_data={"x": 1},
            access_payload={"y": 2},
            refresh_hash=new_hash(),
            expires_at=clock() + timedelta(hours=5),
        )
        assert await store.update(record.handle, patch, expected_version=1, now=clock()) is None
        assert await store.update(record.handle, patch, expected_version=None, now=clock()) is None
        assert await store.get(record.handle) is None
        assert await store.list_for_user(record.tenant, record.user_id, now=clock()) == []

    async def test_expired_record_is_not_updated(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=10))
        await store.create(record)
        later = clock.advance(minutes=11)
        patch = SessionPatch(session_data={"x": 1}, expires_at=later + timedelta(hours=1))
        assert await store.update(record.handle, patch, expected_version=None, now=later) is None
        assert await store.list_for_user(record.tenant, record.user_id, now=later) == []
        assert await store.get(record.handle) in (None, record)

    async def test_record_expiring_exactly_now_is_expired(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=10))
        await store.create(record)
        patch = SessionPatch(expires_at=record.expires_at + timedelta(hours=1))
        now = record.expires_at
        assert await store.update(record.handle, patch, expected_version=None, now=now) is None
        just_before = now - timedelta(milliseconds=1)
        updated = await store.update(record.handle, patch, expected_version=None, now=just_before)
        assert updated is not None


class AsyncCompareAndSetTests:
    """With ``expected_version``, `update` happens only if the version still matches."""

    async def test_matching_version_updates(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(session_data={"step": 1})
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        assert updated.version == 2

    async def test_stale_version_changes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        first = SessionPatch(session_data={"step": 1})
        winner = await store.update(record.handle, first, expected_version=1, now=clock())
        stale = SessionPatch(session_data={"step": 2}, refresh_hash=new_hash())
        assert await store.update(record.handle, stale, expected_version=1, now=clock()) is None
        assert await store.get(record.handle) == winner

    async def test_future_version_changes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(session_data={"step": 1})
        assert await store.update(record.handle, patch, expected_version=7, now=clock()) is None
        assert await store.get(record.handle) == record

    async def test_no_expected_version_always_updates(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        for step in range(3):
            patch = SessionPatch(session_data={"step": step})
            assert await store.update(record.handle, patch, expected_version=None, now=clock())
        got = await store.get(record.handle)
        assert got is not None
        assert (got.version, got.session_data) == (4, {"step": 2})


class AsyncRefreshHashConditionTests:
    """With ``expected_refresh_hash``, `update` happens only if that is the current hash."""

    async def test_current_hash_updates(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(
            expires_at=clock() + timedelta(hours=2),
            refresh_hash=new_hash(),
            prev_refresh_hash=record.refresh_hash,
            rotated_at=clock(),
        )
        updated = await store.update(
            record.handle,
            patch,
            expected_version=None,
            expected_refresh_hash=record.refresh_hash,
            now=clock(),
        )
        expected = replace(record, version=2, **patch.changes())  # type: ignore[arg-type]
        assert updated == expected
        assert await store.get(record.handle) == expected

    @pytest.mark.parametrize("which", ["other", "previous", "prefix"])
    async def test_any_other_hash_changes_nothing(
        self, store: AsyncStore, clock: MutableClock, which: str
    ) -> None:
        record = new_record(clock(), prev_refresh_hash=new_hash())
        await store.create(record)
        presented = {
            "other": new_hash(),
            "previous": record.prev_refresh_hash,
            "prefix": record.refresh_hash[:32],
        }[which]
        patch = SessionPatch(refresh_hash=new_hash(), session_data={"x": 1})
        assert (
            await store.update(
                record.handle,
                patch,
                expected_version=None,
                expected_refresh_hash=presented,
                now=clock(),
            )
            is None
        )
        assert await store.get(record.handle) == record

    async def test_hash_and_version_must_both_match(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(session_data={"x": 1})
        for version, current in ((2, record.refresh_hash), (1, new_hash())):
            assert (
                await store.update(
                    record.handle,
                    patch,
                    expected_version=version,
                    expected_refresh_hash=current,
                    now=clock(),
                )
                is None
            )
        assert await store.get(record.handle) == record
        updated = await store.update(
            record.handle,
            patch,
            expected_version=1,
            expected_refresh_hash=record.refresh_hash,
            now=clock(),
        )
        assert updated == replace(record, version=2, session_data={"x": 1})

    async def test_expired_record_is_not_rotated(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=10))
        await store.create(record)
        later = clock.advance(minutes=10)
        patch = SessionPatch(expires_at=later + timedelta(hours=1), refresh_hash=new_hash())
        assert (
            await store.update(
                record.handle,
                patch,
                expected_version=None,
                expected_refresh_hash=record.refresh_hash,
                now=later,
            )
            is None
        )
        assert await store.get(record.handle) in (None, record)

    async def test_a_used_hash_does_not_match_twice(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        child = new_hash()
        patch = SessionPatch(refresh_hash=child, prev_refresh_hash=record.refresh_hash)
        results = [
            await store.update(
                record.handle,
                patch,
                expected_version=None,
                expected_refresh_hash=record.refresh_hash,
                now=clock(),
            )
            for _ in range(2)
        ]
        assert results[1] is None
        assert results[0] is not None
        assert await store.get(record.handle) == results[0]


class AsyncDeadlineRuleTests:
    """`update` never moves ``expires_at`` past the record's ``absolute_deadline``."""

    async def test_expiry_past_the_deadline_changes_nothing(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        deadline = clock() + timedelta(hours=3)
        record = new_record(clock(), absolute_deadline=deadline)
        await store.create(record)
        patch = SessionPatch(
            expires_at=deadline + timedelta(milliseconds=1), session_data={"x": 1}
        )
        for version in (None, 1):
            assert (
                await store.update(record.handle, patch, expected_version=version, now=clock())
                is None
            )
        assert await store.get(record.handle) == record

    @pytest.mark.parametrize("before", [timedelta(0), timedelta(hours=1)])
    async def test_expiry_up_to_the_deadline_updates(
        self, store: AsyncStore, clock: MutableClock, before: timedelta
    ) -> None:
        deadline = clock() + timedelta(hours=3)
        record = new_record(clock(), absolute_deadline=deadline)
        await store.create(record)
        patch = SessionPatch(expires_at=deadline - before)
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated == replace(record, version=2, expires_at=deadline - before)

    async def test_without_a_deadline_any_expiry_updates(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        far = clock() + timedelta(days=3650)
        updated = await store.update(
            record.handle, SessionPatch(expires_at=far), expected_version=None, now=clock()
        )
        assert updated == replace(record, version=2, expires_at=far)

    async def test_patches_leaving_expiry_alone_ignore_the_deadline(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), absolute_deadline=clock() + timedelta(hours=1))
        await store.create(record)
        patch = SessionPatch(session_data={"x": 1})
        updated = await store.update(record.handle, patch, expected_version=None, now=clock())
        assert updated == replace(record, version=2, session_data={"x": 1})


__all__ = [
    "AsyncUpdateTests",
    "AsyncUpdateIsUpdateOnlyTests",
    "AsyncCompareAndSetTests",
    "AsyncRefreshHashConditionTests",
    "AsyncDeadlineRuleTests",
]
