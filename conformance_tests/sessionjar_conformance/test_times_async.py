"""Conformance: every time comes back exactly, in UTC; every expiry boundary (async version)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sessionjar import AsyncStore, SessionPatch, SessionRecord, SigningKeyRecord
from sessionjar_conformance._helpers import MutableClock, new_hash, new_record, new_signing_key

_MS = timedelta(milliseconds=1)


def _assert_utc(moments: Iterable[datetime | None]) -> None:
    for moment in moments:
        assert moment is not None
        assert moment.utcoffset() == timedelta(0), f"{moment!r} is not in UTC"


def _session_times(record: SessionRecord | None) -> list[datetime | None]:
    assert record is not None
    return [record.created_at, record.expires_at, record.absolute_deadline, record.rotated_at]


def _key_times(key: SigningKeyRecord) -> list[datetime | None]:
    return [key.created_at, key.not_before, key.expires_at]


class AsyncTimeFidelityTests:
    """Every time the protocol returns is the instant given, to the millisecond, in UTC."""

    async def test_session_times_come_back_exact_and_utc(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        now = clock() + timedelta(milliseconds=1001)
        record = new_record(
            now,
            ttl=timedelta(minutes=5, milliseconds=7),
            absolute_deadline=now + timedelta(hours=8, milliseconds=13),
            rotated_at=now + timedelta(milliseconds=999),
            prev_refresh_hash=new_hash(),
        )
        await store.create(record)
        got = await store.get(record.handle)
        assert got == record
        _assert_utc(_session_times(got))

    async def test_updated_times_come_back_exact_and_utc(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), absolute_deadline=clock() + timedelta(hours=8))
        await store.create(record)
        expires = clock() + timedelta(hours=1, milliseconds=501)
        rotated = clock() + timedelta(milliseconds=999)
        patch = SessionPatch(expires_at=expires, rotated_at=rotated)
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        expected = replace(record, expires_at=expires, rotated_at=rotated, version=2)
        assert updated == expected
        _assert_utc(_session_times(updated))
        got = await store.get(record.handle)
        assert got == expected
        _assert_utc(_session_times(got))

    async def test_signing_key_times_come_back_exact_and_utc(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        now = clock() + timedelta(milliseconds=1)
        key = new_signing_key(
            now,
            not_before=now + timedelta(minutes=5, milliseconds=999),
            expires_at=now + timedelta(days=2, milliseconds=501),
        )
        await store.add_signing_key(key)
        (listed,) = await store.list_signing_keys()
        assert listed == key
        _assert_utc(_key_times(listed))


class AsyncSessionExpiryBoundaryTests:
    """A session is live while ``now < expires_at``, to the last millisecond."""

    async def test_live_one_millisecond_before_expiry(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5, milliseconds=1))
        await store.create(record)
        before = record.expires_at - _MS
        assert await store.list_for_user("public", "alice", now=before) == [record.handle]
        assert await store.delete_expired(now=before) == 0
        patch = SessionPatch(session_data={"seen": True})
        updated = await store.update(record.handle, patch, expected_version=1, now=before)
        assert updated == replace(record, session_data={"seen": True}, version=2)

    async def test_expired_exactly_at_expiry(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5, milliseconds=1))
        await store.create(record)
        at = record.expires_at
        assert await store.list_for_user("public", "alice", now=at) == []
        patch = SessionPatch(session_data={"seen": True})
        assert await store.update(record.handle, patch, expected_version=None, now=at) is None
        assert await store.delete_expired(now=at) == 1


class AsyncSigningKeyExpiryBoundaryTests:
    """A signing key is deleted once ``expires_at <= now``, and never for ``not_before``."""

    async def test_key_expiring_exactly_now_is_deleted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        key = new_signing_key(clock(), expires_at=clock() + timedelta(hours=1, milliseconds=1))
        await store.add_signing_key(key)
        assert await store.delete_expired(now=key.expires_at - _MS) == 0
        assert await store.list_signing_keys() == [key]
        assert await store.delete_expired(now=key.expires_at) == 0
        assert await store.list_signing_keys() == []

    async def test_key_not_valid_yet_is_kept(self, store: AsyncStore, clock: MutableClock) -> None:
        later = clock() + timedelta(hours=2)
        key = new_signing_key(clock(), not_before=later, expires_at=later + timedelta(days=1))
        await store.add_signing_key(key)
        assert await store.list_signing_keys() == [key]
        assert await store.delete_expired(now=clock.advance(hours=1)) == 0
        assert await store.list_signing_keys() == [key]


__all__ = [
    "AsyncTimeFidelityTests",
    "AsyncSessionExpiryBoundaryTests",
    "AsyncSigningKeyExpiryBoundaryTests",
]
