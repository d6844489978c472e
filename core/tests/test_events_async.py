"""Tests of the session-event hooks: each event, its facts, a raising hook, no hook."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest

import sessionjar
from sessionjar import (
    AsyncSessionManager,
    InvalidTokenError,
    SessionNotFound,
    TokenTheftDetected,
    TryRefreshToken,
    _events,
    hookimpl,
)
from sessionjar.testing import ManualClock


class Recorder:
    """Records every session event it receives as a tuple."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    @hookimpl
    def sessionjar_session_created(self, handle: str, user_id: str, tenant: str) -> None:
        self.events.append(("created", handle, user_id, tenant))

    @hookimpl
    def sessionjar_session_refreshed(self, handle: str, user_id: str, tenant: str) -> None:
        self.events.append(("refreshed", handle, user_id, tenant))

    @hookimpl
    def sessionjar_sessions_revoked(
        self, handles: list[str], user_id: str | None, tenant: str | None
    ) -> None:
        self.events.append(("revoked", handles, user_id, tenant))

    @hookimpl
    def sessionjar_theft_detected(self, handle: str, user_id: str) -> None:
        self.events.append(("theft", handle, user_id))

    @hookimpl
    def sessionjar_token_rejected(self, kind: str, reason: str, token_hash: str) -> None:
        self.events.append(("rejected", kind, reason, token_hash))

    @hookimpl
    def sessionjar_expired_sessions_deleted(self, count: int) -> None:
        self.events.append(("expired", count))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A `Recorder` registered for the test, unregistered after it."""
    plugin = Recorder()
    sessionjar.register_hooks(plugin)
    yield plugin
    sessionjar.unregister_hooks(plugin)


async def test_created(amanager: AsyncSessionManager, recorder: Recorder) -> None:
    session = await amanager.create_session("alice", tenant="acme")
    assert recorder.events == [("created", session.handle, "alice", "acme")]


async def test_refreshed(amanager: AsyncSessionManager, recorder: Recorder) -> None:
    session = await amanager.create_session("alice")
    assert session.refresh_token is not None
    await amanager.refresh_session(session.refresh_token)
    assert recorder.events[-1] == ("refreshed", session.handle, "alice", "public")


async def test_revoked_one_and_all(amanager: AsyncSessionManager, recorder: Recorder) -> None:
    first = await amanager.create_session("alice")
    second = await amanager.create_session("alice")
    await first.revoke_session()
    assert not await amanager.revoke_session(first.handle)
    await amanager.revoke_all_sessions_for_user("alice")
    assert await amanager.revoke_all_sessions_for_user("alice") == []
    assert recorder.events[2:] == [
        ("revoked", [first.handle], None, None),
        ("revoked", [second.handle], "alice", "public"),
    ]


async def test_theft_detected(
    amanager: AsyncSessionManager, clock: ManualClock, recorder: Recorder
) -> None:
    session = await amanager.create_session("alice")
    assert session.refresh_token is not None
    await amanager.refresh_session(session.refresh_token)
    clock.advance(seconds=30)
    with pytest.raises(TokenTheftDetected):
        await amanager.refresh_session(session.refresh_token)
    assert recorder.events[-1] == ("theft", session.handle, "alice")


async def test_rejected_tokens_carry_a_reason_and_a_salted_hash(
    amanager: AsyncSessionManager, clock: ManualClock, recorder: Recorder
) -> None:
    session = await amanager.create_session("alice")
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            await amanager.get_session("forged.token.here")
    with pytest.raises(InvalidTokenError):
        await amanager.refresh_session("not-a-refresh-token")
    await amanager.revoke_session(session.handle)
    with pytest.raises(SessionNotFound):
        await amanager.get_session(session.access_token, check_database=True)
    clock.advance(minutes=16)
    with pytest.raises(TryRefreshToken):
        await amanager.get_session(session.access_token)
    rejected = [event for event in recorder.events if event[0] == "rejected"]
    assert [event[1:3] for event in rejected] == [
        ("access", "InvalidTokenError"),
        ("access", "InvalidTokenError"),
        ("refresh", "InvalidTokenError"),
        ("access", "SessionNotFound"),
        ("access", "TryRefreshToken"),
    ]
    hashes = [event[3] for event in rejected]
    assert hashes[0] == hashes[1] == _events.token_hash("forged.token.here")
    assert hashes[3] == hashes[4] != hashes[0]
    for digest in hashes:
        assert len(digest) == 16
        assert digest not in session.access_token


async def test_refresh_of_a_revoked_session_is_rejected(
    amanager: AsyncSessionManager, recorder: Recorder
) -> None:
    session = await amanager.create_session("alice")
    assert session.refresh_token is not None
    await session.revoke_session()
    with pytest.raises(SessionNotFound):
        await amanager.refresh_session(session.refresh_token)
    assert recorder.events[-1][:3] == ("rejected", "refresh", "SessionNotFound")


async def test_expired_sessions_deleted(
    amanager: AsyncSessionManager, clock: ManualClock, recorder: Recorder
) -> None:
    await amanager.create_session("alice")
    clock.advance(days=31)
    assert await amanager.delete_expired_sessions() == 1
    assert recorder.events[-1] == ("expired", 1)


def _active() -> bool:
    # a function, so that mypy does not narrow the module flag between registrations
    return _events.active


class Broken:
    @hookimpl
    def sessionjar_session_created(self, handle: str) -> None:
        raise RuntimeError("the audit database is down")


async def test_a_raising_hook_is_logged_and_breaks_nothing(
    amanager: AsyncSessionManager, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Broken()
    sessionjar.register_hooks(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="sessionjar.events"):
            session = await amanager.create_session("alice")
    finally:
        sessionjar.unregister_hooks(broken)
    assert await amanager.get_session(session.access_token)
    assert recorder.events == [("created", session.handle, "alice", "public")]
    assert "sessionjar_session_created" in caplog.text
    assert "the audit database is down" in caplog.text


def test_registration_is_checked_and_reversible() -> None:
    class Misnamed:
        @hookimpl
        def sessionjar_session_created(self, session_id: str) -> None: ...

    class Typo:
        @hookimpl
        def sessionjar_sesion_created(self, handle: str) -> None: ...

    assert not _active()
    for wrong in (Misnamed(), Typo()):
        with pytest.raises(pluggy.PluginValidationError):
            sessionjar.register_hooks(wrong)
        assert not _active()
    plugin = Recorder()
    sessionjar.register_hooks(plugin)
    assert _active()
    sessionjar.unregister_hooks(plugin)
    assert not _active()
