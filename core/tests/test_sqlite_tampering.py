"""A record tampered with in the sqlite:// file is unreadable: read or written, never used."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from fix_stores import NOW

from sessionjar import SessionPatch, StorageUnavailable
from sessionjar.drivers.sqlite.store import SqliteStore

if TYPE_CHECKING:
    from fix_stores import RecordFactory


DATA_TAMPERING: Final = {
    "data_array": "session_data = '[1, 2]'",
    "data_string": "session_data = '\"text\"'",
    "data_number": "session_data = '42'",
    "payload_malformed": "access_payload = '{\"a\":'",
    "payload_deep": f"access_payload = '{'[' * 1500}{']' * 1500}'",
    "data_deep_object": f"session_data = '{{\"a\":{'[' * 200}{']' * 200}}}'",
    "data_huge_int": f"session_data = '{{\"n\": 1{'0' * 5000}}}'",
    "data_huge_float": "session_data = '{\"n\": 1e999}'",
    "data_surrogate": 'session_data = \'{"a": "\\ud800"}\'',
    "data_invalid_utf8": "session_data = CAST(x'7b2261223a2280227d' AS TEXT)",
    "version_text": "version = 'two'",
    "version_real": "version = 1.5",
    "created_text": "created_at = 'yesterday'",
}
"""Tampering that leaves ``expires_at`` alone: reads and updates refuse the record."""

EXPIRY_TAMPERING: Final = {
    "expiry_text": "expires_at = 'never'",
    "expiry_real": f"expires_at = {NOW.timestamp() * 1000 + 3_600_000.5}",
    "expiry_blob": "expires_at = x'00'",
}
"""Tampering of ``expires_at``: every read that looks at expiry refuses the record."""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(str(db), "app")
    yield store
    store.close()


def tamper(db: Path, assignment: str) -> tuple[object, ...]:
    """Apply ``assignment`` to record h1 behind the store's back; return the raw row."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f'UPDATE "app_sessions" SET {assignment} WHERE handle = ?', ("h1",))  # noqa: S608
    return raw_row(db)


def raw_row(db: Path) -> tuple[object, ...]:
    with closing(sqlite3.connect(db)) as conn:
        conn.text_factory = bytes
        row: tuple[object, ...] = conn.execute(
            'SELECT * FROM "app_sessions" WHERE handle = ?', ("h1",)
        ).fetchone()
    return row


def updates() -> list[tuple[SessionPatch, int | None, str | None]]:
    """Each kind of conditional write core makes: data, compare-and-set, rotation."""
    return [
        (SessionPatch(session_data={"x": 1}), None, None),
        (SessionPatch(access_payload={"x": 1}), 1, None),
        (SessionPatch(refresh_hash="b" * 64, prev_refresh_hash="a" * 64), None, "a" * 64),
    ]


@pytest.mark.parametrize("case", [*DATA_TAMPERING, *EXPIRY_TAMPERING])
def test_tampered_record_is_unreadable_and_never_written(
    db: Path, store: SqliteStore, new_record: RecordFactory, case: str
) -> None:
    store.create(new_record("h1"))
    before = tamper(db, {**DATA_TAMPERING, **EXPIRY_TAMPERING}[case])
    with pytest.raises(StorageUnavailable, match=r"unreadable|decode"):
        store.get("h1")
    for patch, version, refresh_hash in updates():
        with pytest.raises(StorageUnavailable, match=r"unreadable|decode"):
            store.update(
                "h1", patch, expected_version=version, expected_refresh_hash=refresh_hash, now=NOW
            )
        assert raw_row(db) == before
    store.create(new_record("h2"))  # the store itself keeps working
    assert store.get("h2") is not None


@pytest.mark.parametrize("case", EXPIRY_TAMPERING)
def test_tampered_expiry_is_never_compared(
    db: Path, store: SqliteStore, new_record: RecordFactory, case: str
) -> None:
    store.create(new_record("h1"))
    tamper(db, EXPIRY_TAMPERING[case])
    with pytest.raises(StorageUnavailable, match="unreadable"):
        store.is_live("h1", tenant="public", user_id="alice", now=NOW)
    with pytest.raises(StorageUnavailable, match="unreadable"):
        store.list_for_user("public", "alice", now=NOW)


def test_liveness_reads_only_owner_and_expiry(
    db: Path, store: SqliteStore, new_record: RecordFactory
) -> None:
    # is_live answers from tenant, user id and expiry alone: data it never reads
    # cannot mislead it, and get() still refuses the record
    store.create(new_record("h1"))
    tamper(db, DATA_TAMPERING["data_array"])
    assert store.is_live("h1", tenant="public", user_id="alice", now=NOW)
    with pytest.raises(StorageUnavailable):
        store.get("h1")
