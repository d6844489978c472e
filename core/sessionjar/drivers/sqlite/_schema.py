"""The SQL of the ``sqlite://`` store: tables named after the namespace, schema versions."""

# ruff: noqa: S608 - the only text spliced into SQL is table names built from a validated
# namespace (letters, digits, "_", "-") and quoted, and the fixed column names of codec.

from __future__ import annotations

import re
import sqlite3
from typing import Final

from sessionjar.codec import SESSION_FIELDS, SIGNING_KEY_FIELDS
from sessionjar.errors import StorageUnavailable

__all__ = ["SCHEMA_VERSION", "Tables", "ensure_schema", "table_prefix"]

SCHEMA_VERSION: Final = 2
"""Version of the tables this code reads and writes.

Version 2 added the sessions' ``device`` column (storage protocol 4).
"""


class Tables:
    """The quoted table names of one namespace, and the statements that use them.

    The namespace has been validated (letters, digits, ``_``, ``-``), and is quoted too:
    a hyphen is not valid in a bare SQL identifier.
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        prefix = table_prefix(namespace)
        self.schema_name = f"{prefix}_schema"
        self.names = (f"{prefix}_sessions", f"{prefix}_signing_keys")
        """The unquoted names of the data tables, for messages."""
        self.schema = _quoted(self.schema_name)
        self.sessions = _quoted(f"{prefix}_sessions")
        self.keys = _quoted(f"{prefix}_signing_keys")
        self.user_index = _quoted(f"{prefix}_sessions_user")
        self.expiry_index = _quoted(f"{prefix}_sessions_expiry")
        sessions, keys = self.sessions, self.keys
        columns = ", ".join(SESSION_FIELDS)
        key_columns = ", ".join(SIGNING_KEY_FIELDS)
        self.insert_session = (
            f"INSERT INTO {sessions} ({columns}) "
            f"VALUES ({', '.join(':' + name for name in SESSION_FIELDS)})"
        )
        self.select_session = f"SELECT {columns} FROM {sessions} WHERE handle = ?"
        self.select_expiry = (
            f"SELECT expires_at FROM {sessions} WHERE handle = ? AND tenant = ? AND user_id = ?"
        )
        self.delete_for_user = (
            f"DELETE FROM {sessions} WHERE tenant = ? AND user_id = ? RETURNING handle"
        )
        self.list_for_user = (
            f"SELECT handle, expires_at FROM {sessions} WHERE tenant = ? AND user_id = ?"
        )
        self.list_sessions_for_user = (
            f"SELECT {columns} FROM {sessions} WHERE tenant = ? AND user_id = ? AND expires_at > ?"
        )
        self.delete_expired_sessions = f"DELETE FROM {sessions} WHERE expires_at <= ?"
        # the subquery walks the expiry index and stops after the limit
        self.delete_expired_batch = (
            f"DELETE FROM {sessions} WHERE handle IN "
            f"(SELECT handle FROM {sessions} WHERE expires_at <= ? LIMIT ?)"
        )
        self.delete_expired_keys = f"DELETE FROM {keys} WHERE expires_at <= ?"
        self.insert_key = (
            f"INSERT INTO {keys} ({key_columns}) "
            f"VALUES ({', '.join(':' + name for name in SIGNING_KEY_FIELDS)}) "
            "ON CONFLICT (kid) DO NOTHING"
        )
        self.select_keys = f"SELECT {key_columns} FROM {keys}"
        self._columns = columns
        self._updates: dict[tuple[str, ...], str] = {}

    def update(self, fields: tuple[str, ...]) -> str:
        """Return the UPDATE of the record ``_handle`` setting ``fields`` (named
        parameters) and bumping the version, returning the record. The caller has
        checked the update's conditions in the same transaction.

        The same fields always yield the same text, built once: sqlite3 then reuses
        the statement it prepared for it."""
        statement = self._updates.get(fields)
        if statement is None:
            assignments = [f"{name} = :{name}" for name in fields] + ["version = version + 1"]
            statement = self._updates[fields] = (
                f"UPDATE {self.sessions} SET {', '.join(assignments)} "
                f"WHERE handle = :_handle RETURNING {self._columns}"
            )
        return statement

    def delete(self, count: int) -> str:
        """Return the DELETE of ``count`` handles (positional parameters)."""
        marks = ", ".join("?" * count)
        return f"DELETE FROM {self.sessions} WHERE handle IN ({marks}) RETURNING handle"

    def create_statements(self) -> list[str]:
        """Return the statements that create schema version `SCHEMA_VERSION` from nothing."""
        return [
            f"""CREATE TABLE {self.sessions} (
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
                device TEXT NOT NULL DEFAULT '{{}}',
                version INTEGER NOT NULL
            )""",
            *self.index_statements(),
            f"""CREATE TABLE {self.keys} (
                kid TEXT PRIMARY KEY NOT NULL,
                algorithm TEXT NOT NULL,
                private_jwk TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                not_before INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            )""",
        ]

    def index_statements(self) -> list[str]:
        """Return the statements that create the sessions table's indexes."""
        return [
            f"CREATE INDEX {self.user_index} ON {self.sessions} (tenant, user_id)",
            f"CREATE INDEX {self.expiry_index} ON {self.sessions} (expires_at)",
        ]

    def upgrade_statements(self, version: int) -> list[str]:
        """Return the statements that upgrade the tables from ``version`` to `SCHEMA_VERSION`."""
        steps = {
            # rows of version 1 were written before devices: the client told us nothing
            1: [f"ALTER TABLE {self.sessions} ADD COLUMN device TEXT NOT NULL DEFAULT '{{}}'"],
        }
        return [statement for step in range(version, SCHEMA_VERSION) for statement in steps[step]]


def table_prefix(namespace: str) -> str:
    """Return the prefix of a namespace's table names, apart from every other namespace's.

    SQLite matches table names without regard to case, so ``App`` and ``app`` would
    share tables: each capital letter is written as ``^`` and its lower case, a character
    no namespace holds. A namespace without capitals keeps its name.
    """
    return _CAPITALS.sub(lambda capital: "^" + capital[0].lower(), namespace)


_CAPITALS: Final = re.compile("[A-Z]")


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def ensure_schema(conn: sqlite3.Connection, tables: Tables) -> str | None:
    """Create the namespace's tables, or upgrade them to `SCHEMA_VERSION`, unless they
    are in place; return one sentence saying what this call did, or `None`.

    The usual case, tables in place, is one read: opening never waits for another
    process's write lock. Otherwise one write transaction creates or upgrades them;
    several processes may race there: ``BEGIN IMMEDIATE`` makes the second wait for the
    first, then find the schema in place and do nothing.

    Raises:
        StorageUnavailable: the database holds a newer schema than this code reads.
    """
    if _stored_version(conn, tables) == SCHEMA_VERSION:
        return None
    return _write_schema(conn, tables)


def _stored_version(conn: sqlite3.Connection, tables: Tables) -> int | None:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (tables.schema_name,)
    ).fetchone()
    if found is None:
        return None
    version: int | None = conn.execute(f"SELECT max(version) FROM {tables.schema}").fetchone()[0]
    _check_version(version)
    return version


def _check_version(version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StorageUnavailable(
            f"the SQLite tables have schema version {version}, newer than this "
            f"sessionjar's {SCHEMA_VERSION}; upgrade sessionjar"
        )


def _write_schema(conn: sqlite3.Connection, tables: Tables) -> str | None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        _rename_legacy_tables(conn, tables.namespace)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {tables.schema} (version INTEGER NOT NULL)")
        # read again under the write lock: another process may have just done the work
        version = conn.execute(f"SELECT max(version) FROM {tables.schema}").fetchone()[0]
        _check_version(version)
        names = ", ".join(tables.names)
        if version is None:
            statements = tables.create_statements()
            done = f"created tables {names} (schema version {SCHEMA_VERSION})"
        elif version < SCHEMA_VERSION:
            statements = tables.upgrade_statements(version)
            done = f"upgraded tables {names} from schema version {version} to {SCHEMA_VERSION}"
        else:
            return None
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"INSERT INTO {tables.schema} (version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
        return done
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _rename_legacy_tables(conn: sqlite3.Connection, namespace: str) -> None:
    """Give the tables of a namespace with capitals, named by sessionjar before
    `table_prefix` (``App_sessions``), their names of today (``^app_sessions``).

    Left in place, they would be lost to ``App`` and, as SQLite ignores case, adopted by
    ``app``. Runs in the caller's write transaction; the tables keep their schema version.
    """
    found = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
        (f"{namespace.lower()}_schema",),
    ).fetchall()
    for owner in (name.removesuffix("_schema") for (name,) in found):
        if table_prefix(owner) == owner:
            continue  # named as today
        renamed = Tables(owner)
        for old, new in zip(
            (f"{owner}_sessions", f"{owner}_signing_keys", f"{owner}_schema"),
            (renamed.sessions, renamed.keys, renamed.schema),
            strict=True,
        ):
            conn.execute(f"ALTER TABLE {_quoted(old)} RENAME TO {new}")
        for index in (f"{owner}_sessions_user", f"{owner}_sessions_expiry"):
            conn.execute(f"DROP INDEX IF EXISTS {_quoted(index)}")
        for statement in renamed.index_statements():
            conn.execute(statement)
