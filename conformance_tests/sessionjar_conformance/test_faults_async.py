"""Conformance: a dead backend raises `StorageUnavailable`; core fails closed (async version)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

import pytest

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    SessionPatch,
    SigningKey,
    StorageUnavailable,
)
from sessionjar_conformance._helpers import MutableClock, new_handle, new_record, new_signing_key
from sessionjar_conformance.capabilities import requires
from sessionjar_conformance.fixtures_async import AsyncStoreFactory

_NOW: Final = MutableClock()
PROTOCOL_CALLS: Final[dict[str, Callable[[AsyncStore], Any]]] = {
    "create": lambda s: s.create(new_record(_NOW())),
    "get": lambda s: s.get(new_handle()),
    "update": lambda s: s.update(
        new_handle(), SessionPatch(session_data={}), expected_version=None, now=_NOW()
    ),
    "delete": lambda s: s.delete([new_handle()]),
    "delete_for_user": lambda s: s.delete_for_user("public", "alice"),
    "list_for_user": lambda s: s.list_for_user("public", "alice", now=_NOW()),
    "list_sessions_for_user": lambda s: s.list_sessions_for_user("public", "alice", now=_NOW()),
    "delete_expired": lambda s: s.delete_expired(now=_NOW()),
    "add_signing_key": lambda s: s.add_signing_key(new_signing_key(_NOW())),
    "list_signing_keys": lambda s: s.list_signing_keys(),
}
"""One call of every protocol method that does I/O."""

_REFRESH_SECRET: Final = b"conformance-suite-refresh-secret-0123456789"


class AsyncUnreachableStoreTests:
    """Every protocol method of a store whose backend is down raises `StorageUnavailable`."""

    @requires("unreachable")
    @pytest.mark.parametrize("method", PROTOCOL_CALLS)
    async def test_method_raises_storage_unavailable(
        self, unreachable_store: AsyncStoreFactory | None, namespace: str, method: str
    ) -> None:
        assert unreachable_store is not None, "declare `unreachable` only with the fixture"
        store = unreachable_store(namespace)
        try:
            with pytest.raises(StorageUnavailable):
                await PROTOCOL_CALLS[method](store)
        finally:
            await store.close()


class AsyncFailClosedTests:
    """With the backend down, core never answers with a session."""

    @requires("unreachable")
    async def test_check_database_fails_closed(
        self,
        store: AsyncStore,
        unreachable_store: AsyncStoreFactory | None,
        namespace: str,
        clock: MutableClock,
    ) -> None:
        assert unreachable_store is not None, "declare `unreachable` only with the fixture"
        keys = [SigningKey.generate("EdDSA", kid="conformance")]
        live = AsyncSessionManager(store, keys=keys, refresh_secret=_REFRESH_SECRET, clock=clock)
        session = await live.create_session("alice")
        assert session.refresh_token is not None
        dead = AsyncSessionManager(
            unreachable_store(namespace),
            keys=keys,
            refresh_secret=_REFRESH_SECRET,
            clock=clock,
            refresh_token_validity=timedelta(hours=1),
        )
        try:
            # Verifying without the database needs no I/O and still works.
            assert (await dead.get_session(session.access_token)).handle == session.handle
            with pytest.raises(StorageUnavailable):
                await dead.get_session(session.access_token, check_database=True)
            with pytest.raises(StorageUnavailable):
                await dead.refresh_session(session.refresh_token)
            with pytest.raises(StorageUnavailable):
                await dead.create_session("alice")
            with pytest.raises(StorageUnavailable):
                await dead.get_session_information(session.handle)
        finally:
            await dead.close()


class AsyncClosedStoreTests:
    """A closed store raises `StorageUnavailable` from every method; closing again is harmless."""

    @pytest.mark.parametrize("method", PROTOCOL_CALLS)
    async def test_method_of_a_closed_store_raises(
        self, make_store: AsyncStoreFactory, namespace: str, method: str
    ) -> None:
        store = make_store(namespace)
        await store.list_signing_keys()
        await store.close()
        with pytest.raises(StorageUnavailable):
            await PROTOCOL_CALLS[method](store)
        await store.close()

    async def test_a_store_closed_before_use_raises(
        self, make_store: AsyncStoreFactory, namespace: str
    ) -> None:
        store = make_store(namespace)
        await store.close()
        with pytest.raises(StorageUnavailable):
            await store.get(new_handle())


__all__ = ["AsyncUnreachableStoreTests", "AsyncFailClosedTests", "AsyncClosedStoreTests"]
