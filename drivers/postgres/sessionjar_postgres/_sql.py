"""The SQL of the driver: every statement, composed once per store with quoted identifiers."""

from __future__ import annotations

from typing import Final

from psycopg import sql

from sessionjar.codec import JSON_FIELDS, SESSION_FIELDS, SIGNING_KEY_FIELDS

__all__ = ["Statements"]

_SESSION_COLUMNS: Final = sql.SQL(", ").join(map(sql.Identifier, SESSION_FIELDS))
"""The columns that hold JSON objects (``jsonb``)."""
# JSON objects travel as text both ways: psycopg's jsonb adapters are Python-level
# wrappers of json.dumps and json.loads, which the driver calls for much less.
_TIMES: Final = frozenset(
    {"created_at", "expires_at", "absolute_deadline", "rotated_at", "not_before"}
)


def _read(name: str) -> sql.Composable:
    """Return how a column is read: as `sessionjar.codec` reads rows, JSON objects as
    text and times as integer milliseconds since the epoch."""
    column = sql.Identifier(name)
    if name in JSON_FIELDS:
        return sql.SQL("{}::text").format(column)
    if name in _TIMES:
        return sql.SQL("(extract(epoch FROM {}) * 1000)::bigint").format(column)
    return column


def _placeholder(name: str) -> sql.Composable:
    """Return the placeholder of a column's value: JSON objects as text cast to jsonb."""
    return sql.SQL("%s::jsonb" if name in JSON_FIELDS else "%s")


_SESSION_ROW: Final = sql.SQL(", ").join(map(_read, SESSION_FIELDS))
_KEY_COLUMNS: Final = sql.SQL(", ").join(map(sql.Identifier, SIGNING_KEY_FIELDS))
_KEY_ROW: Final = sql.SQL(", ").join(map(_read, SIGNING_KEY_FIELDS))


def _values(fields: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(map(_placeholder, fields))


class Statements:
    """The statements of one store, as bytes ready to execute.

    ``get`` and ``update`` return sessions as the values `codec.session_from_values`
    reads, ``list_signing_keys`` keys as the values of `codec.signing_key_from_row`.

    Identifiers come only from the validated schema and namespace and the fixed column
    names, always quoted by `psycopg.sql`; every value is a query parameter.
    """

    def __init__(self, schema: str, namespace: str) -> None:
        self.schema = sql.Identifier(schema)
        self.sessions = sql.Identifier(schema, f"{namespace}_sessions")
        self.signing_keys = sql.Identifier(schema, f"{namespace}_signing_keys")
        self.migrations = sql.Identifier(schema, f"{namespace}_migrations")
        self.user_index = sql.Identifier(f"{namespace}_sessions_user")
        self.expiry_index = sql.Identifier(f"{namespace}_sessions_exp")
        self._updates: dict[tuple[tuple[str, ...], bool, bool], bytes] = {}
        s, k = self.sessions, self.signing_keys
        self.create = _bytes(
            "INSERT INTO {} ({}) VALUES ({})", s, _SESSION_COLUMNS, _values(SESSION_FIELDS)
        )
        self.get = _bytes("SELECT {} FROM {} WHERE handle = %s", _SESSION_ROW, s)
        self.is_live = _bytes(
            "SELECT 1 FROM {} WHERE handle = %s AND tenant = %s AND user_id = %s"
            " AND expires_at > %s",
            s,
        )
        # psycopg adapts a list parameter far more slowly than a string: one handle (a
        # revocation, the common case) gets a statement of its own.
        self.delete_one = _bytes("DELETE FROM {} WHERE handle = %s RETURNING handle", s)
        self.delete = _bytes("DELETE FROM {} WHERE handle = ANY(%s) RETURNING handle", s)
        self.delete_for_user = _bytes(
            "DELETE FROM {} WHERE tenant = %s AND user_id = %s RETURNING handle", s
        )
        self.list_for_user = _bytes(
            "SELECT handle FROM {} WHERE tenant = %s AND user_id = %s AND expires_at > %s", s
        )
        self.list_sessions_for_user = _bytes(
            "SELECT {} FROM {} WHERE tenant = %s AND user_id = %s AND expires_at > %s",
            _SESSION_ROW,
            s,
        )
        # SKIP LOCKED: a batch never waits for (nor deletes) a row someone is updating or
        # another process is deleting, so racing clean-ups each delete a row once.
        self.delete_expired_batch = _bytes(
            "DELETE FROM {} WHERE handle IN (SELECT handle FROM {} WHERE expires_at <= %s"
            " LIMIT %s FOR UPDATE SKIP LOCKED)",
            s,
            s,
        )
        self.delete_expired_keys = _bytes("DELETE FROM {} WHERE expires_at <= %s", k)
        self.add_signing_key = _bytes(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (kid) DO NOTHING RETURNING kid",
            k,
            _KEY_COLUMNS,
            _values(SIGNING_KEY_FIELDS),
        )
        self.list_signing_keys = _bytes("SELECT {} FROM {}", _KEY_ROW, k)

    def update(self, fields: tuple[str, ...], compare_version: bool, compare_hash: bool) -> bytes:
        """Return the conditional UPDATE that sets ``fields`` (patch field names).

        Parameters: one value per field, then the handle, ``now``, the expected version if
        ``compare_version``, the expected refresh hash if ``compare_hash``, and the new
        ``expires_at`` again if it is set (it may not pass ``absolute_deadline``).
        """
        key = (fields, compare_version, compare_hash)
        statement = self._updates.get(key)
        if statement is None:
            statement = self._updates[key] = self._update(*key)
        return statement

    def _update(self, fields: tuple[str, ...], compare_version: bool, compare_hash: bool) -> bytes:
        assignments: list[sql.Composable] = [
            sql.SQL("{} = {}").format(sql.Identifier(name), _placeholder(name)) for name in fields
        ]
        assignments.append(sql.SQL("version = version + 1"))
        conditions = ["handle = %s", "expires_at > %s"]
        if compare_version:
            conditions.append("version = %s")
        if compare_hash:
            conditions.append("refresh_hash = %s")
        if "expires_at" in fields:
            conditions.append("(absolute_deadline IS NULL OR absolute_deadline >= %s)")
        return _bytes(
            "UPDATE {} SET {} WHERE {} RETURNING {}",
            self.sessions,
            sql.SQL(", ").join(assignments),
            sql.SQL(" AND ".join(conditions)),
            _SESSION_ROW,
        )


def _bytes(template: str, *parts: sql.Composable) -> bytes:
    return sql.SQL(template).format(*parts).as_bytes()
