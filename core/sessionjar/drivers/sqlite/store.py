"""The embedded ``sqlite://`` store: persistent, shared by the processes of one machine."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Final
from urllib.parse import unquote, urlsplit

from sessionjar.codec import (
    SIGNING_KEY_FIELDS,
    patch_to_row,
    session_from_values,
    session_to_row,
    signing_key_from_row,
    signing_key_to_row,
    to_millis,
)
from sessionjar.drivers import (
    check_handles,
    check_limit,
    check_liveness_query,
    check_namespace,
    check_record,
    check_signing_key,
    check_update,
    check_user_query,
    int_option,
    query_options,
    update_applies,
)
from sessionjar.drivers.sqlite._schema import SCHEMA_VERSION, Tables, ensure_schema
from sessionjar.errors import ConfigurationError, DuplicateHandle, StorageUnavailable
from sessionjar.storage import PROTOCOL_VERSION, SessionPatch, SessionRecord, SigningKeyRecord

__all__ = ["SqliteStore", "DEFAULT_BUSY_TIMEOUT_MS", "SYNCHRONOUS_MODES"]

DEFAULT_BUSY_TIMEOUT_MS: Final = 5_000
"""How long a call waits for another connection's write lock unless ``?busy_timeout_ms=``."""

SYNCHRONOUS_MODES: Final = ("normal", "full")
"""Values of ``?synchronous=``: ``normal`` (the default) syncs the file at checkpoints
only, ``full`` at every commit. A process crash loses nothing either way; a power loss
or OS crash may lose the last commits under ``normal``."""

_INHERITED: Final[list[sqlite3.Connection]] = []  # connections a fork()ed child must not close
_CHUNK: Final = 500  # handles per DELETE, well under SQLite's bound-parameter limit
_CACHED_STATEMENTS: Final = 256  # prepared statements kept per connection: all of ours
_LOCK_TIMEOUTS: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class SqliteStore:
    """A store in one SQLite database file (sync version; see `AsyncStoreAdapter`).

    Safe for several threads and several processes on one machine: the database runs in
    WAL mode (readers never wait for a writer), each store keeps one connection guarded
    by a lock, and every operation is one transaction: one statement, or one ``BEGIN
    IMMEDIATE`` transaction. ``synchronous=NORMAL`` by default: commits are not synced
    to disk one by one (see `SYNCHRONOUS_MODES`). sqlite3 keeps each statement prepared
    for reuse. The connection is opened, and the namespace's tables created if missing,
    on first use. Any SQLite failure (lock held past the busy timeout, unreadable file,
    disk I/O error) raises `StorageUnavailable`; the connection is kept after a lock
    timeout and replaced after any other failure. A record that cannot be read back
    exactly (tampered with) raises `StorageUnavailable` and is never written to.
    """

    protocol_version: int = PROTOCOL_VERSION

    def __init__(
        self,
        path: str,
        namespace: str = "sessionjar",
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        synchronous: str = "normal",
    ) -> None:
        """Describe the store; does no I/O.

        Args:
            path: the database file, created if missing (its directory must exist).
            namespace: prefix of this store's table names.
            busy_timeout_ms: how long to wait for another connection's lock.
            synchronous: ``normal`` or ``full``; see `SYNCHRONOUS_MODES`.

        Raises:
            ConfigurationError: ``path`` is empty or ``:memory:``, or ``synchronous``
                is not one of `SYNCHRONOUS_MODES`.
        """
        if not path or path == ":memory:" or path.startswith("file:"):
            raise ConfigurationError(
                "the sqlite store needs a database file path; an in-memory SQLite "
                "database is private to one connection: use memory:// instead"
            )
        if synchronous not in SYNCHRONOUS_MODES:
            raise ConfigurationError(
                f"synchronous={synchronous!r}: use one of {', '.join(SYNCHRONOUS_MODES)}"
            )
        self.path: Final = os.path.abspath(path)
        self.busy_timeout_ms: Final = busy_timeout_ms
        self.synchronous: Final = synchronous
        self._tables = Tables(check_namespace(namespace))
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._closed = False
        self._schema_change: str | None = None  # what opening did, until `migrate` says it

    @classmethod
    def from_url(cls, url: str, namespace: str = "sessionjar") -> SqliteStore:
        """Describe the store a URL names; does no I/O.

        ``sqlite:///relative/path.db`` is relative to the current directory,
        ``sqlite:////absolute/path.db`` is absolute; ``?busy_timeout_ms=N`` (0 to
        600000, default 5000) bounds the wait for another connection's lock;
        ``?synchronous=full`` syncs every commit to disk (default ``normal``).

        Raises:
            ConfigurationError: the URL is malformed or names no file.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() != "sqlite" or parts.netloc or not parts.path.startswith("/"):
            raise ConfigurationError(
                "a sqlite store URL is sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        options = query_options(url, {"busy_timeout_ms", "synchronous"})
        timeout = int_option(
            options, "busy_timeout_ms", DEFAULT_BUSY_TIMEOUT_MS, minimum=0, maximum=600_000
        )
        synchronous = options.get("synchronous", "normal")
        return cls(
            unquote(parts.path[1:]), namespace, busy_timeout_ms=timeout, synchronous=synchronous
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} path={self.path!r}>"

    def migrate(self) -> str:
        """Create this namespace's tables, or upgrade them to `SCHEMA_VERSION`.

        Every store does this on first use; call it to prepare a database ahead of time
        (``sessionjar migrate``). Idempotent, and safe while other processes use the
        database. Storage I/O: one connection, at most one write transaction.

        Returns:
            one sentence saying what was done: the tables created, the schema version
            upgraded from (e.g. "upgraded tables … from schema version 1 to 2"), or the
            schema version already in place.
        """
        with self._connection():
            done, self._schema_change = self._schema_change, None
        return done or f"already at schema version {SCHEMA_VERSION}"

    def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only. See `AsyncStore.create`."""
        check_record(record)
        row = session_to_row(record)
        with self._connection() as conn:
            try:
                conn.execute(self._tables.insert_session, row)
            except sqlite3.IntegrityError as exc:
                if exc.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
                    raise DuplicateHandle(record.handle) from exc
                raise

    def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        with self._connection() as conn:
            row = conn.execute(self._tables.select_session, (handle,)).fetchone()
        return None if row is None else session_from_values(row)

    def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether this user's record is live; see `AsyncStore.is_live`.

        Storage I/O: one indexed SELECT of ``expires_at`` alone.

        Raises:
            StorageUnavailable: the record's ``expires_at`` is not an integer (tampered).
        """
        check_liveness_query(handle, tenant, user_id, now)
        with self._connection() as conn:
            row = conn.execute(self._tables.select_expiry, (handle, tenant, user_id)).fetchone()
        return row is not None and _millis(row[0]) > to_millis(now)

    def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record; update-only. See `AsyncStore.update`.

        Storage I/O: one ``BEGIN IMMEDIATE`` transaction: the record is read and checked
        by `update_applies` (so a tampered record is refused, not compared), then
        written. Nothing is synced to disk until a checkpoint unless ``synchronous=full``.
        """
        check_update(patch, expected_version, expected_refresh_hash)
        changes = patch_to_row(patch)
        statement = self._tables.update(tuple(changes))
        with self._connection() as conn, _write(conn):
            row = conn.execute(self._tables.select_session, (handle,)).fetchone()
            record = None if row is None else session_from_values(row)
            if not update_applies(
                record,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            updated = conn.execute(statement, {**changes, "_handle": handle}).fetchone()
        return session_from_values(updated)

    def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        check_handles(handles)
        unique = list(dict.fromkeys(handles))
        deleted: list[str] = []
        with self._connection() as conn, _write(conn):
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                rows = conn.execute(self._tables.delete(len(chunk)), chunk).fetchall()
                deleted += [row[0] for row in rows]
        return deleted

    def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        with self._connection() as conn:
            rows = conn.execute(self._tables.delete_for_user, (tenant, user_id)).fetchall()
        return [row[0] for row in rows]

    def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        live_after = to_millis(now)
        with self._connection() as conn:
            rows = conn.execute(self._tables.list_for_user, (tenant, user_id)).fetchall()
        # compared here, not in SQL, where a tampered text expiry outranks every number
        return [handle for handle, expires_at in rows if _millis(expires_at) > live_after]

    def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order.

        Storage I/O: one SELECT on the (tenant, user_id) index. See
        `AsyncStore.list_sessions_for_user`.
        """
        check_user_query(tenant, user_id, now)
        with self._connection() as conn:
            rows = conn.execute(
                self._tables.list_sessions_for_user, (tenant, user_id, to_millis(now))
            ).fetchall()
        # a tampered text expiry compares above every number: decoding it then fails closed
        return [session_from_values(row) for row in rows]

    def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted. See `AsyncStore.delete_expired`.

        Storage I/O: one ``BEGIN IMMEDIATE`` transaction of two DELETEs; racing
        processes take turns, so each record is deleted once.
        """
        check_limit(limit)
        t, millis = self._tables, to_millis(now)
        with self._connection() as conn, _write(conn):
            if limit is None:
                count = conn.execute(t.delete_expired_sessions, (millis,)).rowcount
            else:
                count = conn.execute(t.delete_expired_batch, (millis, limit)).rowcount
            conn.execute(t.delete_expired_keys, (millis,))
        return count

    def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        check_signing_key(key)
        row = signing_key_to_row(key)
        with self._connection() as conn:
            return conn.execute(self._tables.insert_key, row).rowcount == 1

    def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        with self._connection() as conn:
            rows = conn.execute(self._tables.select_keys).fetchall()
        return [
            signing_key_from_row(dict(zip(SIGNING_KEY_FIELDS, row, strict=True))) for row in rows
        ]

    def close(self) -> None:
        """Close the connection; later calls raise `StorageUnavailable`."""
        with self._lock:
            self._closed = True
            self._discard()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StorageUnavailable("the sqlite store is closed")
            try:
                yield self._connected()
            except sqlite3.Error as exc:
                # a lock timeout leaves the connection sound: keep it, so that the next
                # read does not wait for that lock by reopening through schema creation
                if not _is_lock_timeout(exc):
                    self._discard()
                raise StorageUnavailable(f"SQLite failed on {self.path}: {exc}") from exc

    def _connected(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid != os.getpid():
            # A connection must not cross fork(): the child opens its own. Closing the
            # parent's would touch its locks and WAL, so the child keeps it, unused.
            _INHERITED.append(self._conn)
            self._conn = None
        if self._conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=_CACHED_STATEMENTS,
            )
            try:
                _use_wal(conn, self.busy_timeout_ms / 1000)
                conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
                if done := ensure_schema(conn, self._tables):
                    self._schema_change = done
            except BaseException:
                conn.close()
                raise
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _discard(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def _millis(value: object) -> int:
    """Return a stored time, which SQLite keeps as an integer unless tampered with.

    Raises:
        StorageUnavailable: it is not an integer.
    """
    if type(value) is not int:
        raise StorageUnavailable(
            f"the store returned an unreadable session record: expires_at is "
            f"{type(value).__name__}, not an integer"
        )
    return value


def _is_lock_timeout(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _LOCK_TIMEOUTS


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL mode, waiting up to ``timeout`` seconds for other openers."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return  # a file already in WAL mode needs no lock to be opened
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            # Connections racing to switch a new file answer SQLITE_BUSY at once, without
            # the busy handler; the switch is done when the winner's is, so try again.
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the body in one ``BEGIN IMMEDIATE`` transaction: all of it or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
