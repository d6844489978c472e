"""Tests of the atomic merges and the explicit compare-and-set of session data and
access-token payloads: no lost key under real races, no resurrection, bounded retries."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fix_manager import MakeAsync, aparallel_calls

import sessionjar
from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    ConfigurationError,
    SessionNotFound,
    SessionPatch,
    UpdateConflict,
)
from sessionjar.testing import ManualClock

Interference = Callable[[AsyncStore, str], Any]


class InterferingStore:
    """Wraps a real store; right after each ``get`` another writer acts on the record."""

    def __init__(self, store: AsyncStore, interfere: Interference) -> None:
        self._store = store
        self._interfere = interfere
        self.protocol_version = store.protocol_version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get(self, handle: str) -> Any:
        record = await self._store.get(handle)
        await self._interfere(self._store, handle)
        return record


async def _interfered(store_url: str, clock: ManualClock, interfere: Interference) -> Any:
    store = InterferingStore(sessionjar.open_async_store(store_url), interfere)
    manager = AsyncSessionManager(store, clock=clock)
    await manager.load_keys()
    return manager


async def test_merge_changes_only_the_keys_named(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice", session_data={"a": 1, "b": 2})
    written = await session.merge_session_data({"b": None, "c": [3]})
    assert written == {"a": 1, "c": [3]}
    assert await session.get_session_data() == {"a": 1, "c": [3]}
    assert await amanager.merge_session_data(session.handle, {"a": 5}) == {"a": 5, "c": [3]}


async def test_concurrent_merges_lose_no_key(make_amanager: MakeAsync) -> None:
    managers = [make_amanager() for _ in range(4)]
    for manager in managers:
        await manager.load_keys()
    session = await managers[0].create_session("alice")
    merges: list[Callable[[], Any]] = [
        partial(managers[i % 4].merge_session_data, session.handle, {f"k{i}": i})
        for i in range(24)
    ]
    await aparallel_calls(merges)
    data = await session.get_session_data()
    assert data == {f"k{i}": i for i in range(24)}


async def test_concurrent_payload_merges_lose_no_key(make_amanager: MakeAsync) -> None:
    managers = [make_amanager() for _ in range(4)]
    for manager in managers:
        await manager.load_keys()
    session = await managers[0].create_session("alice", access_payload={"keep": True})
    merges: list[Callable[[], Any]] = [
        partial(managers[i % 4].merge_jwt_payload, session.handle, {f"k{i}": i}) for i in range(16)
    ]
    await aparallel_calls(merges)
    info = await managers[0].get_session_information(session.handle)
    assert info is not None
    assert info.access_payload == {"keep": True} | {f"k{i}": i for i in range(16)}


async def test_payload_merge_issues_a_token_with_the_merged_payload(
    amanager: AsyncSessionManager,
) -> None:
    session = await amanager.create_session("alice", access_payload={"a": 1, "b": 2})
    old_token = session.access_token
    await session.merge_jwt_payload({"a": None, "c": 3})
    assert session.access_token != old_token
    assert session.get_jwt_payload() == {"b": 2, "c": 3}
    verified = await amanager.get_session(session.access_token)
    assert verified.get_jwt_payload() == {"b": 2, "c": 3}
    assert verified.access_token_expires_at == session.access_token_expires_at


@pytest.mark.parametrize("patch", [{"sub": "mallory"}, {"sid": None}, {"exp": 1, "x": 1}])
async def test_payload_merge_never_touches_protected_claims(
    amanager: AsyncSessionManager, patch: dict[str, Any]
) -> None:
    session = await amanager.create_session("alice", access_payload={"x": 0})
    token = session.access_token
    with pytest.raises(ConfigurationError, match="protected claims"):
        await session.merge_jwt_payload(patch)
    assert session.access_token == token
    info = await amanager.get_session_information(session.handle)
    assert info is not None
    assert info.access_payload == {"x": 0}


async def test_merge_of_a_revoked_session_is_refused(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice")
    await amanager.revoke_session(session.handle)
    with pytest.raises(SessionNotFound):
        await session.merge_session_data({"a": 1})
    with pytest.raises(SessionNotFound):
        await session.merge_jwt_payload({"a": 1})


async def test_revoked_during_a_merge_stays_revoked(store_url: str, clock: ManualClock) -> None:
    async def revoke(store: AsyncStore, handle: str) -> None:
        await store.delete([handle])

    manager = await _interfered(store_url, clock, revoke)
    async with manager:
        session = await manager.create_session("alice")
        with pytest.raises(SessionNotFound) as caught:
            await manager.merge_session_data(session.handle, {"a": 1})
        assert caught.value.handle == session.handle
        assert await manager.get_session_information(session.handle) is None


async def test_merge_gives_up_after_its_retry_bound(store_url: str, clock: ManualClock) -> None:
    async def write(store: AsyncStore, handle: str) -> None:
        patch = SessionPatch(session_data={"other": "writer"})
        await store.update(handle, patch, expected_version=None, now=clock())

    manager = await _interfered(store_url, clock, write)
    async with manager:
        session = await manager.create_session("alice")
        with pytest.raises(UpdateConflict) as caught:
            await manager.merge_session_data(session.handle, {"a": 1})
        assert (caught.value.handle, caught.value.attempts) == (session.handle, 16)
        info = await manager.get_session_information(session.handle)
        assert info is not None
        assert info.session_data == {"other": "writer"}


async def test_compare_and_set_writes_when_unchanged(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice", session_data={"n": 1})
    read = await session.get_session_data()
    await session.compare_and_set_session_data(read, {"n": 2})
    assert await session.get_session_data() == {"n": 2}


async def test_compare_and_set_refuses_a_changed_read(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice", session_data={"n": 1})
    read = await session.get_session_data()
    await amanager.update_session_data(session.handle, {"n": 7})
    with pytest.raises(UpdateConflict) as caught:
        await amanager.compare_and_set_session_data(session.handle, read, {"n": 2})
    assert (caught.value.handle, caught.value.field) == (session.handle, "session_data")
    assert await session.get_session_data() == {"n": 7}
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 (our own bytes)
    assert (type(copy), copy.handle, copy.field, copy.attempts, str(copy)) == (
        UpdateConflict,
        session.handle,
        "session_data",
        1,
        str(caught.value),
    )


async def test_compare_and_set_of_a_revoked_session_is_refused(
    amanager: AsyncSessionManager,
) -> None:
    session = await amanager.create_session("alice", session_data={"n": 1})
    await session.revoke_session()
    with pytest.raises(SessionNotFound):
        await session.compare_and_set_session_data({"n": 1}, {"n": 2})
    assert await amanager.get_session_information(session.handle) is None


def test_update_conflict_is_an_application_error() -> None:
    assert issubclass(UpdateConflict, sessionjar.SessionjarError)
    assert not issubclass(UpdateConflict, sessionjar.ClientError)
