"""Conformance: signing keys shared through the store (async version)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sessionjar import AsyncSession, AsyncSessionManager, AsyncStore
from sessionjar_conformance._acompat import aparallel, ato_thread
from sessionjar_conformance._helpers import MutableClock, header_kid, new_signing_key
from sessionjar_conformance._processes import create_session_in_child
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


class AsyncAutomaticKeysTests:
    """Managers racing to create the automatic keys in one namespace end with one key set."""

    @requires("shared_namespace")
    async def test_racing_managers_converge_on_one_key(
        self,
        open_store: AsyncStoreFactory,
        namespace: str,
        open_manager: Callable[[AsyncStore], AsyncSessionManager],
    ) -> None:
        managers = [open_manager(open_store(namespace)) for _ in range(8)]

        async def first_use(index: int) -> AsyncSession:
            return await managers[index].create_session(f"user{index}")

        results = await aparallel(len(managers), first_use)
        sessions = [r for r in results if isinstance(r, AsyncSession)]
        assert len(sessions) == len(managers), results
        assert len({header_kid(s.access_token) for s in sessions}) == 1
        await _assert_cross_verified(managers, sessions)

    @requires("shared_namespace", "multi_process")
    async def test_racing_processes_converge_on_one_key(
        self,
        make_store: AsyncStoreFactory,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
        open_manager: Callable[[AsyncStore], AsyncSessionManager],
    ) -> None:
        jobs = [(make_store, namespace, clock(), f"user{n}") for n in range(4)]
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            tokens = await ato_thread(pool.starmap, create_session_in_child, jobs)
        assert len({header_kid(access) for access, _ in tokens}) == 1
        manager = open_manager(open_store(namespace))
        await manager.load_keys()
        for access, refresh in tokens:
            await manager.get_session(access, check_database=True)
            await manager.refresh_session(refresh)


async def _assert_cross_verified(
    managers: list[AsyncSessionManager], sessions: list[AsyncSession]
) -> None:
    """Every manager verifies every access token and refreshes every session."""
    for index, session in enumerate(sessions):
        verifier = managers[(index + 1) % len(managers)]
        await verifier.get_session(session.access_token, check_database=True)
        assert session.refresh_token is not None
        await verifier.refresh_session(session.refresh_token)


__all__ = ["AsyncSigningKeyStorageTests", "AsyncSigningKeyRaceTests", "AsyncAutomaticKeysTests"]
