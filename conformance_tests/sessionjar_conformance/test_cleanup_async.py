"""Conformance: deleting expired records in batches, from several callers (async version).

``delete_expired(now=..., limit=N)`` (storage protocol 4) deletes at most N expired
records per call and counts them; a count below N means none is left as of ``now``.
A clean-up job loops until then, and several machines may run it at once: each record
is deleted, and counted, by exactly one caller.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

import pytest

from sessionjar import AsyncStore, ConfigurationError, SessionRecord
from sessionjar_conformance._acompat import aparallel
from sessionjar_conformance._helpers import MutableClock, new_record, new_signing_key

CALLERS: Final = 8
"""Clean-up jobs racing on one namespace."""
ROUNDS: Final = 3
"""Races per test."""
BAD_LIMITS: Final[dict[str, Any]] = {
    "zero": 0,
    "negative": -1,
    "bool": True,
    "float": 2.0,
    "text": "2",
    "list": [2],
    "past int64": 2**63,
    "huge": 10**20,
}
"""Limits a store refuses with `ConfigurationError` before deleting anything."""


async def _expired(
    store: AsyncStore, clock: MutableClock, count: int, **fields: Any
) -> list[SessionRecord]:
    """Create ``count`` records that expire in a minute; return them."""
    records = [new_record(clock(), ttl=timedelta(minutes=1), **fields) for _ in range(count)]
    for record in records:
        await store.create(record)
    return records


async def _remaining(store: AsyncStore, records: list[SessionRecord]) -> int:
    return sum([await store.get(record.handle) is not None for record in records])


class AsyncDeleteExpiredLimitTests:
    """With ``limit``, `delete_expired` deletes and counts at most that many records."""

    async def test_deletes_at_most_the_limit(self, store: AsyncStore, clock: MutableClock) -> None:
        expired = await _expired(store, clock, 5)
        live = new_record(clock(), ttl=timedelta(hours=5))
        await store.create(live)
        assert await store.delete_expired(now=clock.advance(minutes=2), limit=2) == 2
        assert await _remaining(store, expired) == 3
        assert await store.get(live.handle) == live

    async def test_repeated_calls_drain_every_expired_record(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        expired = await _expired(store, clock, 7)
        live = new_record(clock(), ttl=timedelta(hours=5))
        await store.create(live)
        later = clock.advance(minutes=2)
        counts = [await store.delete_expired(now=later, limit=3) for _ in range(4)]
        assert counts == [3, 3, 1, 0]
        assert await _remaining(store, expired) == 0
        assert await store.get(live.handle) == live

    async def test_limit_above_the_expired_count_deletes_them_all(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        expired = await _expired(store, clock, 3)
        assert await store.delete_expired(now=clock.advance(minutes=2), limit=1000) == 3
        assert await _remaining(store, expired) == 0

    async def test_record_expiring_exactly_now_is_in_the_batch(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        (record,) = await _expired(store, clock, 1)
        before = record.expires_at - timedelta(milliseconds=1)
        assert await store.delete_expired(now=before, limit=5) == 0
        assert await store.delete_expired(now=record.expires_at, limit=5) == 1
        assert await store.get(record.handle) is None

    async def test_expired_signing_keys_go_in_a_limited_call(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        old = new_signing_key(clock(), expires_at=clock() + timedelta(minutes=1))
        current = new_signing_key(clock(), expires_at=clock() + timedelta(days=3))
        await store.add_signing_key(old)
        await store.add_signing_key(current)
        await _expired(store, clock, 3)
        assert await store.delete_expired(now=clock.advance(minutes=2), limit=1) == 1
        assert await store.list_signing_keys() == [current]

    @pytest.mark.parametrize("case", BAD_LIMITS)
    async def test_bad_limit_is_refused_and_deletes_nothing(
        self, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        expired = await _expired(store, clock, 3)
        key = new_signing_key(clock(), expires_at=clock() + timedelta(minutes=1))
        await store.add_signing_key(key)
        with pytest.raises(ConfigurationError):
            await store.delete_expired(now=clock.advance(minutes=2), limit=BAD_LIMITS[case])
        assert await _remaining(store, expired) == 3
        assert await store.list_signing_keys() == [key]


class AsyncRacingCleanupTests:
    """Racing clean-up loops delete and count every expired record exactly once."""

    async def test_each_record_is_counted_once(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        for _ in range(ROUNDS):
            await _race_cleanup(store, clock)


async def _race_cleanup(store: AsyncStore, clock: MutableClock) -> None:
    expired = await _expired(store, clock, 40)
    live = new_record(clock(), ttl=timedelta(hours=5))
    await store.create(live)
    now = clock.advance(minutes=2)

    async def drain(index: int) -> int:
        total = 0
        # bounded: a store that keeps answering its limit fails the test instead of hanging it
        for _ in range(len(expired) + 1):
            count = await store.delete_expired(now=now, limit=3)
            total += count
            if count < 3:
                return total
        raise AssertionError("delete_expired kept deleting its limit past every record")

    counts = await aparallel(CALLERS, drain)
    assert [c for c in counts if isinstance(c, BaseException)] == []
    assert sum([c for c in counts if isinstance(c, int)]) == len(expired), counts
    assert await _remaining(store, expired) == 0
    assert await store.get(live.handle) == live


__all__ = ["AsyncDeleteExpiredLimitTests", "AsyncRacingCleanupTests"]
