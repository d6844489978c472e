"""Tests of devices: recorded at sign-in and refresh, listed for a user, revoked one by one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fix_manager import MakeAsync

import sessionjar
from sessionjar import AsyncSessionManager, Client, Device, InvalidHandle, SessionNotFound
from sessionjar.testing import ManualClock

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Version/17.1 Mobile/1 Safari/6"


class Revocations:
    """Records what `sessionjar_sessions_revoked` reports."""

    def __init__(self) -> None:
        self.events: list[tuple[list[str], str | None, str | None]] = []

    @sessionjar.hookimpl
    def sessionjar_sessions_revoked(
        self, handles: list[str], user_id: str | None, tenant: str | None
    ) -> None:
        self.events.append((handles, user_id, tenant))


@pytest.fixture
def revocations() -> Iterator[Revocations]:
    plugin = Revocations()
    sessionjar.register_hooks(plugin)
    yield plugin
    sessionjar.unregister_hooks(plugin)


async def test_sign_in_records_the_device(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    session = await amanager.create_session(
        "alice", client=Client(user_agent=FIREFOX, ip="203.0.113.7")
    )
    [device] = await amanager.list_devices("alice")
    assert device == Device(
        handle=session.handle,
        user_agent="Firefox 133 on Windows",
        ip="203.0.113.7",
        created_at=clock.now,
        last_refreshed_at=clock.now,
        expires_at=clock.now + amanager.refresh_token_validity,
    )


async def test_refresh_replaces_the_device_and_its_time(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    session = await amanager.create_session("alice", client=Client(user_agent=FIREFOX))
    created = clock.now
    refreshed_at = clock.advance(minutes=20)
    assert session.refresh_token is not None
    await amanager.refresh_session(
        session.refresh_token, client=Client(user_agent=SAFARI, ip="2001:db8::1")
    )
    [device] = await amanager.list_devices("alice")
    assert (device.user_agent, device.ip) == ("Safari 17 on iOS", "2001:db8::1")
    assert (device.created_at, device.last_refreshed_at) == (created, refreshed_at)


async def test_a_refresh_without_a_client_keeps_the_device(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    session = await amanager.create_session("alice", client=Client(user_agent=FIREFOX))
    clock.advance(minutes=20)
    assert session.refresh_token is not None
    await amanager.refresh_session(session.refresh_token)
    [device] = await amanager.list_devices("alice")
    assert device.user_agent == "Firefox 133 on Windows"


async def test_without_a_client_the_device_is_unknown(amanager: AsyncSessionManager) -> None:
    await amanager.create_session("alice", client=Client(ip="not an address"))
    await amanager.create_session("alice")
    for device in await amanager.list_devices("alice"):
        assert (device.user_agent, device.ip) == ("Unknown", None)


async def test_truncated_ips_keep_only_the_network(make_amanager: MakeAsync) -> None:
    manager = make_amanager(truncate_ips=True)
    await manager.load_keys()
    await manager.create_session("alice", client=Client(ip="203.0.113.7"))
    [device] = await manager.list_devices("alice")
    assert device.ip == "203.0.113.0"


async def test_devices_are_listed_newest_sign_in_first_with_one_read(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    await manager.load_keys()
    handles = []
    for _ in range(3):
        handles.append((await manager.create_session("alice")).handle)
        clock.advance(seconds=1)
    await manager.create_session("bob")
    await manager.create_session("alice", tenant="acme")
    last = await manager.create_session("alice")
    calls.clear()
    devices = await manager.list_devices("alice")
    assert calls == ["list_sessions_for_user"]
    assert [device.handle for device in devices] == [last.handle, *handles[::-1]]
    clock.advance(days=30, seconds=-1)  # the others have expired, the last is a second off
    assert [device.handle for device in await manager.list_devices("alice")] == [last.handle]


async def test_a_user_revokes_one_of_their_devices(
    amanager: AsyncSessionManager, revocations: Revocations
) -> None:
    keep = await amanager.create_session("alice")
    drop = await amanager.create_session("alice")
    assert await amanager.revoke_device("alice", drop.handle) is True
    assert [device.handle for device in await amanager.list_devices("alice")] == [keep.handle]
    assert revocations.events == [([drop.handle], "alice", "public")]
    assert drop.refresh_token is not None
    with pytest.raises(SessionNotFound):
        await amanager.refresh_session(drop.refresh_token)
    assert await amanager.revoke_device("alice", drop.handle) is False


async def test_a_device_of_another_user_or_tenant_is_left_alone(
    amanager: AsyncSessionManager, revocations: Revocations
) -> None:
    bobs = await amanager.create_session("bob")
    acme = await amanager.create_session("alice", tenant="acme")
    assert await amanager.revoke_device("alice", bobs.handle) is False
    assert await amanager.revoke_device("alice", acme.handle) is False
    assert await amanager.revoke_device("alice", acme.handle, tenant="acme") is True
    assert [device.handle for device in await amanager.list_devices("bob")] == [bobs.handle]
    assert revocations.events == [([acme.handle], "alice", "acme")]


async def test_a_malformed_handle_is_refused(amanager: AsyncSessionManager) -> None:
    with pytest.raises(InvalidHandle):
        await amanager.revoke_device("alice", "../etc")
