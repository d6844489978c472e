"""Conformance: identifiers match exactly, never through a collation (async version).

A store compares handles, tenants, user ids, namespaces and kids as the exact strings it
was given: no case folding, no trimmed or padded spaces, no Unicode normalisation.
"""

from __future__ import annotations

from typing import Final

import pytest

from sessionjar import AsyncStore, SessionPatch
from sessionjar_conformance._helpers import (
    LOOKALIKES,
    MutableClock,
    new_record,
    new_signing_key,
)
from sessionjar_conformance.fixtures_async import AsyncStoreFactory

_PAIRS: Final = [pytest.param(a, b, id=case) for case, a, b in LOOKALIKES]


class AsyncExactIdentifierTests:
    """Two identifiers that differ in any code point name two things."""

    @pytest.mark.parametrize(("a", "b"), _PAIRS)
    async def test_user_ids_match_exactly(
        self, store: AsyncStore, clock: MutableClock, a: str, b: str
    ) -> None:
        mine, theirs = new_record(clock(), user_id=a), new_record(clock(), user_id=b)
        await store.create(mine)
        assert await store.list_for_user("public", b, now=clock()) == []
        assert await store.delete_for_user("public", b) == []
        await store.create(theirs)
        assert await store.list_for_user("public", a, now=clock()) == [mine.handle]
        assert await store.list_for_user("public", b, now=clock()) == [theirs.handle]
        assert await store.get(theirs.handle) == theirs
        assert await store.delete_for_user("public", a) == [mine.handle]
        assert await store.get(theirs.handle) == theirs

    @pytest.mark.parametrize(("a", "b"), _PAIRS)
    async def test_tenants_match_exactly(
        self, store: AsyncStore, clock: MutableClock, a: str, b: str
    ) -> None:
        mine, theirs = new_record(clock(), tenant=a), new_record(clock(), tenant=b)
        await store.create(mine)
        assert await store.list_for_user(b, "alice", now=clock()) == []
        assert await store.delete_for_user(b, "alice") == []
        await store.create(theirs)
        assert await store.list_for_user(a, "alice", now=clock()) == [mine.handle]
        assert await store.list_for_user(b, "alice", now=clock()) == [theirs.handle]
        assert await store.get(theirs.handle) == theirs
        assert await store.delete_for_user(a, "alice") == [mine.handle]
        assert await store.get(theirs.handle) == theirs

    @pytest.mark.parametrize(("a", "b"), _PAIRS)
    async def test_handles_match_exactly(
        self, store: AsyncStore, clock: MutableClock, a: str, b: str
    ) -> None:
        mine = new_record(clock(), handle=a)
        theirs = new_record(clock(), handle=b, session_data={"other": True})
        await store.create(mine)
        assert await store.get(theirs.handle) is None
        patch = SessionPatch(session_data={"wrong": True})
        assert await store.update(theirs.handle, patch, expected_version=1, now=clock()) is None
        assert await store.delete([theirs.handle]) == []
        await store.create(theirs)  # no DuplicateHandle: another handle
        assert await store.get(mine.handle) == mine
        assert await store.get(theirs.handle) == theirs
        assert await store.delete([mine.handle]) == [mine.handle]
        assert await store.get(theirs.handle) == theirs

    @pytest.mark.parametrize(("a", "b"), _PAIRS)
    async def test_kids_match_exactly(
        self, store: AsyncStore, clock: MutableClock, a: str, b: str
    ) -> None:
        mine, theirs = new_signing_key(clock(), kid=a), new_signing_key(clock(), kid=b)
        assert await store.add_signing_key(mine) is True
        assert await store.add_signing_key(theirs) is True
        listed = await store.list_signing_keys()
        assert sorted(listed, key=lambda k: k.kid) == sorted([mine, theirs], key=lambda k: k.kid)


class AsyncNamespaceReachTests:
    """A namespace holds exactly its own records and keys: not those of a namespace that
    differs in case, nor of one that it is a prefix of."""

    async def test_namespace_differing_in_case_is_apart(
        self,
        store: AsyncStore,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
    ) -> None:
        await _assert_reaches_only_itself(store, open_store(namespace.upper()), clock)

    @pytest.mark.parametrize("suffix", ["_x", "-x", "0"])
    async def test_namespace_reaches_only_itself(
        self,
        store: AsyncStore,
        open_store: AsyncStoreFactory,
        namespace: str,
        clock: MutableClock,
        suffix: str,
    ) -> None:
        await _assert_reaches_only_itself(store, open_store(namespace + suffix), clock)


async def _assert_reaches_only_itself(
    store: AsyncStore, other: AsyncStore, clock: MutableClock
) -> None:
    """Fill both stores alike, then empty ``store``: ``other`` keeps all it had."""
    mine, theirs = new_record(clock()), new_record(clock())
    my_key, their_key = new_signing_key(clock()), new_signing_key(clock())
    await store.create(mine)
    await other.create(theirs)
    await store.add_signing_key(my_key)
    await other.add_signing_key(their_key)
    assert await store.list_for_user("public", "alice", now=clock()) == [mine.handle]
    assert await store.list_sessions_for_user("public", "alice", now=clock()) == [mine]
    assert await store.list_signing_keys() == [my_key]
    assert await store.delete([theirs.handle]) == []
    assert await store.delete_for_user("public", "alice") == [mine.handle]
    assert await store.delete_expired(now=clock.advance(days=2), limit=10) == 0
    assert await store.delete_expired(now=clock()) == 0
    assert await store.list_signing_keys() == []
    assert await other.get(theirs.handle) == theirs
    assert await other.list_signing_keys() == [their_key]


__all__ = ["AsyncExactIdentifierTests", "AsyncNamespaceReachTests"]
