"""Conformance: per-user session limits and devices through core (async version).

Both stand only on the storage protocol (``list_sessions_for_user``, ``delete``, the
``device`` field), so every driver must keep them: the limit under racing sign-ins, the
device exactly as written.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from typing import Literal

import pytest

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    Client,
    SessionLimit,
    SessionLimitReached,
    SessionNotFound,
)
from sessionjar_conformance._acompat import aparallel, ato_thread
from sessionjar_conformance._helpers import MutableClock
from sessionjar_conformance._user_processes import sign_in_in_child
from sessionjar_conformance.capabilities import requires
from sessionjar_conformance.fixtures_async import (
    ACCESS_VALIDITY,
    REFRESH_VALIDITY,
    AsyncStoreFactory,
)

__all__ = ["AsyncSessionLimitTests", "AsyncDeviceApiTests"]

Policy = Literal["revoke_oldest", "refuse"]
LIMIT = 3
POLICIES: list[Policy] = ["revoke_oldest", "refuse"]


def _limited(store: AsyncStore, clock: MutableClock, policy: Policy) -> AsyncSessionManager:
    return AsyncSessionManager(
        store,
        access_token_validity=ACCESS_VALIDITY,
        refresh_token_validity=REFRESH_VALIDITY,
        session_limit=SessionLimit(LIMIT, policy),
        clock=clock,
    )


async def _refresh_all(manager: AsyncSessionManager, tokens: list[str | None]) -> None:
    """Refresh every session once: those past the limit are revoked on the way."""
    for token in tokens:
        if token is not None:
            with contextlib.suppress(SessionNotFound):
                await manager.refresh_session(token)


class AsyncSessionLimitTests:
    """Racing sign-ins leave a user at the limit, on the driver; a refresh keeps it so."""

    @pytest.mark.parametrize("policy", POLICIES)
    async def test_sign_ins_past_the_limit(
        self, store: AsyncStore, clock: MutableClock, policy: Policy
    ) -> None:
        manager = _limited(store, clock, policy)
        await manager.load_keys()
        for _ in range(LIMIT):
            await manager.create_session("alice")
        if policy == "refuse":
            with pytest.raises(SessionLimitReached):
                await manager.create_session("alice")
        else:
            await manager.create_session("alice")
        await manager.create_session("bob")
        assert len(await manager.get_all_session_handles_for_user("alice")) == LIMIT

    @requires("shared_namespace")
    @pytest.mark.parametrize("policy", POLICIES)
    async def test_racing_sign_ins(
        self,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
        policy: Policy,
    ) -> None:
        managers = [_limited(open_store(namespace), clock, policy) for _ in range(8)]
        for manager in managers:
            await manager.load_keys()

        async def sign_in(index: int) -> str | None:
            try:
                return (await managers[index].create_session("alice")).refresh_token
            except SessionLimitReached:
                return None

        results = await aparallel(len(managers), sign_in)
        tokens = [r for r in results if r is None or isinstance(r, str)]
        assert len(tokens) == len(results), results  # no other error
        assert len(await managers[0].get_all_session_handles_for_user("alice")) == LIMIT
        await _refresh_all(managers[0], tokens)
        assert len(await managers[0].get_all_session_handles_for_user("alice")) == LIMIT

    @requires("shared_namespace", "multi_process")
    @pytest.mark.parametrize("policy", POLICIES)
    async def test_racing_processes(
        self,
        make_store: AsyncStoreFactory,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
        policy: Policy,
    ) -> None:
        limit = SessionLimit(LIMIT, policy)
        jobs = [(make_store, namespace, clock(), limit) for _ in range(6)]
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            tokens = await ato_thread(pool.starmap, sign_in_in_child, jobs)
        manager = _limited(open_store(namespace), clock, policy)
        await manager.load_keys()
        assert len(await manager.get_all_session_handles_for_user("alice")) == LIMIT
        await _refresh_all(manager, tokens)
        assert len(await manager.get_all_session_handles_for_user("alice")) == LIMIT


class AsyncDeviceApiTests:
    """The device written at sign-in and refresh comes back from the driver as written."""

    async def test_devices_are_recorded_listed_and_revoked(
        self, manager: AsyncSessionManager, clock: MutableClock
    ) -> None:
        client = Client(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", ip="::1")
        laptop = await manager.create_session("alice", client=client)
        phone = await manager.create_session("alice")
        clock.advance(seconds=5)
        assert phone.refresh_token is not None
        phone_ua = "Mozilla/5.0 (Linux; Android 14) Chrome/131.0.0.0 Mobile Safari/537.36"
        await manager.refresh_session(
            phone.refresh_token, client=Client(user_agent=phone_ua, ip="198.51.100.20")
        )
        devices = {device.handle: device for device in await manager.list_devices("alice")}
        assert (devices[laptop.handle].user_agent, devices[laptop.handle].ip) == (
            "Firefox 133 on Linux",
            "::1",
        )
        assert (devices[phone.handle].user_agent, devices[phone.handle].ip) == (
            "Chrome 131 on Android",
            "198.51.100.20",
        )
        assert devices[phone.handle].last_refreshed_at > devices[laptop.handle].last_refreshed_at
        assert await manager.revoke_device("bob", laptop.handle) is False
        assert await manager.revoke_device("alice", laptop.handle) is True
        assert [device.handle for device in await manager.list_devices("alice")] == [phone.handle]
