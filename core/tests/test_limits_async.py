"""Tests of the manager's limits: session-data size, and live sessions per user under
both policies, with real races of sign-ins on the built-in stores."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from fix_manager import MakeAsync, aparallel_calls

import sessionjar
from sessionjar import (
    AsyncSession,
    AsyncSessionManager,
    AsyncStore,
    JSONObject,
    SessionDataTooLarge,
    SessionLimit,
    SessionLimitReached,
    SessionNotFound,
    StorageUnavailable,
)
from sessionjar.testing import ManualClock

KIB = 1024


class Revocations:
    """Records the handles `sessionjar_sessions_revoked` reports."""

    def __init__(self) -> None:
        self.handles: list[str] = []

    @sessionjar.hookimpl
    def sessionjar_sessions_revoked(
        self, handles: list[str], user_id: str | None, tenant: str | None
    ) -> None:
        assert (user_id, tenant) == ("alice", "public")
        self.handles += handles


@pytest.fixture
def revocations() -> Iterator[Revocations]:
    plugin = Revocations()
    sessionjar.register_hooks(plugin)
    yield plugin
    sessionjar.unregister_hooks(plugin)


async def _limited(make_amanager: MakeAsync, limit: SessionLimit) -> AsyncSessionManager:
    manager = make_amanager(session_limit=limit)
    await manager.load_keys()
    return manager


async def _handles(manager: AsyncSessionManager) -> set[str]:
    return set(await manager.get_all_session_handles_for_user("alice"))


class TestDataSize:
    async def test_the_default_is_64_kib_of_stored_json(
        self, amanager: AsyncSessionManager
    ) -> None:
        fits: JSONObject = {"k": "x" * (64 * KIB - len('{"k":""}'))}
        session = await amanager.create_session("alice", session_data=fits)
        with pytest.raises(SessionDataTooLarge) as caught:
            await amanager.create_session("alice", session_data={"k": "x" * 64 * KIB})
        assert caught.value.limit == 64 * KIB
        assert await _handles(amanager) == {session.handle}

    async def test_every_write_of_data_is_checked_and_nothing_stored(
        self, make_amanager: MakeAsync
    ) -> None:
        manager = make_amanager(max_session_data_size=20)
        await manager.load_keys()
        session = await manager.create_session("alice", session_data={"a": 1})
        big: JSONObject = {"a": "0123456789abcdef"}
        with pytest.raises(SessionDataTooLarge):
            await session.update_session_data(big)
        with pytest.raises(SessionDataTooLarge):
            await session.merge_session_data({"b": "0123456789abcdef"})
        with pytest.raises(SessionDataTooLarge):
            await session.compare_and_set_session_data({"a": 1}, big)
        assert await session.get_session_data() == {"a": 1}
        await session.merge_session_data({"b": 2})  # small enough: written
        assert await session.get_session_data() == {"a": 1, "b": 2}

    async def test_none_turns_the_check_off(self, make_amanager: MakeAsync) -> None:
        manager = make_amanager(max_session_data_size=None)
        await manager.load_keys()
        session = await manager.create_session("alice", session_data={"k": "x" * 100 * KIB})
        assert len(str(await session.get_session_data())) > 100 * KIB

    async def test_the_payload_is_not_session_data(self, make_amanager: MakeAsync) -> None:
        manager = make_amanager(max_session_data_size=2)
        await manager.load_keys()
        session = await manager.create_session("alice", access_payload={"role": "admin"})
        await session.update_jwt_payload({"role": "user"})


class TestRevokeOldest:
    async def test_the_newest_sessions_are_kept(
        self, make_amanager: MakeAsync, clock: ManualClock, revocations: Revocations
    ) -> None:
        manager = await _limited(make_amanager, SessionLimit(2))
        sessions = []
        for _ in range(4):
            sessions.append(await manager.create_session("alice"))
            clock.advance(seconds=1)
        assert await _handles(manager) == {sessions[2].handle, sessions[3].handle}
        assert revocations.handles == [sessions[0].handle, sessions[1].handle]
        assert sessions[0].refresh_token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(sessions[0].refresh_token)

    async def test_the_one_signing_in_now_wins_in_the_same_millisecond(
        self, make_amanager: MakeAsync, revocations: Revocations
    ) -> None:
        # the clock stands still: every session ties on created_at, and half the time
        # the new one's handle ranks it oldest
        manager = await _limited(make_amanager, SessionLimit(1))
        previous = await manager.create_session("alice")
        for _ in range(20):
            session = await manager.create_session("alice")
            assert await _handles(manager) == {session.handle}
            assert revocations.handles[-1] == previous.handle
            previous = session
        assert session.refresh_token is not None
        await manager.refresh_session(session.refresh_token)

    async def test_other_users_and_tenants_do_not_count(self, make_amanager: MakeAsync) -> None:
        manager = await _limited(make_amanager, SessionLimit(1))
        mine = await manager.create_session("alice")
        await manager.create_session("bob")
        await manager.create_session("alice", tenant="acme")
        await manager.create_session("Alice")
        assert await _handles(manager) == {mine.handle}

    async def test_expired_sessions_do_not_count(
        self, make_amanager: MakeAsync, clock: ManualClock
    ) -> None:
        manager = await _limited(make_amanager, SessionLimit(1, "refuse"))
        await manager.create_session("alice")
        clock.advance(days=31)
        await manager.create_session("alice")  # the first has expired: room for one

    async def test_sign_in_costs_one_read_after_the_insert(
        self, make_amanager: MakeAsync, clock: ManualClock
    ) -> None:
        calls: list[str] = []
        manager = make_amanager(session_limit=SessionLimit(1), calls=calls)
        await manager.load_keys()
        await manager.create_session("alice")
        clock.advance(seconds=1)
        calls.clear()
        await manager.create_session("alice")
        assert calls == ["create", "list_sessions_for_user", "delete"]


class TestRefuse:
    async def test_a_sign_in_past_the_limit_is_refused_and_nothing_kept(
        self, make_amanager: MakeAsync
    ) -> None:
        calls: list[str] = []
        manager = make_amanager(session_limit=SessionLimit(2, "refuse"), calls=calls)
        await manager.load_keys()
        kept = {(await manager.create_session("alice")).handle for _ in range(2)}
        calls.clear()
        with pytest.raises(SessionLimitReached) as caught:
            await manager.create_session("alice")
        assert (caught.value.user_id, caught.value.tenant, caught.value.limit) == (
            "alice",
            "public",
            2,
        )
        assert calls == ["list_sessions_for_user"]  # refused before anything is written
        assert await _handles(manager) == kept

    async def test_signing_out_makes_room(self, make_amanager: MakeAsync) -> None:
        manager = await _limited(make_amanager, SessionLimit(1, "refuse"))
        first = await manager.create_session("alice")
        await first.revoke_session()
        await manager.create_session("alice")

    async def test_a_new_session_that_lost_the_race_deletes_itself(
        self, make_amanager: MakeAsync, store_url: str, clock: ManualClock
    ) -> None:
        # another process's sign-in, a moment older, lands between this one's check and
        # its insert
        rival = make_amanager(clock=ManualClock(clock.now - timedelta(seconds=1)))
        await rival.load_keys()
        store = RivalStore(sessionjar.open_async_store(store_url), rival)
        manager = AsyncSessionManager(store, clock=clock, session_limit=SessionLimit(1, "refuse"))
        async with manager:
            with pytest.raises(SessionLimitReached):
                await manager.create_session("alice")
            assert await _handles(manager) == {store.rival_handle}


class RivalStore:
    """A real store where a rival signs the user in right after the first list."""

    def __init__(self, store: AsyncStore, rival: AsyncSessionManager) -> None:
        self._store = store
        self._rival = rival
        self.rival_handle: str | None = None
        self.protocol_version = store.protocol_version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def list_sessions_for_user(self, tenant: str, user_id: str, *, now: Any) -> Any:
        records = await self._store.list_sessions_for_user(tenant, user_id, now=now)
        if self.rival_handle is None:
            self.rival_handle = (await self._rival.create_session(user_id)).handle
        return records


class FailingStore:
    """A real store whose ``list_sessions_for_user`` fails once, at call ``fail_at``."""

    def __init__(self, store: AsyncStore, fail_at: int) -> None:
        self._store = store
        self._calls_left = fail_at
        self.protocol_version = store.protocol_version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def list_sessions_for_user(self, tenant: str, user_id: str, *, now: Any) -> Any:
        self._calls_left -= 1
        if self._calls_left == 0:
            raise StorageUnavailable("the store went away")
        return await self._store.list_sessions_for_user(tenant, user_id, now=now)


class TestStoreFailures:
    async def test_a_failed_check_after_a_refresh_keeps_the_rotation(
        self, store_url: str, clock: ManualClock
    ) -> None:
        # sign-in lists once; the refresh's check fails
        store = FailingStore(sessionjar.open_async_store(store_url), fail_at=2)
        manager = AsyncSessionManager(store, clock=clock, session_limit=SessionLimit(2))
        async with manager:
            session = await manager.create_session("alice")
            assert session.refresh_token is not None
            refreshed = await manager.refresh_session(session.refresh_token)
            assert refreshed.refresh_token is not None
            clock.advance(minutes=10)  # past the grace window: the old token is gone
            again = await manager.refresh_session(refreshed.refresh_token)
            assert await _handles(manager) == {again.handle}

    async def test_a_failed_check_after_a_refused_sign_in_keeps_nothing(
        self, store_url: str, clock: ManualClock
    ) -> None:
        # the check before the insert lists once; the one after it fails
        store = FailingStore(sessionjar.open_async_store(store_url), fail_at=2)
        limit = SessionLimit(1, "refuse")
        manager = AsyncSessionManager(store, clock=clock, session_limit=limit)
        async with manager:
            with pytest.raises(StorageUnavailable):
                await manager.create_session("alice")
            assert await _handles(manager) == set()
            retried = await manager.create_session("alice")
            assert await _handles(manager) == {retried.handle}


class TestRefresh:
    """Sessions past the limit (two sign-ins raced, or the limit was lowered) are
    revoked at the next refresh of any session of the user."""

    async def _over_the_limit(
        self, make_amanager: MakeAsync, clock: ManualClock, limit: SessionLimit
    ) -> tuple[AsyncSessionManager, list[AsyncSession]]:
        unlimited = make_amanager()
        await unlimited.load_keys()
        sessions = []
        for _ in range(3):
            sessions.append(await unlimited.create_session("alice"))
            clock.advance(seconds=1)
        return await _limited(make_amanager, limit), sessions

    @pytest.mark.parametrize(("policy", "beyond"), [("revoke_oldest", 0), ("refuse", 2)])
    async def test_a_session_past_the_limit_is_revoked_at_its_refresh(
        self, make_amanager: MakeAsync, clock: ManualClock, policy: str, beyond: int
    ) -> None:
        limit = SessionLimit(2, policy)  # type: ignore[arg-type]
        manager, sessions = await self._over_the_limit(make_amanager, clock, limit)
        token = sessions[beyond].refresh_token
        assert token is not None
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(token)
        expected = {session.handle for session in sessions} - {sessions[beyond].handle}
        assert await _handles(manager) == expected

    async def test_a_kept_session_refreshes_and_revokes_the_others(
        self, make_amanager: MakeAsync, clock: ManualClock, revocations: Revocations
    ) -> None:
        manager, sessions = await self._over_the_limit(make_amanager, clock, SessionLimit(1))
        token = sessions[2].refresh_token
        assert token is not None
        refreshed = await manager.refresh_session(token)
        assert await _handles(manager) == {refreshed.handle}
        assert sorted(revocations.handles) == sorted([s.handle for s in sessions[:2]])


@pytest.mark.parametrize("policy", ["revoke_oldest", "refuse"])
async def test_racing_sign_ins_leave_the_user_at_the_limit(
    make_amanager: MakeAsync, policy: str
) -> None:
    # one manager (and store connection) per sign-in, as in separate processes; the
    # clock stands still, so every session ties on created_at and the handle decides
    limit = SessionLimit(3, policy)  # type: ignore[arg-type]
    managers = [await _limited(make_amanager, limit) for _ in range(8)]

    async def sign_in(manager: AsyncSessionManager) -> AsyncSession | None:
        try:
            return await manager.create_session("alice")
        except SessionLimitReached:
            return None

    signed_in = await aparallel_calls([partial(sign_in, manager) for manager in managers])
    assert len(await _handles(managers[0])) == 3
    for session in signed_in:
        if session is not None and session.refresh_token is not None:
            with contextlib.suppress(SessionNotFound):
                await managers[0].refresh_session(session.refresh_token)
    assert len(await _handles(managers[0])) == 3
