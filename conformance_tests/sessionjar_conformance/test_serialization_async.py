"""Conformance: JSON values round-trip exactly; others are refused unwritten (async version)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings

from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    JSONObject,
    SerializationError,
    SessionPatch,
)
from sessionjar_conformance._helpers import MutableClock, canonical, new_record
from sessionjar_conformance._strategies import json_objects, same_json


def _nested(depth: int) -> JSONObject:
    value: JSONObject = {"leaf": True}
    for level in range(depth):
        value = {f"level{level}": value, "list": [level]}
    return value


EDGE_CASES: Final[dict[str, JSONObject]] = {
    "unicode": {"text": "Zürich, 東京, Ελληνικά, עברית", "ключ": "значение"},
    "emoji": {"🍪": "🎉👩‍👩‍👧‍👦", "flag": "🇫🇷"},
    "nested": {"a": {"b": {"c": [1, {"d": [None, True, False]}]}}},
    "big_ints": {"i63": 2**63 - 1, "neg": -(2**63), "u64": 2**64 - 1, "js_max": 2**53 + 1},
    "floats": {"tenth": 0.1, "huge": 1e300, "tiny": 5e-324, "one": 1.0, "neg": -2.5e-8},
    "dollar_keys": {"$ne": None, "$where": "1 == 1", "$set": {"$gt": ""}},
    "dotted_keys": {"a.b": 1, ".": 2, "a..b": {"c.d": 3}},
    "empty": {"object": {}, "list": [], "string": "", "nested": [{}, [[]]]},
    "empty_key": {"": "empty key", " ": "space"},
    "deep": _nested(60),
    "escapes": {"quote": '"', "backslash": "\\", "tab": "\t", "newline": "a\nb\r\n"},
    "long_text": {"blob": "x" * 100_000},
    "numbers_as_text": {"1": "one", "01": "zero-one", "-1": "minus one"},
}
"""JSON objects every driver must store and return exactly (key order aside)."""

UNSERIALIZABLE: Final[dict[str, Any]] = {
    "nan": {"x": math.nan},
    "infinity": {"x": math.inf},
    "set": {"x": {1, 2}},
    "tuple": {"x": (1, 2)},
    "bytes": {"x": b"\x00"},
    "datetime": {"x": datetime(2026, 1, 1, tzinfo=UTC)},
    "int_key": {1: "x"},
    "lone_surrogate": {"x": "\ud800"},
    "object": {"x": object()},
}
"""Values core must refuse with `SerializationError` before anything is written."""


class AsyncStoreRoundTripTests:
    """The store returns payloads and session data exactly as given."""

    @pytest.mark.parametrize("case", EDGE_CASES)
    async def test_create_round_trips(
        self, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        value = EDGE_CASES[case]
        record = new_record(clock(), access_payload=value, session_data=value)
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        assert canonical(got.session_data) == canonical(value)
        assert canonical(got.access_payload) == canonical(value)

    @pytest.mark.parametrize("case", EDGE_CASES)
    async def test_update_round_trips(
        self, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        value = EDGE_CASES[case]
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(session_data=value, access_payload=value)
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        got = await store.get(record.handle)
        assert updated is not None
        assert got is not None
        for result in (updated, got):
            assert canonical(result.session_data) == canonical(value)
            assert canonical(result.access_payload) == canonical(value)

    async def test_text_nul_round_trips_or_is_refused_unwritten(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        value: JSONObject = {"nul": "a\x00b"}
        record = new_record(clock(), session_data=value)
        try:
            await store.create(record)
        except SerializationError:
            assert await store.get(record.handle) is None
            return
        got = await store.get(record.handle)
        assert got is not None
        assert got.session_data == value

    async def test_huge_int_round_trips_or_is_refused_unwritten(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        value: JSONObject = {"huge": 2**100, "negative": -(2**80)}
        patch = SessionPatch(session_data=value)
        try:
            await store.update(record.handle, patch, expected_version=None, now=clock())
        except SerializationError:
            assert await store.get(record.handle) == record
            return
        got = await store.get(record.handle)
        assert got is not None
        assert canonical(got.session_data) == canonical(value)


class AsyncPropertyRoundTripTests:
    """Generated JSON objects of every shape come back from the store exactly."""

    @settings(
        max_examples=40,
        deadline=None,
        # The store is only a connection: each example writes its own fresh record; and
        # every driver's subclass runs this one test, which is what the suite is for.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(data=json_objects, payload=json_objects)
    async def test_generated_objects_round_trip(
        self, store: AsyncStore, clock: MutableClock, data: JSONObject, payload: JSONObject
    ) -> None:
        record = new_record(clock(), session_data=data, access_payload=payload)
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        assert same_json(got.session_data, data)
        assert same_json(got.access_payload, payload)
        patch = SessionPatch(session_data=payload, access_payload=data)
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        assert same_json(updated.session_data, payload)
        assert same_json(updated.access_payload, data)


class AsyncManagerRoundTripTests:
    """Through core, session data and the JWT payload come back exactly."""

    @pytest.mark.parametrize("case", EDGE_CASES)
    async def test_session_data_and_payload_round_trip(
        self, manager: AsyncSessionManager, case: str
    ) -> None:
        value = EDGE_CASES[case]
        # Access tokens travel in headers: only payloads of a few kilobytes fit.
        payload: JSONObject = value if len(canonical(value)) < 2000 else {"small": True}
        session = await manager.create_session("alice", session_data=value)
        assert canonical(await session.get_session_data()) == canonical(value)
        await session.update_jwt_payload(payload)
        verified = await manager.get_session(session.access_token, check_database=True)
        assert canonical(verified.get_jwt_payload()) == canonical(payload)
        await session.update_session_data(value)
        assert canonical(await verified.get_session_data()) == canonical(value)


class AsyncUnserializableTests:
    """Values that cannot round-trip raise `SerializationError`; nothing is written."""

    @pytest.mark.parametrize("case", UNSERIALIZABLE)
    async def test_create_writes_nothing(
        self, manager: AsyncSessionManager, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        with pytest.raises(SerializationError):
            await manager.create_session("alice", session_data=UNSERIALIZABLE[case])
        with pytest.raises(SerializationError):
            await manager.create_session("alice", access_payload=UNSERIALIZABLE[case])
        assert await store.list_for_user("public", "alice", now=clock()) == []

    @pytest.mark.parametrize("case", UNSERIALIZABLE)
    async def test_update_writes_nothing(
        self, manager: AsyncSessionManager, store: AsyncStore, case: str
    ) -> None:
        session = await manager.create_session("alice", session_data={"kept": True})
        before = await store.get(session.handle)
        with pytest.raises(SerializationError):
            await session.update_session_data(UNSERIALIZABLE[case])
        with pytest.raises(SerializationError):
            await session.update_jwt_payload(UNSERIALIZABLE[case])
        assert await store.get(session.handle) == before


__all__ = [
    "AsyncStoreRoundTripTests",
    "AsyncPropertyRoundTripTests",
    "AsyncManagerRoundTripTests",
    "AsyncUnserializableTests",
]
