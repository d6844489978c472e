"""Tests of the memory:// store (async version): copies, bounds, sharing, closing."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from sessionjar import (
    ConfigurationError,
    DuplicateHandle,
    JSONObject,
    SerializationError,
    SessionPatch,
    StorageUnavailable,
    open_async_store,
)
from sessionjar.drivers.memory import AsyncMemoryStore

if TYPE_CHECKING:
    from fix_stores import KeyFactory, RecordFactory

NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


@pytest.fixture
def store() -> AsyncMemoryStore:
    return AsyncMemoryStore.from_url("memory://", "app")


async def test_stored_state_cannot_be_mutated_by_callers(
    store: AsyncMemoryStore, new_record: RecordFactory
) -> None:
    record = new_record("h1")
    await store.create(record)
    record.session_data["cart"].append("sneaked in")  # type: ignore[union-attr]
    fetched = await store.get("h1")
    assert fetched is not None
    assert fetched.session_data == {"cart": [1, 2, {"sku": "é\u2603"}]}
    fetched.access_payload["role"] = "admin"
    again = await store.get("h1")
    assert again is not None
    assert again.access_payload == {"role": "user"}


async def test_patch_values_are_copied(store: AsyncMemoryStore, new_record: RecordFactory) -> None:
    await store.create(new_record("h1"))
    data: JSONObject = {"n": [1]}
    updated = await store.update(
        "h1",
        SessionPatch(session_data=data),
        expected_version=1,
        now=NOW,
    )
    assert updated is not None
    assert updated.version == 2
    data["n"] = "changed"
    updated.session_data["n"] = "changed too"
    fetched = await store.get("h1")
    assert fetched is not None
    assert fetched.session_data == {"n": [1]}


async def test_duplicate_handle_leaves_the_first_record(
    store: AsyncMemoryStore, new_record: RecordFactory
) -> None:
    await store.create(new_record("h1", user_id="alice"))
    with pytest.raises(DuplicateHandle):
        await store.create(new_record("h1", user_id="mallory"))
    fetched = await store.get("h1")
    assert fetched is not None
    assert fetched.user_id == "alice"


async def test_full_store_evicts_expired_records_then_refuses(new_record: RecordFactory) -> None:
    store = AsyncMemoryStore.from_url("memory://?max_sessions=2", "app")
    await store.create(new_record("old", ttl=timedelta(seconds=-1)))
    await store.create(new_record("live"))
    await store.create(new_record("new"))  # evicts "old", expired at the new record's creation
    assert await store.get("old") is None
    with pytest.raises(StorageUnavailable, match="maximum of 2"):
        await store.create(new_record("one too many"))
    assert await store.get("one too many") is None
    assert sorted(await store.list_for_user("public", "alice", now=NOW)) == ["live", "new"]
    await store.delete(["live"])
    await store.create(new_record("fits again"))


async def test_named_backend_is_shared_and_namespaces_are_isolated(
    new_record: RecordFactory, new_key: KeyFactory
) -> None:
    first = open_async_store("memory://test-shared", namespace="one")
    same = open_async_store("memory://test-shared", namespace="one")
    other = open_async_store("memory://test-shared", namespace="two")
    private = open_async_store("memory://", namespace="one")
    await first.create(new_record("h1"))
    await first.add_signing_key(new_key("k1"))
    assert await same.get("h1") is not None
    assert [key.kid for key in await same.list_signing_keys()] == ["k1"]
    assert await other.get("h1") is None
    assert await other.list_signing_keys() == []
    assert await other.delete(["h1"]) == []
    assert await private.get("h1") is None
    await first.close()
    assert await same.get("h1") is not None  # a named backend outlives its stores
    await same.delete(["h1"])


async def test_closed_store_fails_closed(
    store: AsyncMemoryStore, new_record: RecordFactory
) -> None:
    await store.create(new_record("h1"))
    await store.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        await store.get("h1")
    with pytest.raises(StorageUnavailable, match="closed"):
        await store.create(new_record("h2"))


@pytest.mark.parametrize(
    "url",
    [
        "memory://?max_sessions=0",
        "memory://?max_sessions=ten",
        "memory://?max_sessions=-1",
        "memory://?max_sessions=1&max_sessions=2",
        "memory://?colour=blue",
        "memory://name/with/path",
        "memory://bad%20name",
        "memory://#fragment",
    ],
)
def test_bad_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AsyncMemoryStore.from_url(url, "app")


def test_named_backend_cannot_be_reopened_with_another_bound() -> None:
    AsyncMemoryStore.from_url("memory://test-bound?max_sessions=5", "app")
    AsyncMemoryStore.from_url("memory://test-bound", "app")
    AsyncMemoryStore.from_url("memory://test-bound?max_sessions=5", "app")
    with pytest.raises(ConfigurationError, match="max_sessions=5"):
        AsyncMemoryStore.from_url("memory://test-bound?max_sessions=6", "app")


@pytest.mark.parametrize(
    "fields",
    [
        {"session_data": {"x": math.nan}},
        {"access_payload": {"x": (1, 2)}},
        {"session_data": {1: "non-string key"}},
        {"user_id": "\ud800"},
        {"expires_at": datetime(2026, 3, 2, 13)},
        {"created_at": NOW + timedelta(microseconds=1)},
    ],
)
async def test_bad_record_writes_nothing(
    store: AsyncMemoryStore, new_record: RecordFactory, fields: dict[str, Any]
) -> None:
    with pytest.raises(SerializationError):
        await store.create(new_record("h1", **fields))
    assert await store.get("h1") is None


async def test_bad_patch_writes_nothing(
    store: AsyncMemoryStore, new_record: RecordFactory
) -> None:
    await store.create(new_record("h1"))
    bad = SessionPatch(session_data={"x": math.inf}, refresh_hash="b" * 64)
    with pytest.raises(SerializationError):
        await store.update("h1", bad, expected_version=None, now=NOW)
    fetched = await store.get("h1")
    assert fetched is not None
    assert (fetched.version, fetched.refresh_hash) == (1, "a" * 64)


async def test_a_single_string_is_not_a_list_of_handles(
    store: AsyncMemoryStore, new_record: RecordFactory
) -> None:
    await store.create(new_record("h"))
    with pytest.raises(ConfigurationError):
        await store.delete("h")
    assert await store.get("h") is not None


async def test_delete_expired_removes_only_expired_records_and_keys(
    store: AsyncMemoryStore, new_record: RecordFactory, new_key: KeyFactory
) -> None:
    await store.create(new_record("short", ttl=timedelta(minutes=1)))
    await store.create(new_record("long", ttl=timedelta(hours=2)))
    await store.add_signing_key(new_key("k-short", ttl=timedelta(minutes=1)))
    await store.add_signing_key(new_key("k-long"))
    assert await store.delete_expired(now=NOW + timedelta(minutes=1)) == 1
    assert await store.get("short") is None
    assert await store.get("long") is not None
    assert [key.kid for key in await store.list_signing_keys()] == ["k-long"]
