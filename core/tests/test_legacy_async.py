"""Tests of `upgraded`: stores of protocol 2 and 3 behind the protocol-4 surface."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import pytest
from fix_clock import FakeClock
from fix_stores import RecordFactory

from sessionjar import AsyncSessionManager, ConfigurationError, JSONObject, SessionPatch
from sessionjar._legacy_async import upgraded
from sessionjar.drivers.memory import AsyncMemoryStore, MemoryBackend

NOW: Final = datetime.fromisoformat("2026-03-02T12:00:00+00:00")  # fix_stores.NOW
PHONE: Final[JSONObject] = {"user_agent": "Safari on iPhone", "ip": "203.0.113.0"}
_PROTOCOL_3: Final = frozenset(
    {
        "create",
        "get",
        "is_live",
        "update",
        "delete",
        "delete_for_user",
        "list_for_user",
        "add_signing_key",
        "list_signing_keys",
        "close",
    }
)


class OlderStore:
    """A memory store offering only the methods of a protocol-2 or -3 store; records calls."""

    def __init__(self, version: int) -> None:
        self.inner = AsyncMemoryStore(MemoryBackend())
        self.protocol_version = version
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name not in _PROTOCOL_3 or (name == "is_live" and self.protocol_version == 2):
            raise AttributeError(name)
        self.calls.append(name)
        return getattr(self.inner, name)

    async def delete_expired(self, *, now: datetime) -> int:
        """Delete every expired record, as protocol 3 has it: no ``limit``."""
        self.calls.append("delete_expired")
        return await self.inner.delete_expired(now=now)


def test_a_store_of_the_current_protocol_is_returned_as_is() -> None:
    store = AsyncMemoryStore(MemoryBackend())
    assert upgraded(store) is store


@pytest.mark.parametrize("version", [1, 5, "3", None])
def test_a_store_of_an_unsupported_protocol_is_refused(version: object) -> None:
    store: Any = OlderStore(3)
    store.protocol_version = version
    with pytest.raises(ConfigurationError, match=f"protocol {version!r}, not one of"):
        upgraded(store)


async def test_device_is_dropped_on_the_way_in_and_reported_empty(
    new_record: RecordFactory,
) -> None:
    older = OlderStore(3)
    store = upgraded(older)  # type: ignore[arg-type]
    assert store.protocol_version == 4
    await store.create(new_record("h1", device=PHONE))
    assert (await older.inner.get("h1")).device == {}  # type: ignore[union-attr]
    patch = SessionPatch(session_data={"n": 1}, device=PHONE)
    updated = await store.update("h1", patch, expected_version=1, now=NOW)
    assert updated is not None
    assert (updated.device, updated.session_data, updated.version) == ({}, {"n": 1}, 2)
    assert (await older.inner.get("h1")).device == {}  # type: ignore[union-attr]
    got = await store.get("h1")
    assert got is not None
    assert got.device == {}


async def test_list_sessions_for_user_lists_handles_then_reads_each(
    new_record: RecordFactory,
) -> None:
    older = OlderStore(3)
    store = upgraded(older)  # type: ignore[arg-type]
    await store.create(new_record("live"))
    await store.create(new_record("short", ttl=timedelta(minutes=1)))
    await store.create(new_record("bob", user_id="bob"))
    await store.create(new_record("acme", tenant="acme"))
    older.calls.clear()
    later = NOW + timedelta(minutes=1)
    assert await store.list_sessions_for_user("public", "alice", now=later) == [
        await store.get("live")
    ]
    assert older.calls[:2] == ["list_for_user", "get"]
    with pytest.raises(ConfigurationError):
        await store.list_sessions_for_user("public", None, now=later)  # type: ignore[arg-type]


async def test_delete_expired_ignores_the_limit_but_checks_it(
    new_record: RecordFactory,
) -> None:
    store = upgraded(OlderStore(3))  # type: ignore[arg-type]
    for n in range(3):
        await store.create(new_record(f"h{n}", ttl=timedelta(minutes=1)))
    later = NOW + timedelta(minutes=1)
    with pytest.raises(ConfigurationError):
        await store.delete_expired(now=later, limit=0)
    assert await store.get("h0") is not None
    assert await store.delete_expired(now=later, limit=1) == 3
    assert await store.delete_expired(now=later, limit=1) == 0


async def test_is_live_of_a_protocol_2_store_reads_the_record(
    new_record: RecordFactory,
) -> None:
    older = OlderStore(2)
    store = upgraded(older)  # type: ignore[arg-type]
    await store.create(new_record("h1"))
    older.calls.clear()
    assert await store.is_live("h1", tenant="public", user_id="alice", now=NOW)
    assert not await store.is_live("h1", tenant="public", user_id="Alice", now=NOW)
    assert older.calls == ["get", "get"]


async def test_a_manager_runs_on_a_protocol_3_store(clock: FakeClock) -> None:
    older = OlderStore(3)
    async with AsyncSessionManager(older, clock=clock) as manager:  # type: ignore[arg-type]
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        refreshed = await manager.refresh_session(session.refresh_token)
        checked = await manager.get_session(refreshed.access_token, check_database=True)
        assert checked.handle == session.handle
        assert "is_live" in older.calls
        assert await manager.get_all_session_handles_for_user("alice") == [session.handle]
        clock.advance(days=31)
        assert await manager.delete_expired_sessions() == 1
