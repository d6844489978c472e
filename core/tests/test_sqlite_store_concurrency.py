"""Races on one SQLite file: several OS processes, and several threads of one process."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fix_stores import NOW, session_record

from sessionjar import DuplicateHandle, SessionPatch, StorageUnavailable
from sessionjar.drivers.sqlite.store import SqliteStore

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

PROCESSES = 4
INCREMENTS = 25


def _increment(store: SqliteStore) -> None:
    while True:
        record = store.get("counter")
        assert record is not None
        count = record.session_data["n"]
        assert isinstance(count, int)
        patch = SessionPatch(session_data={"n": count + 1})
        if store.update("counter", patch, expected_version=record.version, now=NOW):
            return


def _worker(path: str, worker: int, start: Event) -> None:
    """One process: races to create the schema, one shared handle, then increments."""
    store = SqliteStore(path, "app", busy_timeout_ms=30_000)
    start.wait()
    with contextlib.suppress(DuplicateHandle):  # one process wins; the others find it
        store.create(session_record("counter", user_id=f"p{worker}", session_data={"n": 0}))
    for n in range(INCREMENTS):
        store.create(session_record(f"p{worker}-{n}", user_id=f"p{worker}"))
        _increment(store)
    store.close()


def test_processes_share_one_file_without_losing_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_worker, args=(path, n, start)) for n in range(PROCESSES)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0] * PROCESSES
    with contextlib.closing(SqliteStore(path, "app")) as store:
        counter = store.get("counter")
        assert counter is not None
        assert counter.session_data == {"n": PROCESSES * INCREMENTS}
        assert counter.version == PROCESSES * INCREMENTS + 1
        for worker in range(PROCESSES):
            handles = store.list_for_user("public", f"p{worker}", now=NOW)
            created = {f"p{worker}-{n}" for n in range(INCREMENTS)}
            assert set(handles) - {"counter"} == created


def test_threads_on_one_store_and_on_own_stores_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "threads.db")
    shared = SqliteStore(path, "app")
    shared.create(session_record("counter", user_id="alice", session_data={"n": 0}))
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def run(own_store: bool) -> None:
        store = SqliteStore(path, "app") if own_store else shared
        barrier.wait()
        try:
            for _ in range(10):
                _increment(store)
        except BaseException as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)
        finally:
            if own_store:
                store.close()

    threads = [threading.Thread(target=run, args=(n % 2 == 0,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counter = shared.get("counter")
    shared.close()
    assert counter is not None
    assert (counter.session_data, counter.version) == ({"n": 80}, 81)


def _open_at_once(path: str, count: int) -> list[BaseException]:
    """Open ``count`` stores on ``path`` in as many threads at once; return their errors."""
    stores = [SqliteStore(path, "app") for _ in range(count)]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(store: SqliteStore) -> None:
        barrier.wait()
        try:
            store.list_signing_keys()
        except BaseException as exc:  # returned: a thread's failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return errors


def test_threads_opening_a_new_file_at_once_all_connect(tmp_path: Path) -> None:
    # the first opener switches the file to WAL; the others raced it and used to fail
    # with "database is locked" (in about one round of six threads in twenty)
    for round_ in range(60):
        assert _open_at_once(str(tmp_path / f"new-{round_}.db"), 6) == []


def _create_in_child(store: SqliteStore) -> None:
    store.create(session_record("from-child", user_id="child"))


def test_store_used_before_fork_works_in_parent_and_child(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "fork.db"), "app")
    store.create(
        session_record("from-parent", user_id="parent")
    )  # the parent's connection is open
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, 3.12+
        child = multiprocessing.get_context("fork").Process(target=_create_in_child, args=(store,))
        child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert store.get("from-child") is not None
    store.create(session_record("after-fork", user_id="parent"))
    assert store.get("after-fork") is not None
    store.close()


def _hold_write_lock(path: str, locked: Event, release: Event) -> None:
    """Another process: take the file's write lock and keep it until told to let go."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute('UPDATE "app_sessions" SET version = version WHERE handle = ?', ("h1",))
    locked.set()
    release.wait(timeout=60)
    conn.execute("COMMIT")
    conn.close()


def test_reads_keep_working_while_another_process_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    store = SqliteStore(path, "app", busy_timeout_ms=100)
    store.create(session_record("h1", user_id="alice"))
    late = SqliteStore(path, "app", busy_timeout_ms=100)
    context = multiprocessing.get_context("spawn")
    locked, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_write_lock, args=(path, locked, release))
    holder.start()
    try:
        assert locked.wait(timeout=60)
        with pytest.raises(StorageUnavailable, match="locked"):
            store.create(
                session_record("h2", user_id="alice")
            )  # times out on the other process's lock
        with pytest.raises(StorageUnavailable, match="locked"):
            store.update("h1", SessionPatch(session_data={"n": 1}), expected_version=None, now=NOW)
        # the same store, and a store opening the file now, both read without waiting
        for reader in (store, late):
            assert reader.get("h1") is not None
            assert reader.is_live("h1", tenant="public", user_id="alice", now=NOW)
            assert reader.list_for_user("public", "alice", now=NOW) == ["h1"]
            assert len(reader.list_signing_keys()) == 0
    finally:
        release.set()
        holder.join(timeout=60)
    assert holder.exitcode == 0
    store.create(session_record("h2", user_id="alice"))
    assert store.update("h1", SessionPatch(session_data={"n": 1}), expected_version=1, now=NOW)
    store.close()
    late.close()
