"""Conformance: namespaces, tenants and users never see each other (async version)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from sessionjar import AsyncSessionManager, AsyncStore, InvalidTokenError, SessionPatch
from sessionjar_conformance._helpers import (
    MutableClock,
    new_namespace,
    new_record,
    new_signing_key,
)
from sessionjar_conformance.capabilities import requires
from sessionjar_conformance.fixtures_async import AsyncStoreFactory


class AsyncNamespaceIsolationTests:
    """Two namespaces on one backend share nothing: records, users or keys."""

    async def test_same_handle_in_two_namespaces(
        self, store: AsyncStore, open_store: AsyncStoreFactory, clock: MutableClock
    ) -> None:
        other = open_store(new_namespace())
        mine = new_record(clock(), session_data={"ns": "mine"})
        theirs = new_record(clock(), handle=mine.handle, session_data={"ns": "theirs"})
        await store.create(mine)
        await other.create(theirs)
        assert await store.get(mine.handle) == mine
        assert await other.get(mine.handle) == theirs

    async def test_writes_stay_in_their_namespace(
        self, store: AsyncStore, open_store: AsyncStoreFactory, clock: MutableClock
    ) -> None:
        other = open_store(new_namespace())
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await other.create(record)
        assert await store.get(record.handle) is None
        assert await store.list_for_user("public", "alice", now=clock()) == []
        assert await store.list_sessions_for_user("public", "alice", now=clock()) == []
        assert await store.delete([record.handle]) == []
        assert await store.delete_for_user("public", "alice") == []
        assert await store.delete_expired(now=clock.advance(hours=1), limit=10) == 0
        assert await store.delete_expired(now=clock()) == 0
        patch = SessionPatch(session_data={"leak": True})
        live_at = clock() - timedelta(hours=1)
        assert await store.update(record.handle, patch, expected_version=None, now=live_at) is None
        assert await other.get(record.handle) == record

    async def test_signing_keys_stay_in_their_namespace(
        self, store: AsyncStore, open_store: AsyncStoreFactory, clock: MutableClock
    ) -> None:
        other = open_store(new_namespace())
        key = new_signing_key(clock(), kid="shared-kid")
        assert await other.add_signing_key(key) is True
        assert await store.list_signing_keys() == []
        mine = new_signing_key(clock(), kid="shared-kid")
        assert await store.add_signing_key(mine) is True
        assert await store.list_signing_keys() == [mine]
        assert await other.list_signing_keys() == [key]

    async def test_tokens_of_one_namespace_are_foreign_in_another(
        self,
        manager: AsyncSessionManager,
        open_store: AsyncStoreFactory,
        open_manager: Callable[[AsyncStore], AsyncSessionManager],
    ) -> None:
        other = open_manager(open_store(new_namespace()))
        await other.load_keys()
        session = await manager.create_session("alice")
        assert session.refresh_token is not None
        with pytest.raises(InvalidTokenError):
            await other.get_session(session.access_token)
        with pytest.raises(InvalidTokenError):
            await other.refresh_session(session.refresh_token)
        assert await other.get_all_session_handles_for_user("alice") == []

    @requires("shared_namespace")
    async def test_a_second_store_on_the_namespace_sees_everything(
        self,
        store: AsyncStore,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
    ) -> None:
        record, key = new_record(clock()), new_signing_key(clock())
        await store.create(record)
        await store.add_signing_key(key)
        twin = open_store(namespace)
        assert await twin.get(record.handle) == record
        assert await twin.list_signing_keys() == [key]
        assert await twin.delete([record.handle]) == [record.handle]
        assert await store.get(record.handle) is None


class AsyncTenantIsolationTests:
    """One user id in two tenants is two unrelated users."""

    async def test_revoke_all_is_scoped_to_the_tenant(self, manager: AsyncSessionManager) -> None:
        acme = await manager.create_session("alice", tenant="acme")
        globex = await manager.create_session("alice", tenant="globex")
        assert await manager.revoke_all_sessions_for_user("alice", tenant="acme") == [acme.handle]
        assert await manager.get_all_session_handles_for_user("alice", tenant="globex") == [
            globex.handle
        ]
        assert await manager.get_all_session_handles_for_user("alice", tenant="acme") == []
        verified = await manager.get_session(globex.access_token, check_database=True)
        assert verified.tenant == "globex"


class AsyncUserIsolationTests:
    """Revoking every session of one user leaves every other user's sessions working."""

    async def test_revoke_all_for_a_leaves_b_intact(self, manager: AsyncSessionManager) -> None:
        a = [await manager.create_session("user-a") for _ in range(3)]
        b = [await manager.create_session("user-b") for _ in range(2)]
        revoked = await manager.revoke_all_sessions_for_user("user-a")
        assert sorted(revoked) == sorted([s.handle for s in a])
        assert sorted(await manager.get_all_session_handles_for_user("user-b")) == sorted(
            [s.handle for s in b]
        )
        for session in b:
            assert session.refresh_token is not None
            await manager.refresh_session(session.refresh_token)
            await manager.get_session(session.access_token, check_database=True)


__all__ = ["AsyncNamespaceIsolationTests", "AsyncTenantIsolationTests", "AsyncUserIsolationTests"]
