"""The sqlite:// store upgrades a schema-version-1 file in place: once, racing or not."""

from __future__ import annotations

import multiprocessing
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sessionjar import SessionPatch, SessionRecord
from sessionjar.drivers.sqlite._schema import SCHEMA_VERSION
from sessionjar.drivers.sqlite.store import SqliteStore

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
NOW_MS = 1772452800000
PROCESSES = 4
UPGRADED = "upgraded tables app_sessions, app_signing_keys from schema version 1 to 2"

# The DDL of schema version 1 as sessionjar 0.x wrote it, for namespace "app".
VERSION_1_DDL = [
    'CREATE TABLE "app_schema" (version INTEGER NOT NULL)',
    """CREATE TABLE "app_sessions" (
        handle TEXT PRIMARY KEY NOT NULL,
        tenant TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        absolute_deadline INTEGER,
        access_payload TEXT NOT NULL,
        session_data TEXT NOT NULL,
        refresh_hash TEXT NOT NULL,
        prev_refresh_hash TEXT,
        rotated_at INTEGER,
        version INTEGER NOT NULL
    )""",
    'CREATE INDEX "app_sessions_user" ON "app_sessions" (tenant, user_id)',
    'CREATE INDEX "app_sessions_expiry" ON "app_sessions" (expires_at)',
    """CREATE TABLE "app_signing_keys" (
        kid TEXT PRIMARY KEY NOT NULL,
        algorithm TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        not_before INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    )""",
    'INSERT INTO "app_schema" (version) VALUES (1)',
]
VERSION_1_INSERT = (
    'INSERT INTO "app_sessions" (handle, tenant, user_id, created_at, expires_at, '
    "absolute_deadline, access_payload, session_data, refresh_hash, prev_refresh_hash, "
    "rotated_at, version) VALUES (?, 'public', 'alice', ?, ?, NULL, '{\"role\":\"user\"}', "
    "'{\"cart\":[1]}', ?, NULL, NULL, 3)"
)


def version_1_file(path: Path, *handles: str) -> Path:
    """Write a schema-version-1 database holding one session of alice per handle."""
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in VERSION_1_DDL:
            conn.execute(statement)
        for handle in handles:
            conn.execute(VERSION_1_INSERT, (handle, NOW_MS, NOW_MS + 3_600_000, "a" * 64))
    return path


def stored_schema(path: Path) -> tuple[list[int], list[str]]:
    """Return the versions in the schema table and the sessions table's column names."""
    with closing(sqlite3.connect(path)) as conn, conn:
        versions = [row[0] for row in conn.execute('SELECT version FROM "app_schema"')]
        columns = [row[1] for row in conn.execute('PRAGMA table_info("app_sessions")')]
    return versions, columns


def test_a_version_1_file_is_upgraded_in_place_keeping_its_sessions(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "v1.db", "old")
    with closing(SqliteStore(str(path), "app")) as store:
        assert store.migrate() == UPGRADED
        assert store.migrate() == f"already at schema version {SCHEMA_VERSION}"
        old = store.get("old")
        assert old is not None
        assert (old.device, old.session_data, old.version) == ({}, {"cart": [1]}, 3)
        assert [r.handle for r in store.list_sessions_for_user("public", "alice", now=NOW)] == [
            "old"
        ]
        updated = store.update(
            "old", SessionPatch(device={"ip": "203.0.113.0"}), expected_version=3, now=NOW
        )
        assert updated is not None
        assert updated.device == {"ip": "203.0.113.0"}
    versions, columns = stored_schema(path)
    assert (max(versions), columns.count("device")) == (2, 1)


def test_opening_upgrades_without_migrate_and_migrate_then_says_so(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "v1.db", "old")
    with closing(SqliteStore(str(path), "app")) as store:
        assert store.get("old") is not None  # first use upgrades
        assert store.migrate() == UPGRADED
    with closing(SqliteStore(str(path), "app")) as again:
        assert again.migrate() == f"already at schema version {SCHEMA_VERSION}"


def test_rows_written_by_version_1_code_after_the_upgrade_read_as_no_device(
    tmp_path: Path,
) -> None:
    # a process still running the old code names the columns it knows: device takes its default
    path = version_1_file(tmp_path / "v1.db")
    with closing(SqliteStore(str(path), "app")) as store:
        store.migrate()
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute(VERSION_1_INSERT, ("late", NOW_MS, NOW_MS + 3_600_000, "b" * 64))
        late = store.get("late")
    assert late is not None
    assert late.device == {}


def test_a_new_file_gets_version_2_with_the_device_column(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    record = SessionRecord(
        handle="h",
        tenant="public",
        user_id="alice",
        created_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        absolute_deadline=None,
        access_payload={},
        session_data={},
        refresh_hash="a" * 64,
        prev_refresh_hash=None,
        rotated_at=None,
        device={"user_agent": "Firefox 133 on Windows"},
    )
    with closing(SqliteStore(str(path), "app")) as store:
        store.create(record)
        assert store.get("h") == record
    versions, columns = stored_schema(path)
    assert versions == [2]
    assert columns[-2:] == ["device", "version"]


def _migrate_in_process(path: str, start: Event, said: Queue[str]) -> None:
    """Another process: open the store when told, migrate, report what it said."""
    store = SqliteStore(path, "app", busy_timeout_ms=30_000)
    start.wait()
    said.put(store.migrate())
    store.close()


def test_processes_racing_to_upgrade_upgrade_once(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "race.db", "old")
    context = multiprocessing.get_context("spawn")
    start, said = context.Event(), context.Queue()
    workers = [
        context.Process(target=_migrate_in_process, args=(str(path), start, said))
        for _ in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    start.set()
    answers = sorted(said.get(timeout=120) for _ in workers)
    for process in workers:
        process.join(timeout=60)
    assert [process.exitcode for process in workers] == [0] * PROCESSES
    already = f"already at schema version {SCHEMA_VERSION}"
    assert answers == sorted([UPGRADED] + [already] * (PROCESSES - 1))
    versions, columns = stored_schema(path)
    assert (sorted(versions), columns.count("device")) == ([1, 2], 1)


def test_tables_of_a_namespace_with_capitals_keep_their_sessions_under_todays_names(
    tmp_path: Path,
) -> None:
    # Before namespaces with capitals got "^" in their table names, "App" wrote App_*.
    path = tmp_path / "legacy.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in VERSION_1_DDL:
            conn.execute(statement.replace('"app_', '"App_'))
        conn.execute(
            VERSION_1_INSERT.replace('"app_', '"App_'), ("h-App", NOW_MS, NOW_MS, "a" * 64)
        )
    with closing(SqliteStore(str(path), "app")) as lower:
        assert lower.get("h-App") is None  # not adopted through case-blind names
        assert lower.list_for_user("public", "alice", now=NOW - timedelta(hours=1)) == []
    with closing(SqliteStore(str(path), "App")) as upper:
        record = upper.get("h-App")
        assert record is not None
        assert record.device == {}
    with closing(sqlite3.connect(path)) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"^app_sessions", "^app_sessions_user", "app_sessions"} <= names
    assert not {name for name in names if name.startswith("App_")}
