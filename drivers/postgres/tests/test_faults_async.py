"""Server failures in the middle of an operation fail closed and write nothing (async version).

Each test blocks a store's statement behind a row lock held by a plain connection, then
breaks it: the backend is terminated, a deadlock is made, or a concurrent commit makes
the statement unserializable. The PostgreSQL errors surface as `StorageUnavailable`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from fix_server import with_options
from psycopg import errors, sql

from sessionjar import SessionPatch, SessionRecord, StorageUnavailable
from sessionjar._acompat import asleep
from sessionjar_conformance._acompat import afixture, aparallel
from sessionjar_conformance.helpers import new_record, utc_now
from sessionjar_postgres.store_async import AsyncPostgresStore

Raw = psycopg.Connection[tuple[object, ...]]
BLOCKED_BACKEND = " ".join(
    [
        "SELECT pid FROM pg_stat_activity",
        "WHERE application_name = %s AND wait_event_type = 'Lock'",
    ]
)
OTHER_WRITE = 'UPDATE {} SET session_data = \'{{"by": "other"}}\' WHERE handle = %s'


@pytest.fixture
def namespace() -> str:
    return f"sjp_{secrets.token_hex(6)}"


@pytest.fixture
def application_name() -> str:
    """Names the store's connections, to find their backends in pg_stat_activity."""
    return f"sjfault_{secrets.token_hex(4)}"


@afixture
async def store(
    postgres_url: str, namespace: str, application_name: str
) -> AsyncIterator[AsyncPostgresStore]:
    url = with_options(postgres_url, application_name=application_name)
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    yield opened
    await opened.close()


@pytest.fixture
def sessions(test_schema: str, namespace: str) -> sql.Identifier:
    return sql.Identifier(test_schema, f"{namespace}_sessions")


async def wait_until_blocked(raw: Raw, application_name: str) -> int:
    """Return the pid of the store's backend once it waits for a lock (at most 10 s)."""
    for _ in range(500):
        row = raw.execute(
            BLOCKED_BACKEND,
            (application_name,),
        ).fetchone()
        if row is not None:
            return int(str(row[0]))
        await asleep(0.02)
    pytest.fail("the store's statement never waited for the lock")


async def test_connection_lost_mid_statement_fails_closed(
    store: AsyncPostgresStore,
    raw: Raw,
    server_url: str,
    sessions: sql.Identifier,
    application_name: str,
) -> None:
    record = new_record(utc_now())
    await store.create(record)
    patch = SessionPatch(session_data={"written": True})
    with psycopg.connect(server_url) as blocker:
        blocker.execute(
            sql.SQL("SELECT 1 FROM {} WHERE handle = %s FOR UPDATE").format(sessions),
            (record.handle,),
        )

        async def act(index: int) -> object:
            if index == 0:
                return await store.update(record.handle, patch, expected_version=1, now=utc_now())
            pid = await wait_until_blocked(raw, application_name)
            return raw.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()

        update, _ = await aparallel(2, act)
        blocker.rollback()
    assert isinstance(update, StorageUnavailable)
    assert isinstance(update.__cause__, psycopg.OperationalError)
    assert await store.get(record.handle) == record


async def test_deadlock_fails_closed(
    store: AsyncPostgresStore,
    raw: Raw,
    server_url: str,
    sessions: sql.Identifier,
    application_name: str,
) -> None:
    # PostgreSQL aborts the backend whose deadlock check finds the cycle. That is the
    # store's, which waits first, unless a busy machine delays the other wait past
    # deadlock_timeout (1 s); then the store's delete succeeds whole and we try again.
    for _ in range(3):
        deleted, first, second = await make_deadlock(
            store, raw, server_url, sessions, application_name
        )
        if isinstance(deleted, StorageUnavailable):
            break
        assert sorted(deleted) == sorted([first.handle, second.handle])
    else:
        pytest.fail("the store's backend was never the deadlock victim")
    assert isinstance(deleted.__cause__, errors.DeadlockDetected)
    assert await store.get(first.handle) == first
    assert await store.get(second.handle) == second


async def make_deadlock(
    store: AsyncPostgresStore,
    raw: Raw,
    server_url: str,
    sessions: sql.Identifier,
    application_name: str,
) -> tuple[Any, SessionRecord, SessionRecord]:
    """Make the store's delete of two records deadlock with a plain connection."""
    first = new_record(utc_now(), handle=f"a{secrets.token_hex(8)}")
    second = new_record(utc_now(), handle=f"b{secrets.token_hex(8)}")
    await store.create(first)
    await store.create(second)
    lock = sql.SQL("SELECT 1 FROM {} WHERE handle = %s FOR UPDATE").format(sessions)
    with psycopg.connect(server_url) as blocker:
        blocker.execute(lock, (second.handle,))

        async def act(index: int) -> object:
            if index == 0:
                return await store.delete([first.handle, second.handle])
            await wait_until_blocked(raw, application_name)
            # The store holds `first` and waits for `second`: this closes the cycle.
            return blocker.execute(lock, (first.handle,)).fetchone()

        deleted, _ = await aparallel(2, act)
        blocker.rollback()
    return deleted, first, second


async def test_serialization_failure_fails_closed(
    postgres_url: str,
    raw: Raw,
    server_url: str,
    namespace: str,
    sessions: sql.Identifier,
    application_name: str,
) -> None:
    url = with_options(
        postgres_url,
        application_name=application_name,
        options="-c%20default_transaction_isolation%3Dserializable",
    )
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    record = new_record(utc_now())
    try:
        await opened.create(record)
        with psycopg.connect(server_url) as other:
            other.execute(sql.SQL(OTHER_WRITE).format(sessions), (record.handle,))

            async def act(index: int) -> object:
                if index == 0:
                    patch = SessionPatch(session_data={"by": "store"})
                    return await opened.update(
                        record.handle, patch, expected_version=None, now=utc_now()
                    )
                await wait_until_blocked(raw, application_name)
                other.commit()
                return None

            update, _ = await aparallel(2, act)
        assert isinstance(update, StorageUnavailable)
        assert isinstance(update.__cause__, errors.SerializationFailure)
        got = await opened.get(record.handle)
        assert got is not None
        assert (got.session_data, got.version) == ({"by": "other"}, 1)
    finally:
        await opened.close()


async def test_a_slow_statement_fails_at_the_timeout(
    postgres_url: str, raw: Raw, server_url: str, namespace: str, sessions: sql.Identifier
) -> None:
    url = with_options(postgres_url, timeout=1)
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    record = new_record(utc_now())
    try:
        await opened.create(record)
        with psycopg.connect(server_url) as blocker:
            lock = sql.SQL("SELECT 1 FROM {} WHERE handle = %s FOR UPDATE").format(sessions)
            blocker.execute(lock, (record.handle,))
            patch = SessionPatch(session_data={"late": True})
            with pytest.raises(StorageUnavailable, match="timeout") as raised:
                await opened.update(record.handle, patch, expected_version=None, now=utc_now())
            blocker.rollback()
        assert isinstance(raised.value.__cause__, psycopg.OperationalError)
        # The server finishes what the client gave up on unless its statement_timeout
        # stops it: the update may have been applied, once at most.
        applied = replace(record, session_data={"late": True}, version=2)
        assert await opened.get(record.handle) in (record, applied)
    finally:
        await opened.close()
