"""Conformance: the session API through core, from create to revoke (async version)."""

from __future__ import annotations

import pytest

from sessionjar import AsyncSessionManager, AsyncStore, SessionNotFound
from sessionjar_conformance._helpers import header_kid


class AsyncSessionLifecycleTests:
    """Create → verify → update data and payload → refresh → revoke, on the driver."""

    async def test_create_then_verify(self, manager: AsyncSessionManager) -> None:
        session = await manager.create_session(
            "alice", access_payload={"role": "admin"}, session_data={"cart": [1]}
        )
        assert session.refresh_token is not None
        verified = await manager.get_session(session.access_token, check_database=True)
        assert (verified.handle, verified.user_id, verified.tenant) == (
            session.handle,
            "alice",
            "public",
        )
        assert verified.get_user_id() == "alice"
        assert verified.get_jwt_payload() == {"role": "admin"}
        assert await verified.get_session_data() == {"cart": [1]}

    async def test_update_session_data_is_stored(
        self, manager: AsyncSessionManager, store: AsyncStore
    ) -> None:
        session = await manager.create_session("alice", session_data={"cart": [1]})
        await session.update_session_data({"cart": [1, 2], "note": "é"})
        assert await session.get_session_data() == {"cart": [1, 2], "note": "é"}
        record = await store.get(session.handle)
        assert record is not None
        assert record.session_data == {"cart": [1, 2], "note": "é"}

    async def test_update_jwt_payload_issues_a_new_access_token(
        self, manager: AsyncSessionManager
    ) -> None:
        session = await manager.create_session("alice", access_payload={"role": "reader"})
        old_token = session.access_token
        await session.update_jwt_payload({"role": "admin"})
        assert session.access_token != old_token
        assert session.get_jwt_payload() == {"role": "admin"}
        verified = await manager.get_session(session.access_token, check_database=True)
        assert verified.get_jwt_payload() == {"role": "admin"}
        info = await manager.get_session_information(session.handle)
        assert info is not None
        assert info.access_payload == {"role": "admin"}

    async def test_refresh_keeps_the_session(self, manager: AsyncSessionManager) -> None:
        session = await manager.create_session(
            "alice", access_payload={"role": "admin"}, session_data={"cart": [1]}
        )
        assert session.refresh_token is not None
        refreshed = await manager.refresh_session(session.refresh_token)
        assert refreshed.handle == session.handle
        assert refreshed.refresh_token not in (None, session.refresh_token)
        verified = await manager.get_session(refreshed.access_token, check_database=True)
        assert verified.get_jwt_payload() == {"role": "admin"}
        assert await verified.get_session_data() == {"cart": [1]}

    async def test_revoke_ends_the_session(
        self, manager: AsyncSessionManager, store: AsyncStore
    ) -> None:
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        await session.revoke_session()
        assert await store.get(session.handle) is None
        with pytest.raises(SessionNotFound):
            await manager.get_session(session.access_token, check_database=True)
        with pytest.raises(SessionNotFound):
            await manager.refresh_session(session.refresh_token)
        with pytest.raises(SessionNotFound):
            await session.get_session_data()


class AsyncManagerApiTests:
    """The manager's by-handle and by-user methods, on the driver."""

    async def test_lists_and_describes_a_users_sessions(
        self, manager: AsyncSessionManager
    ) -> None:
        sessions = [await manager.create_session("alice") for _ in range(3)]
        await manager.create_session("bob")
        handles = await manager.get_all_session_handles_for_user("alice")
        assert sorted(handles) == sorted([s.handle for s in sessions])
        info = await manager.get_session_information(sessions[0].handle)
        assert info is not None
        assert (info.handle, info.user_id, info.tenant) == (sessions[0].handle, "alice", "public")

    async def test_revoke_by_handle_reports_whether_it_existed(
        self, manager: AsyncSessionManager
    ) -> None:
        session = await manager.create_session("alice")
        assert await manager.revoke_session(session.handle) is True
        assert await manager.revoke_session(session.handle) is False
        assert await manager.get_session_information(session.handle) is None

    async def test_revoke_all_for_a_user(self, manager: AsyncSessionManager) -> None:
        sessions = [await manager.create_session("alice") for _ in range(3)]
        revoked = await manager.revoke_all_sessions_for_user("alice")
        assert sorted(revoked) == sorted([s.handle for s in sessions])
        assert await manager.get_all_session_handles_for_user("alice") == []

    async def test_updates_by_handle_never_resurrect(
        self, manager: AsyncSessionManager, store: AsyncStore
    ) -> None:
        session = await manager.create_session("alice")
        await manager.revoke_session(session.handle)
        with pytest.raises(SessionNotFound):
            await manager.update_session_data(session.handle, {"x": 1})
        with pytest.raises(SessionNotFound):
            await manager.update_jwt_payload(session.handle, {"x": 1})
        with pytest.raises(SessionNotFound):
            await session.update_session_data({"x": 1})
        with pytest.raises(SessionNotFound):
            await session.update_jwt_payload({"x": 1})
        assert await store.get(session.handle) is None
        assert await manager.get_all_session_handles_for_user("alice") == []

    async def test_jwks_publishes_the_signing_key(self, manager: AsyncSessionManager) -> None:
        session = await manager.create_session("alice")
        jwks = await manager.get_jwks()
        kid = header_kid(session.access_token)
        assert kid in {key["kid"] for key in jwks["keys"]}
        assert [key for key in jwks["keys"] if "d" in key] == [], "private keys published"


__all__ = ["AsyncSessionLifecycleTests", "AsyncManagerApiTests"]
