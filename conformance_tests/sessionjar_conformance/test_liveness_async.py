"""Conformance: `is_live`, the one read behind ``check_database`` (async version)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    ConfigurationError,
    SessionNotFound,
    SessionPatch,
)
from sessionjar_conformance._helpers import MutableClock, new_handle, new_record
from sessionjar_conformance.test_bad_input_async import BAD_TEXT, LITERAL_NAMES

_NOT_TEXT = ["mongo_operator", "list", "int", "none", "bytes"]


class AsyncLivenessFixture:
    """Provides ``liveness``: the store, for drivers of protocol 3 and later."""

    @pytest.fixture
    def liveness(self, store: AsyncStore) -> AsyncStore:
        """The store, if it implements protocol 3 or later, which added `is_live`."""
        if store.protocol_version < 3:
            pytest.skip("the driver implements storage protocol 2, which has no is_live")
        return store


class AsyncIsLiveTests(AsyncLivenessFixture):
    """`is_live` is true only for a live record with exactly that handle, tenant and user."""

    async def test_live_record_is_live(self, liveness: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), tenant="acme", user_id="alice")
        await liveness.create(record)
        assert await liveness.is_live(record.handle, tenant="acme", user_id="alice", now=clock())
        assert await liveness.get(record.handle) == record

    async def test_absent_or_deleted_handle_is_not_live(
        self, liveness: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        assert not await liveness.is_live(
            new_handle(), tenant=record.tenant, user_id=record.user_id, now=clock()
        )
        await liveness.create(record)
        await liveness.delete([record.handle])
        assert not await liveness.is_live(
            record.handle, tenant=record.tenant, user_id=record.user_id, now=clock()
        )

    async def test_expiry_boundary(self, liveness: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await liveness.create(record)
        one_ms = timedelta(milliseconds=1)
        answers = [
            await liveness.is_live(record.handle, tenant="public", user_id="alice", now=now)
            for now in (record.expires_at - one_ms, record.expires_at, record.expires_at + one_ms)
        ]
        assert answers == [True, False, False]

    async def test_follows_an_updated_expiry(
        self, liveness: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), ttl=timedelta(minutes=5))
        await liveness.create(record)
        patch_at = clock.advance(minutes=4)
        await _slide(liveness, record.handle, patch_at + timedelta(minutes=5), patch_at)
        later = clock.advance(minutes=3)
        assert await liveness.is_live(record.handle, tenant="public", user_id="alice", now=later)

    async def test_other_tenant_or_user_is_not_live(
        self, liveness: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), tenant="acme", user_id="alice")
        await liveness.create(record)
        for tenant, user_id in [("public", "alice"), ("acme", "bob"), ("alice", "acme")]:
            assert not await liveness.is_live(
                record.handle, tenant=tenant, user_id=user_id, now=clock()
            )

    @pytest.mark.parametrize("which", ["handle", "tenant", "user_id"])
    async def test_each_identifier_matches_exactly(
        self, liveness: AsyncStore, clock: MutableClock, which: str
    ) -> None:
        record = new_record(clock(), tenant="acme", user_id="alice")
        await liveness.create(record)
        exact = {"handle": record.handle, "tenant": "acme", "user_id": "alice"}
        value = exact[which]
        for near in (value.upper(), value[:-1], value + "x", f" {value}", value[:-1] + "%"):
            asked = {**exact, which: near}
            assert not await liveness.is_live(
                asked["handle"], tenant=asked["tenant"], user_id=asked["user_id"], now=clock()
            ), f"{which}={near!r} matched {value!r}"

    @pytest.mark.parametrize("name", LITERAL_NAMES)
    async def test_patterns_match_literally(
        self, liveness: AsyncStore, clock: MutableClock, name: str
    ) -> None:
        record = new_record(clock(), tenant="a", user_id="b")
        await liveness.create(record)
        for handle, tenant, user_id in [(name, "a", "b"), (record.handle, name, "b")]:
            assert not await liveness.is_live(handle, tenant=tenant, user_id=user_id, now=clock())
        assert not await liveness.is_live(record.handle, tenant="a", user_id=name, now=clock())


class AsyncIsLiveBadInputTests(AsyncLivenessFixture):
    """`is_live` refuses arguments that are not text or an aware time; it reads nothing."""

    @pytest.mark.parametrize("case", _NOT_TEXT)
    @pytest.mark.parametrize("which", ["handle", "tenant", "user_id"])
    async def test_identifier_that_is_not_text(
        self, liveness: AsyncStore, clock: MutableClock, which: str, case: str
    ) -> None:
        record = new_record(clock())
        await liveness.create(record)
        asked: dict[str, Any] = {
            "handle": record.handle,
            "tenant": record.tenant,
            "user_id": record.user_id,
            which: BAD_TEXT[case],
        }
        with pytest.raises(ConfigurationError):
            await liveness.is_live(
                asked["handle"], tenant=asked["tenant"], user_id=asked["user_id"], now=clock()
            )

    @pytest.mark.parametrize("now", [datetime(2030, 1, 1), None, 1_900_000_000_000, "now"])
    async def test_now_that_is_not_an_aware_time(
        self, liveness: AsyncStore, clock: MutableClock, now: Any
    ) -> None:
        record = new_record(clock())
        await liveness.create(record)
        with pytest.raises(ConfigurationError):
            await liveness.is_live(record.handle, tenant="public", user_id="alice", now=now)

    @pytest.mark.parametrize("case", ["empty", "too_long", "nul", "non_ascii", "space"])
    async def test_odd_text_is_not_live(
        self, liveness: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        record = new_record(clock())
        await liveness.create(record)
        odd = BAD_TEXT[case]
        assert not await liveness.is_live(odd, tenant="public", user_id="alice", now=clock())
        assert not await liveness.is_live(record.handle, tenant=odd, user_id="alice", now=clock())
        assert not await liveness.is_live(record.handle, tenant="public", user_id=odd, now=clock())


class AsyncCheckedVerifyTests:
    """``get_session(check_database=True)`` refuses what `is_live` says is not live."""

    async def test_refuses_a_session_at_its_expiry(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock
    ) -> None:
        session = await manager.create_session("alice")
        token = session.access_token
        assert (await manager.get_session(token, check_database=True)).handle == session.handle
        # the record ends before the token: only the store knows the session is over
        await _slide(store, session.handle, clock() + timedelta(seconds=1), clock())
        clock.advance(seconds=1)
        with pytest.raises(SessionNotFound):
            await manager.get_session(token, check_database=True)
        assert await store.get(session.handle) is not None


async def _slide(store: AsyncStore, handle: str, expires_at: datetime, now: datetime) -> None:
    updated = await store.update(
        handle, SessionPatch(expires_at=expires_at), expected_version=None, now=now
    )
    assert updated is not None


__all__ = ["AsyncIsLiveTests", "AsyncIsLiveBadInputTests", "AsyncCheckedVerifyTests"]
