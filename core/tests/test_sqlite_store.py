"""Tests of the sqlite:// store: URLs, schema, round trips, semantics, faults, closing."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sessionjar import (
    ConfigurationError,
    DuplicateHandle,
    SerializationError,
    SessionPatch,
    StorageUnavailable,
    driver_for,
    open_store,
)
from sessionjar.drivers.sqlite._schema import SCHEMA_VERSION
from sessionjar.drivers.sqlite.store import DEFAULT_BUSY_TIMEOUT_MS, SqliteStore

if TYPE_CHECKING:
    from fix_stores import KeyFactory, RecordFactory

NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")  # fix_stores.NOW


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(str(db), "app")
    yield store
    store.close()


def tables(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


# --- URLs -------------------------------------------------------------------------------


def test_relative_and_absolute_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = SqliteStore.from_url("sqlite:///data/s.db")
    assert relative.path == str(tmp_path / "data" / "s.db")
    absolute = SqliteStore.from_url(f"sqlite:///{tmp_path}/a%20b.db?busy_timeout_ms=250")
    assert absolute.path == str(tmp_path / "a b.db")
    assert (absolute.busy_timeout_ms, relative.busy_timeout_ms) == (250, DEFAULT_BUSY_TIMEOUT_MS)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite://host/x.db",
        "sqlite:///x.db?busy_timeout_ms=-1",
        "sqlite:///x.db?busy_timeout_ms=abc",
        "sqlite:///x.db?busy_timeout_ms=600001",
        "sqlite:///x.db?journal=off",
        "sqlite:///x.db?synchronous=off",
        "sqlite:///x.db?synchronous=NORMAL",
        "sqlite:///file:x.db",
    ],
)
def test_bad_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        SqliteStore.from_url(url, "app")


@pytest.mark.parametrize(
    ("query", "level"), [("", 1), ("?synchronous=normal", 1), ("?synchronous=full", 2)]
)
def test_synchronous_is_normal_unless_the_url_asks_for_full(
    db: Path, query: str, level: int
) -> None:
    store = SqliteStore.from_url(f"sqlite:///{db}{query}", "app")
    store.migrate()
    with store._connection() as conn:  # the store's own connection: the pragma is per connection
        assert conn.execute("PRAGMA synchronous").fetchone() == (level,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


def test_opening_does_no_io(db: Path) -> None:
    open_store(f"sqlite:///{db}", namespace="app")
    assert not db.exists()


# --- schema -----------------------------------------------------------------------------


def test_schema_is_created_on_first_use_once_per_namespace(db: Path) -> None:
    for namespace in ["app", "app", "other-app"]:
        with closing(SqliteStore(str(db), namespace)) as store:
            store.migrate()
    expected = {"_schema", "_sessions", "_signing_keys", "_sessions_user", "_sessions_expiry"}
    assert tables(db) >= {f"app{s}" for s in expected} | {f"other-app{s}" for s in expected}
    with closing(sqlite3.connect(db)) as conn, conn:
        assert conn.execute('SELECT version FROM "app_schema"').fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        plan = conn.execute(
            'EXPLAIN QUERY PLAN SELECT handle FROM "app_sessions" WHERE tenant=? AND user_id=?',
            ("t", "u"),
        ).fetchall()
    assert "app_sessions_user" in str(plan)


def test_namespaces_differing_in_case_get_tables_of_their_own(db: Path) -> None:
    for namespace in ["shop", "Shop", "SHOP"]:
        with closing(SqliteStore(str(db), namespace)) as store:
            store.migrate()
    assert {"shop_sessions", "^shop_sessions", "^s^h^o^p_sessions"} <= tables(db)


def test_migrate_says_whether_it_created_the_tables(db: Path) -> None:
    with closing(SqliteStore(str(db), "app")) as store:
        assert store.migrate() == (
            f"created tables app_sessions, app_signing_keys (schema version {SCHEMA_VERSION})"
        )
        assert store.migrate() == f"already at schema version {SCHEMA_VERSION}"
    with closing(SqliteStore(str(db), "app")) as again:
        assert again.migrate() == f"already at schema version {SCHEMA_VERSION}"


def test_newer_schema_is_refused(db: Path, store: SqliteStore) -> None:
    store.migrate()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute('INSERT INTO "app_schema" (version) VALUES (?)', (SCHEMA_VERSION + 1,))
    with (
        closing(SqliteStore(str(db), "app")) as fresh,
        pytest.raises(StorageUnavailable, match="newer"),
    ):
        fresh.get("h")


def test_namespaces_share_a_file_but_not_records(
    db: Path, new_record: RecordFactory, new_key: KeyFactory
) -> None:
    one, two = SqliteStore(str(db), "one"), SqliteStore(str(db), "two")
    one.create(new_record("h1"))
    one.add_signing_key(new_key("k1"))
    assert two.get("h1") is None
    assert two.list_signing_keys() == []
    assert two.delete_for_user("public", "alice") == []
    assert one.get("h1") is not None
    one.close()
    two.close()


# --- records ----------------------------------------------------------------------------


def test_records_round_trip_exactly(store: SqliteStore, new_record: RecordFactory) -> None:
    record = new_record(
        "h1",
        tenant="t\x00nul",
        user_id="ü\u2603\U0001f600",
        absolute_deadline=NOW + timedelta(days=30, milliseconds=7),
        access_payload={"big": 2**70, "neg": -(2**63), "f": 0.1, "nul": "a\x00b", "n": None},
        session_data={"nested": {"list": [True, False, [], {}]}, "": ""},
        prev_refresh_hash="b" * 64,
        rotated_at=NOW - timedelta(milliseconds=999),
        version=41,
    )
    store.create(record)
    assert store.get("h1") == record
    assert store.get("nope") is None


def test_duplicate_handle_keeps_the_first(store: SqliteStore, new_record: RecordFactory) -> None:
    store.create(new_record("h1", user_id="alice"))
    with pytest.raises(DuplicateHandle):
        store.create(new_record("h1", user_id="mallory"))
    fetched = store.get("h1")
    assert fetched is not None
    assert fetched.user_id == "alice"


def test_update_is_compare_and_set_on_live_records_only(
    store: SqliteStore, new_record: RecordFactory
) -> None:
    store.create(new_record("h1", ttl=timedelta(minutes=5)))
    patch = SessionPatch(session_data={"v": 2}, rotated_at=NOW, prev_refresh_hash="a" * 64)
    updated = store.update("h1", patch, expected_version=1, now=NOW)
    assert updated is not None
    assert (updated.version, updated.session_data, updated.rotated_at) == (2, {"v": 2}, NOW)
    assert store.update("h1", patch, expected_version=1, now=NOW) is None
    assert store.update("h1", SessionPatch(), expected_version=None, now=NOW) is not None
    assert store.update("missing", patch, expected_version=None, now=NOW) is None
    expired_at = NOW + timedelta(minutes=5)
    assert store.update("h1", patch, expected_version=None, now=expired_at) is None
    assert store.get("missing") is None
    fetched = store.get("h1")
    assert fetched is not None
    assert fetched.version == 3


def test_deletes_and_listing(store: SqliteStore, new_record: RecordFactory) -> None:
    handles = [f"h{n}" for n in range(1203)]  # more than one DELETE's worth of handles
    for handle in handles:
        store.create(new_record(handle, user_id="bulk"))
    store.create(new_record("mine", user_id="alice"))
    store.create(new_record("old", user_id="alice", ttl=timedelta(seconds=-1)))
    store.create(new_record("elsewhere", user_id="alice", tenant="other"))
    assert sorted(store.list_for_user("public", "alice", now=NOW)) == ["mine"]
    assert sorted(store.delete([*handles, "h0", "absent"])) == sorted(handles)
    assert store.list_for_user("public", "bulk", now=NOW) == []
    assert sorted(store.delete_for_user("public", "alice")) == ["mine", "old"]
    assert store.list_for_user("other", "alice", now=NOW) == ["elsewhere"]
    with pytest.raises(ConfigurationError):
        store.delete("elsewhere")


def test_delete_expired(
    store: SqliteStore, new_record: RecordFactory, new_key: KeyFactory
) -> None:
    store.create(new_record("short", ttl=timedelta(minutes=1)))
    store.create(new_record("long", ttl=timedelta(hours=2)))
    assert store.add_signing_key(new_key("k-short", ttl=timedelta(minutes=1)))
    assert store.add_signing_key(new_key("k-long"))
    assert store.delete_expired(now=NOW + timedelta(minutes=1)) == 1
    assert store.get("short") is None
    assert [key.kid for key in store.list_signing_keys()] == ["k-long"]


def statements_of(store: SqliteStore) -> list[str]:
    """Start recording the SQL the store's connection runs; return the list it fills."""
    statements: list[str] = []
    with store._connection() as conn:
        conn.set_trace_callback(statements.append)
    return statements


def test_list_sessions_for_user_is_one_indexed_select(
    store: SqliteStore, new_record: RecordFactory
) -> None:
    store.create(new_record("mine", device={"ip": "203.0.113.0"}))
    store.create(new_record("gone", ttl=timedelta(0)))
    statements = statements_of(store)
    records = store.list_sessions_for_user("public", "alice", now=NOW)
    assert [(r.handle, r.device) for r in records] == [("mine", {"ip": "203.0.113.0"})]
    assert len(statements) == 1
    assert statements[0].startswith("SELECT")
    with store._connection() as conn:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN {store._tables.list_sessions_for_user}", ("public", "alice", 0)
        ).fetchall()
    assert "app_sessions_user" in str(plan)


def test_list_sessions_for_user_refuses_a_tampered_expiry(
    db: Path, store: SqliteStore, new_record: RecordFactory
) -> None:
    store.create(new_record("h1"))
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE \"app_sessions\" SET expires_at = 'soon'")
    with pytest.raises(StorageUnavailable, match="unreadable"):
        store.list_sessions_for_user("public", "alice", now=NOW)


def test_delete_expired_with_a_limit_is_one_transaction(
    store: SqliteStore, new_record: RecordFactory, new_key: KeyFactory
) -> None:
    for n in range(5):
        store.create(new_record(f"old-{n}", ttl=timedelta(minutes=1)))
    assert store.add_signing_key(new_key("k-old", ttl=timedelta(minutes=1)))
    statements = statements_of(store)
    assert store.delete_expired(now=NOW + timedelta(hours=1), limit=3) == 3
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements[-1] == "COMMIT"
    assert [s.split()[0] for s in statements[1:-1]] == ["DELETE", "DELETE"]
    assert store.list_signing_keys() == []
    assert store.delete_expired(now=NOW + timedelta(hours=1), limit=3) == 2


def test_signing_keys_insert_if_absent(store: SqliteStore, new_key: KeyFactory) -> None:
    key = new_key("k1")
    assert store.add_signing_key(key) is True
    assert store.add_signing_key(new_key("k1", ttl=timedelta(days=1))) is False
    assert store.list_signing_keys() == [key]


@pytest.mark.parametrize(
    "fields",
    [
        {"session_data": {"x": math.nan}},
        {"access_payload": {"x": b"bytes"}},
        {"tenant": "\udc80"},
        {"rotated_at": NOW.replace(tzinfo=None)},
        {"expires_at": NOW + timedelta(microseconds=500)},
    ],
)
def test_bad_record_writes_nothing(
    db: Path, store: SqliteStore, new_record: RecordFactory, fields: dict[str, Any]
) -> None:
    with pytest.raises(SerializationError):
        store.create(new_record("h1", **fields))
    assert store.get("h1") is None


# --- faults and closing ------------------------------------------------------------------


def test_unreadable_file_is_storage_unavailable_on_every_call(
    db: Path, new_record: RecordFactory
) -> None:
    db.write_bytes(b"this is not a database" * 100)
    store = SqliteStore(str(db), "app")
    with pytest.raises(StorageUnavailable) as caught:
        store.get("h")
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    with pytest.raises(StorageUnavailable):
        store.create(new_record("h"))
    assert db.read_bytes() == b"this is not a database" * 100


@pytest.mark.parametrize("where", ["directory", "unreachable_url"])
def test_unopenable_path_is_storage_unavailable(tmp_path: Path, where: str) -> None:
    url = (
        f"sqlite:///{tmp_path}"
        if where == "directory"
        else driver_for("sqlite:///").unreachable_url
    )
    assert url is not None
    store = open_store(url, namespace="app")
    for _ in range(2):
        with pytest.raises(StorageUnavailable):
            store.list_signing_keys()
    store.close()


def test_lock_held_past_busy_timeout_is_storage_unavailable(
    db: Path, new_record: RecordFactory
) -> None:
    store = SqliteStore.from_url(f"sqlite:///{db}?busy_timeout_ms=50", "app")
    store.migrate()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailable, match="locked") as caught:
            store.create(new_record("h1"))
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.create(new_record("h1"))  # the next call succeeds on the same connection
    assert store.get("h1") is not None
    store.close()


def test_closed_store_fails_closed(store: SqliteStore, new_record: RecordFactory) -> None:
    store.create(new_record("h1"))
    store.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        store.get("h1")
    store.close()
