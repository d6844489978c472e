"""Conformance: signing keys shared through the store (async version)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sessionjar import AsyncStore
from sessionjar_conformance._acompat import aparallel
from sessionjar_conformance._helpers import MutableClock, new_signing_key
from sessionjar_conformance.capabilities import requires
from sessionjar_conformance.fixtures_async import AsyncStoreFactory


class AsyncSigningKeyStorageTests:
    """`add_signing_key` inserts if absent; `list_signing_keys` returns them exactly."""

    async def test_no_keys_at_first(self, store: AsyncStore) -> None:
        assert await store.list_signing_keys() == []

    async def test_added_key_round_trips(self, store: AsyncStore, clock: MutableClock) -> None:
        key = new_signing_key(clock(), not_before=clock() + timedelta(minutes=5))
        assert await store.add_signing_key(key) is True
        assert await store.list_signing_keys() == [key]

    async def test_lists_every_key(self, store: AsyncStore, clock: MutableClock) -> None:
        keys = [new_signing_key(clock()) for _ in range(4)]
        for key in keys:
            assert await store.add_signing_key(key) is True
        listed = await store.list_signing_keys()
        assert sorted(listed, key=lambda k: k.kid) == sorted(keys, key=lambda k: k.kid)

    async def test_taken_kid_is_refused_and_kept(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        key = new_signing_key(clock(), kid="2026-11-27")
        assert await store.add_signing_key(key) is True
        rival = new_signing_key(clock(), kid="2026-11-27", algorithm="ES256")
        assert await store.add_signing_key(rival) is False
        assert await store.list_signing_keys() == [key]

    async def test_keys_survive_session_deletion(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        key = new_signing_key(clock())
        await store.add_signing_key(key)
        await store.delete_for_user("public", "alice")
        assert await store.delete_expired(now=clock()) == 0
        assert await store.list_signing_keys() == [key]


class AsyncSigningKeyRaceTests:
    """Racing inserts of one ``kid`` leave exactly one key: the one reported inserted."""

    async def test_parallel_inserts_on_one_store(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        base = new_signing_key(clock(), kid="next")
        candidates = [replace(base, private_jwk={"kty": "oct", "k": f"k{n}"}) for n in range(20)]

        async def add(index: int) -> bool:
            return await store.add_signing_key(candidates[index])

        results = await aparallel(len(candidates), add)
        assert results.count(True) == 1, results
        assert results.count(False) == len(candidates) - 1, results
        assert await store.list_signing_keys() == [candidates[results.index(True)]]

    @requires("shared_namespace")
    async def test_parallel_inserts_from_separate_stores(
        self, open_store: AsyncStoreFactory, namespace: str, clock: MutableClock
    ) -> None:
        stores = [open_store(namespace) for _ in range(8)]
        base = new_signing_key(clock(), kid="next")
        candidates = [replace(base, private_jwk={"kty": "oct", "k": f"k{n}"}) for n in range(8)]

        async def add(index: int) -> bool:
            return await stores[index].add_signing_key(candidates[index])

        results = await aparallel(len(stores), add)
        assert results.count(True) == 1, results
        winner = candidates[results.index(True)]
        for store in stores:
            assert await store.list_signing_keys() == [winner]


__all__ = ["AsyncSigningKeyStorageTests", "AsyncSigningKeyRaceTests"]
