"""Tests of `AsyncSession`: the seed's six methods and their storage promises, kept
also when the store fails (fail closed, nothing half-written)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fix_manager import MakeAsync

from sessionjar import (
    AsyncSessionManager,
    ConfigurationError,
    InvalidTokenError,
    SessionNotFound,
    StorageUnavailable,
    TokenTheftDetected,
)
from sessionjar.testing import ManualClock


async def test_reads_need_no_storage(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice", access_payload={"role": "x"})
    calls.clear()
    session = await manager.get_session(created.access_token)
    assert session.get_user_id() == "alice"
    assert session.get_jwt_payload() == {"role": "x"}
    assert calls == []


async def test_jwt_payload_is_a_copy(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice", access_payload={"roles": ["a"]})
    payload = session.get_jwt_payload()
    roles = payload["roles"]
    assert isinstance(roles, list)
    roles.append("b")
    assert session.get_jwt_payload() == {"roles": ["a"]}


async def test_get_session_data_reads_once(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice", session_data={"cart": [1, 2]})
    session = await manager.get_session(created.access_token)
    calls.clear()
    assert await session.get_session_data() == {"cart": [1, 2]}
    assert calls == ["get"]


async def test_update_session_data_overwrites_in_one_write(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice", session_data={"a": 1, "b": 2})
    calls.clear()
    await created.update_session_data({"c": 3})
    assert calls == ["update"]
    assert await created.get_session_data() == {"c": 3}


async def test_update_session_data_never_resurrects(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice")
    await session.revoke_session()
    with pytest.raises(SessionNotFound):
        await session.update_session_data({"x": 1})
    with pytest.raises(SessionNotFound):
        await session.get_session_data()
    assert await amanager.get_session_information(session.handle) is None


async def test_update_session_data_after_expiry_fails(
    amanager: AsyncSessionManager, clock: ManualClock
) -> None:
    session = await amanager.create_session("alice")
    clock.advance(days=30)
    with pytest.raises(SessionNotFound):
        await session.update_session_data({"x": 1})


async def test_update_jwt_payload_issues_a_new_token_with_the_same_expiry(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice", access_payload={"v": 1})
    session = await manager.get_session(created.access_token)
    clock.advance(minutes=5)
    calls.clear()
    await session.update_jwt_payload({"v": 2})
    assert calls == ["update"]
    assert session.access_token != created.access_token
    assert session.get_jwt_payload() == {"v": 2}
    verified = await manager.get_session(session.access_token)
    assert verified.get_jwt_payload() == {"v": 2}
    assert verified.access_token_expires_at == created.access_token_expires_at
    assert verified.created_at == created.created_at


async def test_update_jwt_payload_of_revoked_session_fails(amanager: AsyncSessionManager) -> None:
    session = await amanager.create_session("alice", access_payload={"v": 1})
    token = session.access_token
    await amanager.revoke_session(session.handle)
    with pytest.raises(SessionNotFound):
        await session.update_jwt_payload({"v": 2})
    assert session.access_token == token
    assert session.get_jwt_payload() == {"v": 1}


async def test_revoke_session_deletes_it(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice")
    session = await manager.get_session(created.access_token)
    calls.clear()
    assert session.revoked is False
    await session.revoke_session()
    assert calls == ["delete"]
    assert (session.revoked, created.revoked) == (True, False)
    with pytest.raises(SessionNotFound):
        await manager.get_session(created.access_token, check_database=True)
    assert created.refresh_token is not None
    with pytest.raises(SessionNotFound):
        await manager.refresh_session(created.refresh_token)


async def test_a_failed_revoke_leaves_revoked_false(make_amanager: MakeAsync) -> None:
    manager = make_amanager()
    session = await manager.create_session("alice")
    await manager.close()
    with pytest.raises(StorageUnavailable):
        await session.revoke_session()
    assert session.revoked is False


async def test_created_and_expiry_times(amanager: AsyncSessionManager, clock: ManualClock) -> None:
    clock.advance(milliseconds=123)
    created = await amanager.create_session("alice")
    session = await amanager.get_session(created.access_token)
    assert created.created_at == clock.now  # from the record: milliseconds
    assert session.created_at == clock.now.replace(microsecond=0)  # auth_time: seconds
    expected = (clock.now + timedelta(minutes=15)).replace(microsecond=0)
    assert session.access_token_expires_at == expected


async def test_tokens_of_another_issuer_are_refused(make_amanager: MakeAsync) -> None:
    ours = make_amanager(issuer="ours")
    created = await ours.create_session("alice")
    theirs = make_amanager(issuer="theirs")
    await theirs.load_keys()
    with pytest.raises(InvalidTokenError):
        await theirs.get_session(created.access_token)


async def test_verification_needs_no_store_at_all(make_amanager: MakeAsync) -> None:
    broken: set[str] = set()
    manager = make_amanager(broken=broken)
    created = await manager.create_session("alice", access_payload={"v": 1})
    broken.update(
        {"get", "is_live", "update", "create", "delete", "list_signing_keys", "add_signing_key"}
    )
    session = await manager.get_session(created.access_token)
    assert (session.get_user_id(), session.get_jwt_payload()) == ("alice", {"v": 1})


async def test_a_failing_read_yields_no_session(make_amanager: MakeAsync) -> None:
    broken: set[str] = set()
    manager = make_amanager(broken=broken)
    created = await manager.create_session("alice", session_data={"a": 1})
    assert created.refresh_token is not None
    child = await manager.refresh_session(created.refresh_token)
    broken.update({"get", "is_live"})
    with pytest.raises(StorageUnavailable):
        await manager.get_session(created.access_token, check_database=True)
    with pytest.raises(StorageUnavailable):  # the previous token: core reads to decide
        await manager.refresh_session(created.refresh_token)
    with pytest.raises(StorageUnavailable):
        await created.get_session_data()
    with pytest.raises(StorageUnavailable):
        await manager.get_session_information(created.handle)
    broken.clear()
    again = await manager.refresh_session(created.refresh_token)
    assert again.refresh_token == child.refresh_token


async def test_a_failing_write_changes_nothing(make_amanager: MakeAsync) -> None:
    broken: set[str] = set()
    manager = make_amanager(broken=broken)
    created = await manager.create_session("alice", access_payload={"v": 1}, session_data={"a": 1})
    assert created.refresh_token is not None
    token = created.access_token
    broken.add("update")
    with pytest.raises(StorageUnavailable):
        await manager.refresh_session(created.refresh_token)
    with pytest.raises(StorageUnavailable):
        await created.update_session_data({"b": 2})
    with pytest.raises(StorageUnavailable):
        await created.update_jwt_payload({"v": 2})
    assert (created.access_token, created.get_jwt_payload()) == (token, {"v": 1})
    broken.clear()
    info = await manager.get_session_information(created.handle)
    assert info is not None
    assert (info.session_data, info.access_payload) == ({"a": 1}, {"v": 1})
    # no rotation was half-written: the same refresh token is still the current one
    refreshed = await manager.refresh_session(created.refresh_token)
    assert refreshed.refresh_token is not None
    assert (await manager.refresh_session(refreshed.refresh_token)).handle == created.handle


async def test_a_failing_insert_stores_no_session(make_amanager: MakeAsync) -> None:
    broken: set[str] = set()
    manager = make_amanager(broken=broken)
    await manager.load_keys()
    broken.add("create")
    with pytest.raises(StorageUnavailable):
        await manager.create_session("alice")
    broken.clear()
    assert await manager.get_all_session_handles_for_user("alice") == []


async def test_failing_key_storage_yields_no_session(make_amanager: MakeAsync) -> None:
    creator = make_amanager()
    created = await creator.create_session("alice")
    manager = make_amanager(broken={"list_signing_keys"})
    with pytest.raises(StorageUnavailable):
        await manager.create_session("bob")
    with pytest.raises(StorageUnavailable):
        await manager.load_keys()
    with pytest.raises(ConfigurationError, match="load_keys"):
        await manager.get_session(created.access_token)
    assert await creator.get_all_session_handles_for_user("bob") == []


async def test_theft_with_a_failing_delete_yields_no_session(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    broken: set[str] = set()
    manager = make_amanager(broken=broken)
    created = await manager.create_session("alice")
    assert created.refresh_token is not None
    await manager.refresh_session(created.refresh_token)
    clock.advance(minutes=1)
    broken.add("delete")
    with pytest.raises(StorageUnavailable):
        await manager.refresh_session(created.refresh_token)
    broken.clear()
    with pytest.raises(TokenTheftDetected):
        await manager.refresh_session(created.refresh_token)
    assert await manager.get_session_information(created.handle) is None
