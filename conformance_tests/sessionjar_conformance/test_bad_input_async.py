"""Conformance: bad tokens, handles and names are refused or matched literally (async version)."""

from __future__ import annotations

from typing import Any, Final

import pytest

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    ConfigurationError,
    InvalidHandle,
    InvalidTokenError,
)
from sessionjar_conformance._helpers import MutableClock, new_record

BAD_TEXT: Final[dict[str, Any]] = {
    "mongo_operator": {"$ne": None},
    "list": ["a", "b"],
    "int": 42,
    "none": None,
    "bytes": b"abc",
    "empty": "",
    "too_long": "a" * 9000,
    "nul": "abc\x00def",
    "crlf": "abc\r\ndef",
    "glob_star": "*",
    "glob_class": "[a-z]?*",
    "sql_like": "%",
    "regex": ".*",
    "non_ascii": "séssion-ünïcode-handle",
    "space": "abc def",
}
"""Values that are no token or handle core ever issued."""

LITERAL_NAMES: Final = ["*", "a*", "?", "[ab]", "%", "_", ".*", "a.b", "a:b", "{a}", "\\"]
"""User ids that pattern-matching backends would misread if they did not match literally."""


class AsyncBadTokenTests:
    """Bad access and refresh tokens raise `InvalidTokenError`; nothing is touched."""

    @pytest.mark.parametrize("case", BAD_TEXT)
    async def test_bad_access_token(self, manager: AsyncSessionManager, case: str) -> None:
        await manager.create_session("alice")
        for check_database in (False, True):
            with pytest.raises(InvalidTokenError):
                await manager.get_session(BAD_TEXT[case], check_database=check_database)

    @pytest.mark.parametrize("case", BAD_TEXT)
    async def test_bad_refresh_token(
        self, manager: AsyncSessionManager, store: AsyncStore, case: str
    ) -> None:
        session = await manager.create_session("alice")
        before = await store.get(session.handle)
        with pytest.raises(InvalidTokenError):
            await manager.refresh_session(BAD_TEXT[case])
        assert await store.get(session.handle) == before


class AsyncBadHandleTests:
    """Bad handles raise `InvalidHandle` before any storage call; nothing is written."""

    @pytest.mark.parametrize("case", BAD_TEXT)
    async def test_bad_handle_everywhere(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        session = await manager.create_session("alice")
        before = await store.get(session.handle)
        bad = BAD_TEXT[case]
        with pytest.raises(InvalidHandle):
            await manager.revoke_session(bad)
        with pytest.raises(InvalidHandle):
            await manager.get_session_information(bad)
        with pytest.raises(InvalidHandle):
            await manager.update_session_data(bad, {"x": 1})
        with pytest.raises(InvalidHandle):
            await manager.update_jwt_payload(bad, {"x": 1})
        assert await store.get(session.handle) == before
        assert await store.list_for_user("public", "alice", now=clock()) == [session.handle]

    @pytest.mark.parametrize("case", ["mongo_operator", "list", "int", "none", "empty", "nul"])
    async def test_bad_user_id_or_tenant(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        session = await manager.create_session("alice")
        bad = BAD_TEXT[case]
        with pytest.raises(ConfigurationError):
            await manager.create_session(bad)
        with pytest.raises(ConfigurationError):
            await manager.create_session("alice", tenant=bad)
        with pytest.raises(ConfigurationError):
            await manager.revoke_all_sessions_for_user(bad)
        with pytest.raises(ConfigurationError):
            await manager.get_all_session_handles_for_user("alice", tenant=bad)
        assert await store.list_for_user("public", "alice", now=clock()) == [session.handle]


class AsyncLiteralMatchingTests:
    """Stores match handles, tenants and user ids literally: no globs, patterns or operators."""

    @pytest.mark.parametrize("name", LITERAL_NAMES)
    async def test_user_ids_match_literally(
        self, store: AsyncStore, clock: MutableClock, name: str
    ) -> None:
        others = [new_record(clock(), user_id=user) for user in ("alice", "a", "ab", "b", "a.b")]
        for record in others:
            if record.user_id != name:
                await store.create(record)
        special = new_record(clock(), user_id=name)
        await store.create(special)
        assert await store.list_for_user("public", name, now=clock()) == [special.handle]
        assert await store.delete_for_user("public", name) == [special.handle]
        for record in others:
            if record.user_id != name:
                assert await store.get(record.handle) == record

    async def test_tenant_and_user_do_not_run_together(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        left = new_record(clock(), tenant="a:b", user_id="c")
        right = new_record(clock(), tenant="a", user_id="b:c")
        await store.create(left)
        await store.create(right)
        assert await store.list_for_user("a:b", "c", now=clock()) == [left.handle]
        assert await store.list_for_user("a", "b:c", now=clock()) == [right.handle]
        assert await store.delete_for_user("a", "b:c") == [right.handle]
        assert await store.get(left.handle) == left

    @pytest.mark.parametrize("pattern", ["*", "?*", "%", ".*", "[a-zA-Z0-9_-]*"])
    async def test_handles_match_literally(
        self, store: AsyncStore, clock: MutableClock, pattern: str
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        assert await store.get(pattern) is None
        assert await store.delete([pattern]) == []
        assert await store.get(record.handle) == record


__all__ = [
    "AsyncBadTokenTests",
    "AsyncBadHandleTests",
    "AsyncLiteralMatchingTests",
]
