"""Tests of `AsyncSessionManager`: create, verify, revoke, list, update, expire."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fix_clock import FakeClock
from fix_manager import CountingStore, MakeAsync

from sessionjar import (
    AsyncSessionManager,
    ConfigurationError,
    InvalidHandle,
    SessionInformation,
    SessionNotFound,
    SessionPatch,
    SigningKey,
    TryRefreshToken,
)
from sessionjar._clock import utc_now


async def test_create_returns_both_tokens_and_the_facts(
    amanager: AsyncSessionManager, clock: FakeClock
) -> None:
    session = await amanager.create_session(
        "alice", tenant="acme", access_payload={"role": "admin"}, session_data={"cart": [1]}
    )
    assert session.user_id == session.get_user_id() == "alice"
    assert session.tenant == "acme"
    assert len(session.handle) >= 22
    assert session.created_at == clock.now
    assert session.expires_at == clock.now + timedelta(minutes=15)
    assert session.refresh_token is not None
    assert session.refresh_token.startswith(session.handle + ".")
    assert session.get_jwt_payload() == {"role": "admin"}


async def test_get_session_states_what_create_issued(amanager: AsyncSessionManager) -> None:
    created = await amanager.create_session("alice", access_payload={"n": 1})
    session = await amanager.get_session(created.access_token)
    assert (session.handle, session.tenant, session.user_id) == (
        created.handle,
        "public",
        "alice",
    )
    assert session.created_at == created.created_at
    assert session.expires_at == created.expires_at
    assert session.access_token == created.access_token
    assert session.refresh_token is None
    assert session.get_jwt_payload() == {"n": 1}


async def test_the_default_clock_is_the_wall_clock(make_amanager: MakeAsync) -> None:
    manager = make_amanager(clock=utc_now)
    before = utc_now()
    created = await manager.create_session("alice")
    after = utc_now()
    assert before <= created.created_at <= after
    assert created.created_at.microsecond % 1000 == 0
    assert (await manager.get_session(created.access_token)).user_id == "alice"
    assert created.refresh_token is not None
    refreshed = await manager.refresh_session(created.refresh_token)
    assert (await manager.get_session(refreshed.access_token, check_database=True)).handle == (
        created.handle
    )


async def test_times_from_a_custom_clock_are_cut_to_milliseconds(
    make_amanager: MakeAsync, clock: FakeClock
) -> None:
    manager = make_amanager(clock=lambda: clock.now.astimezone(timezone(timedelta(hours=2))))
    clock.advance(microseconds=123456)
    created = await manager.create_session("alice")
    assert created.created_at == clock.now.replace(microsecond=123000)
    assert created.created_at.utcoffset() == timedelta(0)
    info = await manager.get_session_information(created.handle)
    assert info is not None
    assert info.created_at == created.created_at


async def test_a_naive_clock_is_refused(make_amanager: MakeAsync) -> None:
    manager = make_amanager(clock=lambda: datetime(2026, 3, 2, 12, 0))
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        await manager.create_session("alice")


async def test_get_session_does_no_storage_io(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice")
    calls.clear()
    await manager.get_session(created.access_token)
    assert calls == []
    await manager.get_session(created.access_token, check_database=True)
    assert calls == ["is_live"]


async def test_check_database_on_a_protocol_2_store_reads_the_record(
    make_amanager: MakeAsync, clock: FakeClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    store = manager._store
    assert isinstance(store, CountingStore)
    store.protocol_version = 2  # a driver of protocol 2 has no is_live
    older = AsyncSessionManager(store, clock=clock)
    await older.load_keys()
    created = await older.create_session("alice")
    calls.clear()
    assert (await older.get_session(created.access_token, check_database=True)).user_id == "alice"
    assert calls == ["get"]
    await older.revoke_session(created.handle)
    with pytest.raises(SessionNotFound):
        await older.get_session(created.access_token, check_database=True)


async def test_store_of_an_unknown_protocol_is_refused(make_amanager: MakeAsync) -> None:
    store = make_amanager(calls=[])._store
    assert isinstance(store, CountingStore)
    for version in (1, 5, "3"):
        store.protocol_version = version
        with pytest.raises(ConfigurationError, match=f"protocol {version!r}, not one of"):
            AsyncSessionManager(store)


async def test_check_database_refuses_revoked_session(amanager: AsyncSessionManager) -> None:
    created = await amanager.create_session("alice")
    assert await amanager.revoke_session(created.handle) is True
    assert (await amanager.get_session(created.access_token)).handle == created.handle
    with pytest.raises(SessionNotFound):
        await amanager.get_session(created.access_token, check_database=True)
    assert await amanager.revoke_session(created.handle) is False


async def test_expired_session_has_no_information(
    amanager: AsyncSessionManager, clock: FakeClock
) -> None:
    created = await amanager.create_session("alice")
    clock.advance(days=30, milliseconds=-1)
    assert await amanager.get_session_information(created.handle) is not None
    clock.advance(milliseconds=1)
    assert await amanager.get_session_information(created.handle) is None


async def test_access_token_never_outlives_its_session(
    make_amanager: MakeAsync, clock: FakeClock
) -> None:
    manager = make_amanager(
        access_token_validity=timedelta(hours=1), refresh_token_validity=timedelta(minutes=10)
    )
    created = await manager.create_session("alice")
    assert created.expires_at == clock.now + timedelta(minutes=10)


async def test_expired_access_token_asks_for_refresh(
    amanager: AsyncSessionManager, clock: FakeClock
) -> None:
    created = await amanager.create_session("alice")
    clock.advance(minutes=15)
    with pytest.raises(TryRefreshToken):
        await amanager.get_session(created.access_token)
    clock.advance(seconds=-1)
    assert (await amanager.get_session(created.access_token)).user_id == "alice"


async def test_session_information(amanager: AsyncSessionManager, clock: FakeClock) -> None:
    created = await amanager.create_session(
        "alice", tenant="acme", access_payload={"a": 1}, session_data={"b": [2]}
    )
    info = await amanager.get_session_information(created.handle)
    assert info == SessionInformation(
        handle=created.handle,
        tenant="acme",
        user_id="alice",
        created_at=clock.now,
        expires_at=clock.now + timedelta(days=30),
        absolute_deadline=None,
        access_payload={"a": 1},
        session_data={"b": [2]},
    )
    await amanager.revoke_session(created.handle)
    assert await amanager.get_session_information(created.handle) is None


async def test_handles_are_listed_per_user_and_tenant(amanager: AsyncSessionManager) -> None:
    first = await amanager.create_session("alice")
    second = await amanager.create_session("alice")
    other_tenant = await amanager.create_session("alice", tenant="acme")
    await amanager.create_session("bob")
    handles = await amanager.get_all_session_handles_for_user("alice")
    assert sorted(handles) == sorted([first.handle, second.handle])
    assert await amanager.get_all_session_handles_for_user("alice", tenant="acme") == [
        other_tenant.handle
    ]


async def test_expired_sessions_are_not_listed(
    amanager: AsyncSessionManager, clock: FakeClock
) -> None:
    await amanager.create_session("alice")
    clock.advance(days=30)
    assert await amanager.get_all_session_handles_for_user("alice") == []


async def test_revoke_all_for_user(amanager: AsyncSessionManager) -> None:
    first = await amanager.create_session("alice")
    second = await amanager.create_session("alice")
    kept = await amanager.create_session("alice", tenant="acme")
    revoked = await amanager.revoke_all_sessions_for_user("alice")
    assert sorted(revoked) == sorted([first.handle, second.handle])
    assert await amanager.get_all_session_handles_for_user("alice") == []
    assert await amanager.get_session_information(kept.handle) is not None


async def test_update_by_handle(amanager: AsyncSessionManager) -> None:
    created = await amanager.create_session("alice", access_payload={"v": 1})
    await amanager.update_session_data(created.handle, {"step": 2})
    await amanager.update_jwt_payload(created.handle, {"v": 2})
    info = await amanager.get_session_information(created.handle)
    assert info is not None
    assert (info.session_data, info.access_payload) == ({"step": 2}, {"v": 2})
    assert created.refresh_token is not None
    refreshed = await amanager.refresh_session(created.refresh_token)
    assert refreshed.get_jwt_payload() == {"v": 2}
    again = await amanager.get_session(refreshed.access_token)
    assert again.get_jwt_payload() == {"v": 2}


async def test_update_by_handle_never_resurrects(amanager: AsyncSessionManager) -> None:
    created = await amanager.create_session("alice")
    await amanager.revoke_session(created.handle)
    with pytest.raises(SessionNotFound):
        await amanager.update_session_data(created.handle, {"x": 1})
    with pytest.raises(SessionNotFound):
        await amanager.update_jwt_payload(created.handle, {"x": 1})
    assert await amanager.get_session_information(created.handle) is None


async def test_an_update_a_store_let_through_after_expiry_is_refused(
    amanager: AsyncSessionManager, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await amanager.create_session("alice", access_payload={"v": 1})
    token = created.access_token
    clock.advance(days=30)
    update = amanager._store.update

    async def lenient_update(handle: str, patch: SessionPatch, **options: Any) -> Any:
        options["now"] -= timedelta(days=365)  # a driver that misreads the time
        return await update(handle, patch, **options)

    monkeypatch.setattr(amanager._store, "update", lenient_update)
    with pytest.raises(SessionNotFound):
        await amanager.update_session_data(created.handle, {"x": 1})
    with pytest.raises(SessionNotFound):
        await created.update_jwt_payload({"v": 2})
    assert (created.access_token, created.get_jwt_payload()) == (token, {"v": 1})


async def test_delete_expired_sessions(amanager: AsyncSessionManager, clock: FakeClock) -> None:
    old = await amanager.create_session("alice")
    clock.advance(days=20)
    young = await amanager.create_session("alice")
    clock.advance(days=10)
    assert await amanager.delete_expired_sessions() == 1
    assert await amanager.get_session_information(old.handle) is None
    assert await amanager.get_session_information(young.handle) is not None
    assert await amanager.delete_expired_sessions() == 0


async def test_absolute_lifetime_sets_a_deadline(
    make_amanager: MakeAsync, clock: FakeClock
) -> None:
    manager = make_amanager(absolute_lifetime=timedelta(days=2))
    created = await manager.create_session("alice")
    info = await manager.get_session_information(created.handle)
    assert info is not None
    assert info.absolute_deadline == info.expires_at == clock.now + timedelta(days=2)


async def test_context_manager_loads_keys_and_closes(make_amanager: MakeAsync) -> None:
    creator = make_amanager()
    created = await creator.create_session("alice")
    verifier = make_amanager()
    with pytest.raises(ConfigurationError, match="load_keys"):
        await verifier.get_session(created.access_token)
    async with verifier as entered:
        assert entered is verifier
        assert (await verifier.get_session(created.access_token)).user_id == "alice"


async def test_anti_csrf_token_is_one_per_session_and_costs_no_storage(
    make_amanager: MakeAsync,
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    one = await manager.create_session("alice")
    two = await manager.create_session("bob")
    calls.clear()
    token = await manager.anti_csrf_token(one.handle)
    assert token == await manager.anti_csrf_token(one.handle)
    assert token != await manager.anti_csrf_token(two.handle)
    assert calls == []
    other_process = make_amanager()  # same store: same stored refresh key
    assert await other_process.anti_csrf_token(one.handle) == token
    assert one.refresh_token is not None
    assert token not in one.refresh_token


async def test_anti_csrf_token_follows_the_refresh_secret(make_amanager: MakeAsync) -> None:
    handle = (await make_amanager().create_session("alice")).handle
    first = make_amanager(refresh_secret=b"first refresh secret, 32 bytes long")
    second = make_amanager(refresh_secret=b"second refresh secret, 32 bytes long")
    assert await first.anti_csrf_token(handle) != await second.anti_csrf_token(handle)


async def test_a_text_refresh_secret_is_its_utf8_bytes(make_amanager: MakeAsync) -> None:
    text = "refresh secret for the café app, 32+"
    as_text = make_amanager(refresh_secret=text)
    session = await as_text.create_session("alice")
    assert session.refresh_token is not None
    as_bytes = make_amanager(refresh_secret=text.encode())
    assert await as_bytes.anti_csrf_token(session.handle) == await as_text.anti_csrf_token(
        session.handle
    )
    assert (await as_bytes.refresh_session(session.refresh_token)).handle == session.handle


async def test_anti_csrf_token_refuses_a_bad_handle(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    with pytest.raises(InvalidHandle):
        await manager.anti_csrf_token("not a handle")
    assert calls == []


async def test_validities_are_public_and_read_only(make_amanager: MakeAsync) -> None:
    manager = make_amanager(
        access_token_validity=timedelta(minutes=5), refresh_token_validity=timedelta(days=3)
    )
    assert manager.access_token_validity == timedelta(minutes=5)
    assert manager.refresh_token_validity == timedelta(days=3)
    with pytest.raises(AttributeError):
        manager.refresh_token_validity = timedelta(days=1)  # type: ignore[misc]
    assert make_amanager().refresh_token_validity == timedelta(days=30)


async def test_keys_loaded(make_amanager: MakeAsync) -> None:
    assert make_amanager(keys=[SigningKey.generate()]).keys_loaded
    automatic = make_amanager()
    assert not automatic.keys_loaded
    await automatic.load_keys()
    assert automatic.keys_loaded


@pytest.mark.parametrize(
    "options",
    [
        {"access_token_validity": timedelta(0)},
        {"refresh_token_validity": timedelta(seconds=-1)},
        {"absolute_lifetime": timedelta(0)},
        {"grace_window": timedelta(seconds=-1)},
        {"issuer": ""},
        {"refresh_secret": b"short"},
        {"refresh_secret": b"x" * 64},
        {"keys": []},
    ],
)
async def test_bad_settings_are_refused(
    make_amanager: MakeAsync, options: dict[str, object]
) -> None:
    with pytest.raises(ConfigurationError):
        make_amanager(**options)
