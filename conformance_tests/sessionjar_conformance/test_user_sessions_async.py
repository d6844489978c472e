"""Conformance: listing a user's live session records (async version).

`list_sessions_for_user` (storage protocol 4) is what a "your active sessions" page and
per-user limits read: every live record of exactly one user in one tenant, each equal to
what `get` returns for its handle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import pytest

from sessionjar import AsyncStore, ConfigurationError, SessionPatch, SessionRecord
from sessionjar_conformance._helpers import LOOKALIKES, MANY, MutableClock, new_record
from sessionjar_conformance.test_bad_input_async import BAD_TEXT, LITERAL_NAMES

_PAIRS: Final = [pytest.param(a, b, id=case) for case, a, b in LOOKALIKES]
_NOT_TEXT: Final = ["mongo_operator", "list", "int", "none", "bytes"]


async def _listed(
    store: AsyncStore, tenant: str, user_id: str, now: datetime
) -> list[SessionRecord]:
    records = await store.list_sessions_for_user(tenant, user_id, now=now)
    return sorted(records, key=lambda record: record.handle)


def _by_handle(*records: SessionRecord) -> list[SessionRecord]:
    return sorted(records, key=lambda record: record.handle)


class AsyncListSessionsForUserTests:
    """`list_sessions_for_user` returns one user's live records in one tenant, as `get` does."""

    async def test_lists_every_live_record_as_get_returns_it(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        records = [new_record(clock(), device={"n": n}) for n in range(4)]
        for record in records:
            await store.create(record)
        patch = SessionPatch(session_data={"changed": True}, device={"ip": "198.51.100.0"})
        await store.update(records[0].handle, patch, expected_version=1, now=clock())
        got = [r for record in records if (r := await store.get(record.handle)) is not None]
        assert len(got) == len(records)
        assert await _listed(store, "public", "alice", clock()) == _by_handle(*got)

    async def test_lists_hundreds_of_records(self, store: AsyncStore, clock: MutableClock) -> None:
        records = [new_record(clock()) for _ in range(MANY)]
        for record in records:
            await store.create(record)
        await store.create(new_record(clock(), user_id="bob"))
        assert await _listed(store, "public", "alice", clock()) == _by_handle(*records)

    async def test_unknown_user_has_no_records(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        await store.create(new_record(clock()))
        assert await store.list_sessions_for_user("public", "nobody", now=clock()) == []

    async def test_lists_records_of_the_user_in_the_tenant_only(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        mine = new_record(clock(), tenant="acme", user_id="alice")
        for other in (
            new_record(clock(), tenant="acme", user_id="bob"),
            new_record(clock(), tenant="globex", user_id="alice"),
            new_record(clock(), tenant="public", user_id="alice"),
        ):
            await store.create(other)
        await store.create(mine)
        assert await store.list_sessions_for_user("acme", "alice", now=clock()) == [mine]

    async def test_record_expiring_exactly_now_is_omitted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        short = new_record(clock(), ttl=timedelta(minutes=5))
        long = new_record(clock(), ttl=timedelta(hours=5))
        await store.create(short)
        await store.create(long)
        before = short.expires_at - timedelta(milliseconds=1)
        assert await _listed(store, "public", "alice", before) == _by_handle(short, long)
        assert await _listed(store, "public", "alice", short.expires_at) == [long]

    async def test_deleted_records_are_omitted(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        gone, kept = new_record(clock()), new_record(clock())
        await store.create(gone)
        await store.create(kept)
        await store.delete([gone.handle])
        assert await store.list_sessions_for_user("public", "alice", now=clock()) == [kept]


class AsyncListSessionsMatchingTests:
    """Tenants and user ids match exactly and literally; bad arguments read nothing."""

    @pytest.mark.parametrize(("a", "b"), _PAIRS)
    async def test_user_ids_and_tenants_match_exactly(
        self, store: AsyncStore, clock: MutableClock, a: str, b: str
    ) -> None:
        by_user = new_record(clock(), user_id=a)
        by_tenant = new_record(clock(), tenant=a, user_id="carol")
        await store.create(by_user)
        await store.create(by_tenant)
        assert await store.list_sessions_for_user("public", b, now=clock()) == []
        assert await store.list_sessions_for_user(b, "carol", now=clock()) == []
        assert await store.list_sessions_for_user("public", a, now=clock()) == [by_user]
        assert await store.list_sessions_for_user(a, "carol", now=clock()) == [by_tenant]

    @pytest.mark.parametrize("name", LITERAL_NAMES)
    async def test_listed_user_ids_match_literally(
        self, store: AsyncStore, clock: MutableClock, name: str
    ) -> None:
        for user in ("alice", "a", "ab", "b", "a.b"):
            if user != name:
                await store.create(new_record(clock(), user_id=user))
        special = new_record(clock(), user_id=name)
        await store.create(special)
        assert await store.list_sessions_for_user("public", name, now=clock()) == [special]

    @pytest.mark.parametrize("case", _NOT_TEXT)
    @pytest.mark.parametrize("which", ["tenant", "user_id"])
    async def test_identifier_that_is_not_text_is_refused(
        self, store: AsyncStore, clock: MutableClock, which: str, case: str
    ) -> None:
        await store.create(new_record(clock()))
        asked: dict[str, Any] = {"tenant": "public", "user_id": "alice", which: BAD_TEXT[case]}
        with pytest.raises(ConfigurationError):
            await store.list_sessions_for_user(asked["tenant"], asked["user_id"], now=clock())

    @pytest.mark.parametrize("now", [datetime(2030, 1, 1), None, 1_900_000_000_000, "now"])
    async def test_now_that_is_not_an_aware_time_is_refused(
        self, store: AsyncStore, clock: MutableClock, now: Any
    ) -> None:
        await store.create(new_record(clock()))
        with pytest.raises(ConfigurationError):
            await store.list_sessions_for_user("public", "alice", now=now)


__all__ = ["AsyncListSessionsForUserTests", "AsyncListSessionsMatchingTests"]
