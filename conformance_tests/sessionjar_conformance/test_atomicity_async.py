"""Conformance: every check-and-write of the protocol is atomic, round after round (async version).

Each test races many callers on one record or key, several rounds over, and checks the
outcome only an atomic store can give. A store that reads, checks and then writes in a
second step loses these races in essentially every run: one interleaving in one round is
enough, and the rounds multiply the chances.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from sessionjar import AsyncStore, DuplicateHandle, SessionPatch, SessionRecord
from sessionjar_conformance._acompat import aparallel
from sessionjar_conformance._helpers import (
    MutableClock,
    new_handle,
    new_hash,
    new_record,
    new_signing_key,
)

ROUNDS: Final = 10
"""Races per test."""
CONTENDERS: Final = 16
"""Callers per race."""
_MIDDLE: Final = CONTENDERS // 2


def _single_winner(results: list[object]) -> object:
    """Return the one result that is not `None`, failing unless there is exactly one."""
    assert [r for r in results if isinstance(r, BaseException)] == []
    winners = [r for r in results if r is not None]
    assert len(winners) == 1, results
    return winners[0]


async def _race_create(store: AsyncStore, clock: MutableClock) -> None:
    handle = new_handle()
    rivals = [new_record(clock(), handle=handle, session_data={"n": n}) for n in range(CONTENDERS)]

    async def create(index: int) -> None:
        await store.create(rivals[index])

    results = await aparallel(CONTENDERS, create)
    winners = [n for n, result in enumerate(results) if result is None]
    assert len(winners) == 1, results
    assert {type(r) for r in results if r is not None} <= {DuplicateHandle}, results
    assert await store.get(handle) == rivals[winners[0]]


async def _race_version(store: AsyncStore, clock: MutableClock, handle: str, version: int) -> None:
    async def update(index: int) -> object:
        patch = SessionPatch(session_data={"winner": index})
        return await store.update(handle, patch, expected_version=version, now=clock())

    winner = _single_winner(await aparallel(CONTENDERS, update))
    assert await store.get(handle) == winner


async def _race_refresh_hash(
    store: AsyncStore, clock: MutableClock, handle: str, current: str
) -> str:
    async def rotate(index: int) -> object:
        patch = SessionPatch(refresh_hash=new_hash(), prev_refresh_hash=current)
        return await store.update(
            handle, patch, expected_version=None, expected_refresh_hash=current, now=clock()
        )

    winner = _single_winner(await aparallel(CONTENDERS, rotate))
    assert isinstance(winner, SessionRecord)
    assert await store.get(handle) == winner
    return winner.refresh_hash


async def _race_expiry(store: AsyncStore, clock: MutableClock) -> None:
    record = new_record(clock())
    await store.create(record)
    now = clock()

    async def update(index: int) -> object:
        if index == _MIDDLE:
            patch = SessionPatch(expires_at=now)  # ends the session
        else:
            patch = SessionPatch(session_data={"n": index})
        return await store.update(record.handle, patch, expected_version=None, now=now)

    results = await aparallel(CONTENDERS, update)
    assert [r for r in results if isinstance(r, BaseException)] == []
    got = await store.get(record.handle)
    assert got is not None
    assert got.expires_at == now, "an update revived the session it raced"
    applied = [r for r in results if r is not None]
    assert got.version == 1 + len(applied), "an update was lost, or written to an expired session"


async def _race_delete_and_updates(store: AsyncStore, clock: MutableClock) -> None:
    record = new_record(clock())
    await store.create(record)

    async def act(index: int) -> object:
        if index == _MIDDLE:
            return await store.delete([record.handle])
        patch = SessionPatch(session_data={"n": index})
        return await store.update(record.handle, patch, expected_version=None, now=clock())

    results = await aparallel(CONTENDERS, act)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert results[_MIDDLE] == [record.handle]
    assert await store.get(record.handle) is None, "an update resurrected the session"


async def _race_delete(store: AsyncStore, clock: MutableClock) -> None:
    record = new_record(clock())
    await store.create(record)

    async def delete(index: int) -> list[str]:
        return await store.delete([record.handle])

    results = await aparallel(CONTENDERS, delete)
    assert results.count([record.handle]) == 1, results
    assert results.count([]) == CONTENDERS - 1, results


async def _race_signing_key(store: AsyncStore, clock: MutableClock) -> None:
    base = new_signing_key(clock())
    rivals = [replace(base, private_jwk={"kty": "oct", "k": f"k{n}"}) for n in range(CONTENDERS)]

    async def add(index: int) -> bool:
        return await store.add_signing_key(rivals[index])

    results = await aparallel(CONTENDERS, add)
    assert results.count(True) == 1, results
    assert results.count(False) == CONTENDERS - 1, results
    kept = [key for key in await store.list_signing_keys() if key.kid == base.kid]
    assert kept == [rivals[results.index(True)]]


class AsyncAtomicCreateTests:
    """Racing creates of one handle: exactly one inserts, the others raise `DuplicateHandle`."""

    async def test_one_create_of_a_handle_wins(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        for _ in range(ROUNDS):
            await _race_create(store, clock)


class AsyncAtomicUpdateTests:
    """Racing updates: each condition is checked in the same step as the write."""

    async def test_one_update_per_version_wins(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        for version in range(1, ROUNDS + 1):
            await _race_version(store, clock, record.handle, version)

    async def test_one_rotation_per_refresh_hash_wins(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        current = record.refresh_hash
        for _ in range(ROUNDS):
            current = await _race_refresh_hash(store, clock, record.handle, current)

    async def test_no_update_lands_after_expiry(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        for _ in range(ROUNDS):
            await _race_expiry(store, clock)

    async def test_no_update_resurrects_a_deleted_record(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        for _ in range(ROUNDS):
            await _race_delete_and_updates(store, clock)


class AsyncAtomicDeleteTests:
    """Racing deletes of one handle: exactly one reports it deleted."""

    async def test_one_delete_reports_the_handle(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        for _ in range(ROUNDS):
            await _race_delete(store, clock)


class AsyncAtomicSigningKeyTests:
    """Racing inserts of one ``kid``: exactly one reports it inserted, and that one is kept."""

    async def test_one_insert_of_a_kid_wins(self, store: AsyncStore, clock: MutableClock) -> None:
        for _ in range(ROUNDS):
            await _race_signing_key(store, clock)


__all__ = [
    "AsyncAtomicCreateTests",
    "AsyncAtomicUpdateTests",
    "AsyncAtomicDeleteTests",
    "AsyncAtomicSigningKeyTests",
]
