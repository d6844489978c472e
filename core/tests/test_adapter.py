"""Tests of `AsyncStoreAdapter`: a sync store's calls run in worker threads."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sessionjar import (
    AsyncStore,
    AsyncStoreAdapter,
    DuplicateHandle,
    SessionPatch,
    SessionRecord,
    StorageUnavailable,
    open_async_store,
)
from sessionjar.drivers.memory import MemoryBackend, MemoryStore
from sessionjar.drivers.sqlite.store import SqliteStore
from sessionjar.storage import PROTOCOL_VERSION

if TYPE_CHECKING:
    from fix_stores import KeyFactory, RecordFactory

NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


class ThreadRecordingStore(MemoryStore):
    """A real memory store that notes which thread ran each `get`."""

    def __init__(self) -> None:
        super().__init__(MemoryBackend(), "app")
        self.threads: set[int] = set()

    def get(self, handle: str) -> SessionRecord | None:
        self.threads.add(threading.get_ident())
        return super().get(handle)


async def test_calls_run_off_the_event_loop_thread(new_record: RecordFactory) -> None:
    sync_store = ThreadRecordingStore()
    adapter = AsyncStoreAdapter(sync_store)
    await adapter.create(new_record("h1"))
    assert await adapter.get("h1") == sync_store.get("h1")
    sync_store.threads.discard(threading.get_ident())  # the direct call just above
    assert len(sync_store.threads) == 1
    assert threading.get_ident() not in sync_store.threads


async def test_every_method_reaches_the_wrapped_store(
    tmp_path: Path, new_record: RecordFactory, new_key: KeyFactory
) -> None:
    adapter = AsyncStoreAdapter(SqliteStore(str(tmp_path / "a.db"), "app"))
    assert isinstance(adapter, AsyncStore)
    assert adapter.protocol_version == PROTOCOL_VERSION
    await adapter.create(new_record("h1", ttl=timedelta(minutes=1)))
    await adapter.create(new_record("h2"))
    with pytest.raises(DuplicateHandle):
        await adapter.create(new_record("h1"))
    updated = await adapter.update(
        "h2", SessionPatch(session_data={"x": 1}), expected_version=1, now=NOW
    )
    assert updated is not None
    assert updated.version == 2
    assert sorted(await adapter.list_for_user("public", "alice", now=NOW)) == ["h1", "h2"]
    assert await adapter.delete_expired(now=NOW + timedelta(minutes=1)) == 1
    assert await adapter.add_signing_key(new_key("k1")) is True
    assert [key.kid for key in await adapter.list_signing_keys()] == ["k1"]
    assert await adapter.delete(["h2", "h9"]) == ["h2"]
    await adapter.create(new_record("h3"))
    assert await adapter.delete_for_user("public", "alice") == ["h3"]
    await adapter.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        await adapter.get("h3")


async def test_tasks_racing_through_threads_lose_no_update(
    tmp_path: Path, new_record: RecordFactory
) -> None:
    store = open_async_store(f"sqlite:///{tmp_path}/race.db", namespace="app")
    assert isinstance(store, AsyncStoreAdapter)
    await store.create(new_record("counter", session_data={"n": 0}))

    async def increment() -> None:
        while True:
            record = await store.get("counter")
            assert record is not None
            count = record.session_data["n"]
            assert isinstance(count, int)
            patch = SessionPatch(session_data={"n": count + 1})
            if await store.update("counter", patch, expected_version=record.version, now=NOW):
                return

    await asyncio.gather(*(increment() for _ in range(20)))
    final = await store.get("counter")
    assert final is not None
    assert (final.session_data, final.version) == ({"n": 20}, 21)
    await store.close()
