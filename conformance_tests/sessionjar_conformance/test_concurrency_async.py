"""Conformance: real concurrency, with tasks (async) or threads (sync) (async version)."""

from __future__ import annotations

import pytest

from sessionjar import (
    AsyncSession,
    AsyncSessionManager,
    AsyncStore,
    SessionNotFound,
    SessionPatch,
)
from sessionjar_conformance._acompat import aparallel
from sessionjar_conformance._helpers import MutableClock, new_record


class AsyncParallelRefreshTests:
    """Many refreshes of one token at once leave one lineage and raise no theft."""

    @pytest.mark.parametrize("count", [50])
    async def test_parallel_refreshes_of_one_token(
        self, manager: AsyncSessionManager, store: AsyncStore, count: int
    ) -> None:
        session = await manager.create_session("alice")
        token = session.refresh_token
        assert token is not None

        async def refresh(index: int) -> AsyncSession:
            return await manager.refresh_session(token)

        results = await aparallel(count, refresh)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        children = {r.refresh_token for r in results if isinstance(r, AsyncSession)}
        assert len(children) == 1, "parallel refreshes forked the session's lineage"
        record = await store.get(session.handle)
        assert record is not None
        assert record.version == 2, "one rotation, not one per caller"
        (child,) = children
        assert child is not None
        grandchild = await manager.refresh_session(child)
        await manager.get_session(grandchild.access_token, check_database=True)


class AsyncLogoutRaceTests:
    """A logout racing updates of the session stays logged out."""

    async def test_revoke_racing_updates_stays_revoked(
        self, manager: AsyncSessionManager, store: AsyncStore
    ) -> None:
        session = await manager.create_session("alice")

        async def act(index: int) -> None:
            if index == 10:
                await manager.revoke_session(session.handle)
            elif index % 2:
                await manager.update_session_data(session.handle, {"n": index})
            else:
                await manager.update_jwt_payload(session.handle, {"n": index})

        results = await aparallel(21, act)
        unexpected = [r for r in results if r is not None and not isinstance(r, SessionNotFound)]
        assert unexpected == []
        assert await store.get(session.handle) is None
        assert await manager.get_session_information(session.handle) is None
        assert await manager.get_all_session_handles_for_user("alice") == []


class AsyncParallelCreateTests:
    """Many sessions created at once for one user are all kept and listed."""

    async def test_parallel_creates_are_all_listed(self, manager: AsyncSessionManager) -> None:
        async def create(index: int) -> str:
            return (await manager.create_session("alice", session_data={"n": index})).handle

        results = await aparallel(100, create)
        handles = [r for r in results if isinstance(r, str)]
        assert len(handles) == 100, [r for r in results if not isinstance(r, str)]
        listed = await manager.get_all_session_handles_for_user("alice")
        assert sorted(listed) == sorted(handles)


class AsyncParallelUpdateTests:
    """Racing unconditional updates all apply (the conditional races are in test_atomicity)."""

    async def test_unconditional_updates_all_count(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)

        async def update(index: int) -> object:
            patch = SessionPatch(session_data={"n": index})
            return await store.update(record.handle, patch, expected_version=None, now=clock())

        results = await aparallel(30, update)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert None not in results, "an unconditional update of a live record was lost"
        got = await store.get(record.handle)
        assert got is not None
        assert got.version == 31


__all__ = [
    "AsyncParallelRefreshTests",
    "AsyncLogoutRaceTests",
    "AsyncParallelCreateTests",
    "AsyncParallelUpdateTests",
]
