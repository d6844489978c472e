"""The PostgreSQL store, on a psycopg connection pool (async version)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from time import monotonic
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection, AsyncCursor, errors, sql
from psycopg.abc import RV, Params, PQGen
from psycopg_pool import AsyncConnectionPool

from sessionjar._acompat import ALock
from sessionjar.codec import (
    JSON_FIELDS,
    SESSION_FIELDS,
    SIGNING_KEY_FIELDS,
    session_from_values,
    signing_key_from_row,
)
from sessionjar.drivers import (
    check_handles,
    check_limit,
    check_liveness_query,
    check_namespace,
    check_update,
    check_user_query,
)
from sessionjar.errors import DuplicateHandle, StorageUnavailable
from sessionjar.storage import PROTOCOL_VERSION, SessionPatch, SessionRecord, SigningKeyRecord
from sessionjar_postgres._errors import Translated
from sessionjar_postgres._liveness import closed_by_server
from sessionjar_postgres._migrations import (
    LATEST_VERSION,
    LOCK_KEY,
    bootstrap,
    migrated,
    migrations,
    too_new,
)
from sessionjar_postgres._options import PostgresOptions, parse_url
from sessionjar_postgres._sql import Statements
from sessionjar_postgres._values import (
    check_storable_key,
    check_storable_patch,
    check_storable_record,
    storable_text,
    to_json,
)

__all__ = ["AsyncPostgresStore"]

# How often psycopg looks up from a wait (for signals); the deadline cuts it shorter.
_WAIT_INTERVAL: Final = 0.1
# A pool gives up reconnecting after this long and reconnects on the next request
# instead, so that a server back after a long outage is used at once.
_RECONNECT_TIMEOUT: Final = 10.0


class _Connection(AsyncConnection[Any]):
    """A pooled connection that runs every statement on the same cursor, and gives up
    on the server at the deadline of the call that borrowed it (async version).

    A new cursor per statement costs more client time than its parameters and rows do:
    it starts with empty caches of adapters.
    """

    _cursor: AsyncCursor[Any] | None = None
    deadline: float | None = None
    """`time.monotonic` time by which the borrowing call ends; `None` while pooled."""

    async def wait(
        self,
        gen: PQGen[RV],
        interval: float = _WAIT_INTERVAL,
        timeout: float | None = None,
    ) -> RV:
        """Run a protocol exchange as psycopg does, but not past the deadline.

        A reply that never comes (a dead peer, a black-holed path, a slow statement) would
        otherwise be awaited for as long as the socket lives. Past the deadline the
        connection is closed, since it is mid-exchange, and the pool replaces it.
        """
        deadline = self.deadline
        if deadline is not None:
            left = deadline - monotonic()
            timeout = left if timeout is None else min(timeout, left)
        try:
            return await super().wait(gen, interval, timeout)
        except psycopg.OperationalError as exc:
            if deadline is None or monotonic() < deadline:
                raise
            self.pgconn.finish()
            raise psycopg.OperationalError("no reply within the call's timeout") from exc

    async def run(self, statement: bytes, params: Params | None = None) -> AsyncCursor[Any]:
        """Execute ``statement`` on the connection's cursor and return the cursor."""
        if self._cursor is None:
            self._cursor = self.cursor()
        return await self._cursor.execute(statement, params)


def _parameter(name: str, value: object) -> object:
    """Return a record field as a query parameter: JSON objects as text."""
    return to_json(value, name) if name in JSON_FIELDS else value


class AsyncPostgresStore:
    """Sessions and signing keys in PostgreSQL tables (async version).

    Opening does no I/O: the pool connects, and the schema is migrated (unless
    ``auto_migrate=false``), on first use. Every operation is one statement in its own
    transaction, except `delete_expired`, which deletes in small batches. Every call
    ends within ``options.timeout`` seconds, or raises `StorageUnavailable`.

    Args:
        options: what the store URL asks for (see `from_url`).
        namespace: prefix of the table names.

    Raises:
        ConfigurationError: a bad namespace.
    """

    __module__ = "sessionjar_postgres"

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, options: PostgresOptions, *, namespace: str = "sessionjar") -> None:
        self.options: Final = options
        self._namespace: Final = check_namespace(namespace)
        self._sql = Statements(options.schema, namespace)
        self._lock = ALock()
        self._opened = False
        self._migrated = False
        self._closed = False
        self._pool = AsyncConnectionPool[_Connection](
            options.conninfo,
            connection_class=_Connection,
            kwargs={
                "autocommit": True,
                "prepare_threshold": options.prepare_threshold,
                "fallback_application_name": "sessionjar",
            },
            min_size=options.pool_min_size,
            max_size=options.pool_max_size,
            timeout=options.timeout,
            reconnect_timeout=max(_RECONNECT_TIMEOUT, options.timeout),
            name=f"sessionjar-{namespace}",
            open=False,
        )

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "sessionjar") -> AsyncPostgresStore:
        """Open a store on the server a ``postgresql://`` URL names; does no I/O.

        The URL carries libpq's options and the driver's (``schema``, ``timeout``,
        ``pool_min_size``, ``pool_max_size``, ``auto_migrate``, ``prepare_threshold``,
        ``delete_batch_size``).

        Raises:
            ConfigurationError: the URL, an option or the namespace is malformed.
        """
        return cls(parse_url(url), namespace=namespace)

    def __repr__(self) -> str:
        opts = self.options
        return f"<{type(self).__name__} {opts.where} {opts.schema}.{self._namespace}_*>"

    async def migrate(self) -> str:
        """Bring the namespace's tables to the driver's schema version; idempotent.

        Safe to run from several processes at once. Used by ``sessionjar migrate URL``
        and, unless ``auto_migrate=false``, on the store's first use. Storage I/O: one
        transaction on a pooled connection.

        Returns:
            one sentence saying what was done, e.g. ``"created the tables of namespace
            'web' (schema version 1)"`` or ``"already at schema version 1"``.

        Raises:
            StorageUnavailable: the server failed, or holds a newer schema version.
        """
        async with self._connection("migrate", migrate=False) as conn:
            before = await self._migrate(conn)
        return migrated(self._namespace, before)

    async def ping(self) -> None:
        """Check that the server answers and lets us in, on one direct connection.

        Bypasses the pool and its reconnection attempts, so that a wrong password or a
        closed port fails at once with the server's own words. Storage I/O: one
        connection, one ``SELECT 1``.

        Raises:
            StorageUnavailable: the server cannot be reached or refused us (the cause in
                the message).
        """
        with Translated(self.options, "answer"):
            conn = await AsyncConnection.connect(self.options.conninfo, autocommit=True)
            async with conn:
                await conn.execute("SELECT 1")

    async def _migrate(self, conn: AsyncConnection[Any]) -> int:
        """Apply the missing steps; return the schema version found before."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            current = await self._schema_version(conn)
            for step in migrations(self._sql)[current:]:
                for statement in step.statements:
                    await conn.execute(statement)
                await conn.execute(
                    sql.SQL("INSERT INTO {} (version, description) VALUES (%s, %s)").format(
                        self._sql.migrations
                    ),
                    (step.version, step.description),
                )
        self._migrated = True
        return current

    async def _schema_version(self, conn: AsyncConnection[Any]) -> int:
        names = self._sql
        cur = await conn.execute(
            "SELECT to_regnamespace(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
            (names.schema.as_string(), names.migrations.as_string()),
        )
        schema_exists, table_exists = await cur.fetchone() or (False, False)
        if not table_exists:
            for statement in bootstrap(names, create_schema=not schema_exists):
                await conn.execute(statement)
            return 0
        cur = await conn.execute(
            sql.SQL("SELECT coalesce(max(version), 0) FROM {}").format(names.migrations)
        )
        row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > LATEST_VERSION:
            raise StorageUnavailable(too_new(self._namespace, version))
        return version

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record: one INSERT."""
        check_storable_record(record)
        params = [_parameter(name, getattr(record, name)) for name in SESSION_FIELDS]
        async with self._connection("create") as conn:
            try:
                await conn.run(self._sql.create, params)
            except errors.UniqueViolation as exc:
                raise DuplicateHandle(record.handle) from exc

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle: one SELECT."""
        if not storable_text(handle):
            return None
        async with self._connection("get") as conn:
            cur = await conn.run(self._sql.get, (handle,))
            row = await cur.fetchone()
        return None if row is None else session_from_values(row)

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether a live record of this user has this handle: one ``SELECT 1`` on
        the primary key, with the owner and expiry as conditions."""
        check_liveness_query(handle, tenant, user_id, now)
        if not (storable_text(handle) and storable_text(tenant) and storable_text(user_id)):
            return False
        async with self._connection("is_live") as conn:
            cur = await conn.run(self._sql.is_live, (handle, tenant, user_id, now))
            return await cur.fetchone() is not None

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply a patch to a live record: one conditional UPDATE ... RETURNING."""
        check_update(patch, expected_version, expected_refresh_hash)
        check_storable_patch(patch)
        changes = patch.changes()
        if not (storable_text(handle) and storable_text(expected_refresh_hash or "")):
            return None
        params = [_parameter(name, value) for name, value in changes.items()]
        params += [handle, now]
        if expected_version is not None:
            params.append(expected_version)
        if expected_refresh_hash is not None:
            params.append(expected_refresh_hash)
        if patch.expires_at is not None:
            params.append(patch.expires_at)
        statement = self._sql.update(
            tuple(changes), expected_version is not None, expected_refresh_hash is not None
        )
        async with self._connection("update") as conn:
            cur = await conn.run(statement, params)
            row = await cur.fetchone()
        return None if row is None else session_from_values(row)

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete records by handle: one DELETE (none for no handles)."""
        check_handles(handles)
        wanted = sorted({h for h in handles if storable_text(h)})
        if not wanted:
            return []
        if len(wanted) == 1:
            return await self._handles("delete", self._sql.delete_one, wanted)
        return await self._handles("delete", self._sql.delete, (wanted,))

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant: one DELETE."""
        if not (storable_text(tenant) and storable_text(user_id)):
            return []
        return await self._handles("delete_for_user", self._sql.delete_for_user, (tenant, user_id))

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records: one SELECT."""
        if not (storable_text(tenant) and storable_text(user_id)):
            return []
        params = (tenant, user_id, now)
        return await self._handles("list_for_user", self._sql.list_for_user, params)

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id: one SELECT on
        the (tenant, user_id) index."""
        check_user_query(tenant, user_id, now)
        if not (storable_text(tenant) and storable_text(user_id)):
            return []
        async with self._connection("list_sessions_for_user") as conn:
            cur = await conn.run(self._sql.list_sessions_for_user, (tenant, user_id, now))
            rows = await cur.fetchall()
        return [session_from_values(row) for row in rows]

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) in batches of ``delete_batch_size``
        rows, one statement each so that no lock is held long, then expired signing keys;
        return how many records were deleted.

        Racing processes skip the rows another one is deleting (``SKIP LOCKED``): each
        row is deleted and counted once.
        """
        check_limit(limit)
        batch_size = self.options.delete_batch_size
        deleted = 0
        async with self._connection("delete_expired") as conn:
            while True:
                batch = batch_size if limit is None else min(batch_size, limit - deleted)
                cur = await conn.run(self._sql.delete_expired_batch, (now, batch))
                deleted += cur.rowcount
                if cur.rowcount < batch or deleted == limit:
                    break
            await conn.run(self._sql.delete_expired_keys, (now,))
        return deleted

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its kid is taken: one INSERT ... ON CONFLICT."""
        check_storable_key(key)
        params = [_parameter(name, getattr(key, name)) for name in SIGNING_KEY_FIELDS]
        async with self._connection("add_signing_key") as conn:
            cur = await conn.run(self._sql.add_signing_key, params)
            return await cur.fetchone() is not None

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every signing key: one SELECT."""
        async with self._connection("list_signing_keys") as conn:
            cur = await conn.run(self._sql.list_signing_keys)
            rows = await cur.fetchall()
        return [
            signing_key_from_row(dict(zip(SIGNING_KEY_FIELDS, row, strict=True))) for row in rows
        ]

    async def close(self) -> None:
        """Close the pool's connections; the store cannot be used afterwards."""
        self._closed = True
        await self._pool.close()

    async def _handles(self, action: str, statement: bytes, params: Sequence[object]) -> list[str]:
        async with self._connection(action) as conn:
            cur = await conn.run(statement, params)
            rows = await cur.fetchall()
        return [str(row[0]) for row in rows]

    @asynccontextmanager
    async def _connection(
        self, action: str, *, migrate: bool = True
    ) -> AsyncIterator[_Connection]:
        """Lend a live pooled connection until the call's deadline; turn every psycopg
        error into `StorageUnavailable`."""
        if self._closed:
            raise StorageUnavailable(f"{action}: the PostgreSQL store has been closed")
        deadline = monotonic() + self.options.timeout
        with Translated(self.options, action):
            if not self._opened:
                await self._open()
            conn = await self._live_connection(deadline)
            conn.deadline = deadline
            try:
                if migrate and not self._migrated and self.options.auto_migrate:
                    await self._first_migration(conn)
                yield conn
            finally:
                conn.deadline = None
                await self._pool.putconn(conn)

    async def _open(self) -> None:
        async with self._lock:
            if not self._opened:
                await self._pool.open(wait=False)
                self._opened = True

    async def _first_migration(self, conn: AsyncConnection[Any]) -> None:
        async with self._lock:
            if not self._migrated:
                await self._migrate(conn)

    async def _live_connection(self, deadline: float) -> _Connection:
        # After a server restart the pool holds connections the server has closed:
        # drop them (the pool replaces them) rather than fail a request on each.
        for _ in range(self.options.pool_max_size + 1):
            conn = await self._pool.getconn(timeout=max(0.0, deadline - monotonic()))
            if not closed_by_server(conn):
                return conn
            await conn.close()
            await self._pool.putconn(conn)
        raise psycopg.OperationalError("the server closed every pooled connection")
