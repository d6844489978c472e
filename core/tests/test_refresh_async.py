"""Tests of refresh-token rotation: sliding expiry, grace window, theft, races."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from fix_manager import MakeAsync, aparallel_calls

from sessionjar import (
    AsyncSessionManager,
    InvalidTokenError,
    SessionNotFound,
    SessionRecord,
    TokenTheftDetected,
    TryRefreshToken,
)
from sessionjar._acompat import asleep
from sessionjar.testing import ManualClock


async def _tokens(manager: AsyncSessionManager, user: str = "alice") -> tuple[str, str]:
    session = await manager.create_session(user, access_payload={"p": 1})
    assert session.refresh_token is not None
    return session.handle, session.refresh_token


def _without_key_loads(calls: list[str]) -> list[str]:
    # days on the clock bring key rotations, which load and add signing keys
    return [name for name in calls if "signing_key" not in name]


async def test_refresh_rotates_and_slides_expiry(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    handle, first = await _tokens(amanager)
    clock.advance(days=10)
    refreshed = await amanager.refresh_session(first)
    assert refreshed.handle == handle
    assert refreshed.refresh_token is not None
    assert refreshed.refresh_token != first
    assert refreshed.get_jwt_payload() == {"p": 1}
    assert refreshed.access_token_expires_at == clock.now + timedelta(minutes=15)
    info = await amanager.get_session_information(handle)
    assert info is not None
    assert info.expires_at == clock.now + timedelta(days=30)
    verified = await amanager.get_session(refreshed.access_token, check_database=True)
    assert verified.user_id == "alice"


async def test_refresh_keeps_a_session_alive_past_its_first_expiry(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    handle, token = await _tokens(amanager)
    for _ in range(4):
        clock.advance(days=20)
        session = await amanager.refresh_session(token)
        assert session.refresh_token is not None
        token = session.refresh_token
    assert await amanager.get_session_information(handle) is not None


async def test_expiry_never_slides_past_the_absolute_deadline(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    manager = make_amanager(absolute_lifetime=timedelta(days=40))
    handle, token = await _tokens(manager)
    deadline = clock.now + timedelta(days=40)
    clock.advance(days=25)
    session = await manager.refresh_session(token)
    info = await manager.get_session_information(handle)
    assert info is not None
    assert info.expires_at == deadline
    clock.advance(days=15)
    assert session.refresh_token is not None
    with pytest.raises(SessionNotFound):
        await manager.refresh_session(session.refresh_token)


async def test_near_the_deadline_refresh_reads_and_caps_the_expiry(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(absolute_lifetime=timedelta(days=40), calls=calls)
    deadline = clock.now + timedelta(days=40)
    handle, token = await _tokens(manager)
    clock.advance(days=5)
    calls.clear()
    session = await manager.refresh_session(token)
    assert _without_key_loads(calls) == ["update"]  # day 35 is before the deadline: no read
    clock.advance(days=10)
    calls.clear()
    assert session.refresh_token is not None
    await manager.refresh_session(session.refresh_token)
    # day 45 would pass the deadline: read, then compare-and-set the capped expiry
    assert _without_key_loads(calls) == ["update", "get", "update"]
    info = await manager.get_session_information(handle)
    assert info is not None
    assert info.expires_at == deadline


async def test_no_token_outlives_the_absolute_deadline(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    manager = make_amanager(absolute_lifetime=timedelta(minutes=20))
    deadline = clock.now + timedelta(minutes=20)
    handle, token = await _tokens(manager)
    clock.advance(minutes=10)
    session = await manager.refresh_session(token)
    assert session.access_token_expires_at == deadline  # not ten minutes later, when 15 would end
    assert (await manager.get_session(session.access_token)).access_token_expires_at == deadline
    clock.advance(minutes=10)
    with pytest.raises(TryRefreshToken):
        await manager.get_session(session.access_token)
    assert session.refresh_token is not None
    with pytest.raises(SessionNotFound):
        await manager.refresh_session(session.refresh_token)
    assert await manager.get_session_information(handle) is None


async def test_refresh_is_one_conditional_write(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    handle, token = await _tokens(manager)
    clock.advance(days=1)
    calls.clear()
    refreshed = await manager.refresh_session(token)
    assert calls == ["update"]
    assert (refreshed.handle, refreshed.user_id) == (handle, "alice")
    assert refreshed.get_jwt_payload() == {"p": 1}
    info = await manager.get_session_information(handle)
    assert info is not None
    assert info.expires_at == clock.now + timedelta(days=30)


async def test_previous_token_within_grace_gets_the_same_child_without_a_write(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    handle, parent = await _tokens(manager)
    child = await manager.refresh_session(parent)
    rotated = await manager._store.get(handle)
    clock.advance(seconds=29)
    calls.clear()
    again = await manager.refresh_session(parent)
    assert calls == ["update", "get"]  # the conditional write matched nothing
    assert await manager._store.get(handle) == rotated
    assert again.refresh_token == child.refresh_token
    assert again.handle == child.handle


async def test_previous_token_after_grace_is_theft(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    handle, parent = await _tokens(amanager)
    child = await amanager.refresh_session(parent)
    clock.advance(seconds=30)
    with pytest.raises(TokenTheftDetected) as caught:
        await amanager.refresh_session(parent)
    assert (caught.value.handle, caught.value.user_id) == (handle, "alice")
    assert await amanager.get_session_information(handle) is None
    assert child.refresh_token is not None
    with pytest.raises(SessionNotFound):
        await amanager.refresh_session(child.refresh_token)


async def test_an_older_ancestor_is_theft(amanager: AsyncSessionManager) -> None:
    handle, first = await _tokens(amanager)
    second = await amanager.refresh_session(first)
    assert second.refresh_token is not None
    await amanager.refresh_session(second.refresh_token)
    with pytest.raises(TokenTheftDetected):
        await amanager.refresh_session(first)
    assert await amanager.get_all_session_handles_for_user("alice") == []
    assert handle not in await amanager.revoke_all_sessions_for_user("alice")


async def test_zero_grace_window_makes_any_reuse_theft(make_amanager: MakeAsync) -> None:
    manager = make_amanager(grace_window=timedelta(0))
    _, parent = await _tokens(manager)
    await manager.refresh_session(parent)
    with pytest.raises(TokenTheftDetected):
        await manager.refresh_session(parent)


async def test_a_forged_secret_leaves_the_session_alone(amanager: AsyncSessionManager) -> None:
    handle, token = await _tokens(amanager)
    secret = token.partition(".")[2]
    forged = f"{handle}.{secret[:-2]}{'AA' if secret[-2:] != 'AA' else 'BA'}"
    with pytest.raises(InvalidTokenError):
        await amanager.refresh_session(forged)
    other_handle, _ = await _tokens(amanager, "bob")
    with pytest.raises(InvalidTokenError):
        await amanager.refresh_session(f"{other_handle}.{secret}")
    assert await amanager.get_session_information(handle) is not None
    assert (await amanager.refresh_session(token)).handle == handle


async def test_refresh_of_expired_session_is_not_found(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    _, token = await _tokens(amanager)
    clock.advance(days=30)
    with pytest.raises(SessionNotFound):
        await amanager.refresh_session(token)


async def test_another_process_refreshes_with_the_shared_refresh_key(
    make_amanager: MakeAsync,
) -> None:
    first = make_amanager()
    _, token = await _tokens(first)
    second = make_amanager()
    refreshed = await second.refresh_session(token)
    verified = await first.get_session(refreshed.access_token)
    assert verified.user_id == "alice"


async def test_parallel_refreshes_converge_on_one_child(
    make_amanager: MakeAsync,
) -> None:
    managers = [make_amanager() for _ in range(4)]
    handle, token = await _tokens(managers[0])
    results = await aparallel_calls([partial(m.refresh_session, token) for m in managers * 2])
    assert len({session.refresh_token for session in results}) == 1
    info = await managers[0].get_session_information(handle)
    assert info is not None
    child = results[0].refresh_token
    assert child is not None
    assert (await managers[1].refresh_session(child)).handle == handle


async def test_fifty_refreshes_of_one_token_at_once_converge_on_one_write(
    make_amanager: MakeAsync, monkeypatch: pytest.MonkeyPatch
) -> None:
    managers = [make_amanager() for _ in range(5)]
    handle, token = await _tokens(managers[0])
    gate = _WritesHeldBack(50)
    for manager in managers:
        gate.install(manager._store, monkeypatch)
    results = await aparallel_calls([partial(m.refresh_session, token) for m in managers * 10])
    assert len(results) == 50
    assert len({session.refresh_token for session in results}) == 1
    assert len({session.access_token for session in results}) == 1
    # all fifty tried to rotate the same token: one won, the rest read and reused its child
    assert len(gate.writes) == 50
    assert gate.writes.count(None) == 49
    stored = await managers[0]._store.get(handle)
    assert stored is not None
    assert stored.version == 2
    child = results[0].refresh_token
    assert child is not None
    assert (await managers[1].refresh_session(child)).handle == handle


class _WritesHeldBack:
    """Holds every store write back until ``writers`` writes have arrived, so that
    racing refreshes all try to rotate the same refresh token at once."""

    def __init__(self, writers: int) -> None:
        self.writers = writers
        self.arrivals: list[str] = []  # list.append is atomic across threads
        self.writes: list[SessionRecord | None] = []

    def install(self, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        update = store.update

        async def gated_update(handle: str, *args: Any, **kwargs: Any) -> SessionRecord | None:
            self.arrivals.append(handle)
            for _ in range(10_000):  # bounded: a refresh that never writes fails, not hangs
                if len(self.arrivals) >= self.writers:
                    break
                await asleep(0.001)
            record: SessionRecord | None = await update(handle, *args, **kwargs)
            self.writes.append(record)
            return record

        monkeypatch.setattr(store, "update", gated_update)


async def test_rotation_retries_when_another_update_wins(
    make_amanager: MakeAsync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Near the deadline the conditional write refuses the uncapped expiry, so core reads
    # and compare-and-sets: that is where another update can win.
    manager = make_amanager(absolute_lifetime=timedelta(days=1))
    handle, token = await _tokens(manager)
    racing = make_amanager(absolute_lifetime=timedelta(days=1))
    original_get = manager._store.get
    raced = False

    async def get_then_race(h: str) -> SessionRecord | None:
        nonlocal raced
        record = await original_get(h)
        if not raced:
            raced = True
            await racing.update_session_data(handle, {"raced": True})
        return record

    monkeypatch.setattr(manager._store, "get", get_then_race)
    refreshed = await manager.refresh_session(token)
    assert refreshed.refresh_token is not None
    info = await manager.get_session_information(handle)
    assert info is not None
    assert info.session_data == {"raced": True}
    assert (await racing.refresh_session(refreshed.refresh_token)).handle == handle
