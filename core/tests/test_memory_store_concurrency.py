"""Races on the memory:// store: threads on the sync store, tasks on the async store."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from sessionjar import SessionPatch, SessionRecord
from sessionjar.drivers.memory import AsyncMemoryStore, MemoryBackend, MemoryStore

if TYPE_CHECKING:
    from fix_stores import RecordFactory

NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")
WORKERS = 40


def _incremented(record: SessionRecord) -> SessionPatch:
    count = record.session_data["n"]
    assert isinstance(count, int)
    return SessionPatch(session_data={"n": count + 1})


async def test_tasks_racing_compare_and_set_lose_no_update(new_record: RecordFactory) -> None:
    store = AsyncMemoryStore(MemoryBackend(), "app")
    await store.create(new_record("counter", session_data={"n": 0}))
    conflicts = 0

    async def increment() -> None:
        nonlocal conflicts
        while True:
            record = await store.get("counter")
            assert record is not None
            await asyncio.sleep(0)  # let the other tasks read the same version
            patch = _incremented(record)
            if await store.update("counter", patch, expected_version=record.version, now=NOW):
                return
            conflicts += 1

    await asyncio.gather(*(increment() for _ in range(WORKERS)))
    final = await store.get("counter")
    assert final is not None
    assert (final.session_data, final.version) == ({"n": WORKERS}, WORKERS + 1)
    assert conflicts >= WORKERS - 1  # every task but the first lost at least one race


def test_threads_racing_on_one_backend_lose_no_update(new_record: RecordFactory) -> None:
    backend = MemoryBackend()
    MemoryStore(backend, "app").create(new_record("counter", session_data={"n": 0}))
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def increment() -> None:
        store = MemoryStore(backend, "app")  # one store per thread, one shared backend
        barrier.wait()
        try:
            while True:
                record = store.get("counter")
                assert record is not None
                patch = _incremented(record)
                if store.update("counter", patch, expected_version=record.version, now=NOW):
                    return
        except BaseException as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=increment) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = MemoryStore(backend, "app").get("counter")
    assert final is not None
    assert (final.session_data, final.version) == ({"n": WORKERS}, WORKERS + 1)


def test_threads_racing_to_create_one_handle_create_it_once(new_record: RecordFactory) -> None:
    backend = MemoryBackend()
    barrier = threading.Barrier(WORKERS)
    created: list[str] = []

    def create(worker: int) -> None:
        barrier.wait()
        try:
            MemoryStore(backend, "app").create(new_record("same", user_id=f"u{worker}"))
            created.append(f"u{worker}")
        except Exception:  # noqa: S110 - DuplicateHandle is the expected loss
            pass

    threads = [threading.Thread(target=create, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = MemoryStore(backend, "app").get("same")
    assert record is not None
    assert created == [record.user_id]
