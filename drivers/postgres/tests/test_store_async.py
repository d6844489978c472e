"""Behaviour special to the PostgreSQL store, on the real server (async version)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, timedelta, timezone
from typing import Any

import psycopg
import pytest
from fix_server import with_options
from psycopg import sql
from psycopg.types.json import Jsonb

from sessionjar import SerializationError, SessionPatch, SessionRecord, StorageUnavailable
from sessionjar.codec import SESSION_FIELDS
from sessionjar_conformance._acompat import afixture, aparallel
from sessionjar_conformance.helpers import new_record, new_signing_key, utc_now
from sessionjar_postgres._migrations import bootstrap, migrations
from sessionjar_postgres._sql import Statements
from sessionjar_postgres.store_async import AsyncPostgresStore

Raw = psycopg.Connection[tuple[object, ...]]
COLUMN_TYPES = " ".join(
    [
        "SELECT column_name, data_type FROM information_schema.columns",
        "WHERE table_schema = %s AND table_name = %s",
    ]
)


@pytest.fixture
def namespace() -> str:
    return f"sjp_{secrets.token_hex(6)}"


@afixture
async def store(postgres_url: str, namespace: str) -> AsyncIterator[AsyncPostgresStore]:
    opened = AsyncPostgresStore.from_url(postgres_url, namespace=namespace)
    yield opened
    await opened.close()


def table(schema: str, name: str) -> sql.Identifier:
    return sql.Identifier(schema, name)


def exists(raw: Raw, schema: str, name: str) -> bool:
    row = raw.execute("SELECT to_regclass(%s)", (table(schema, name).as_string(),)).fetchone()
    return row is not None and row[0] is not None


async def test_tables_use_timestamptz_jsonb_and_index_handle_user_and_expiry(
    store: AsyncPostgresStore, raw: Raw, test_schema: str, namespace: str
) -> None:
    await store.migrate()
    types = {
        str(name): str(kind)
        for name, kind in raw.execute(COLUMN_TYPES, (test_schema, f"{namespace}_sessions"))
    }
    assert {types[name] for name in ("created_at", "expires_at", "rotated_at")} == {
        "timestamp with time zone"
    }
    assert types["access_payload"] == types["session_data"] == types["device"] == "jsonb"
    indexes = [
        str(row[0]).split(" USING btree ")[1]
        for row in raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (test_schema, f"{namespace}_sessions"),
        )
    ]
    assert sorted(indexes) == ["(expires_at)", "(handle)", "(tenant, user_id)"]


async def test_migrate_is_idempotent_and_records_each_version_once(
    store: AsyncPostgresStore, raw: Raw, test_schema: str, namespace: str
) -> None:
    created = f"created the tables of namespace {namespace!r} (schema version 2)"
    assert await store.migrate() == created
    assert await store.migrate() == "already at schema version 2"
    rows = raw.execute(
        sql.SQL("SELECT version, description FROM {} ORDER BY version").format(
            table(test_schema, f"{namespace}_migrations")
        )
    ).fetchall()
    assert rows == [(1, "sessions and signing keys"), (2, "device of each session")]


def make_version_1(raw: Raw, schema: str, namespace: str, record: SessionRecord) -> None:
    """Create a namespace at schema version 1, holding ``record`` as version 1 wrote it."""
    names = Statements(schema, namespace)
    raw.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(names.schema))
    for statement in [*bootstrap(names, create_schema=False), *migrations(names)[0].statements]:
        raw.execute(statement)
    raw.execute(
        sql.SQL("INSERT INTO {} (version, description) VALUES (1, 'version 1')").format(
            names.migrations
        )
    )
    columns = [name for name in SESSION_FIELDS if name != "device"]
    values = [getattr(record, name) for name in columns]
    raw.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            names.sessions,
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        ),
        [Jsonb(value) if isinstance(value, dict) else value for value in values],
    )


async def test_a_version_1_namespace_is_upgraded_in_place(
    store: AsyncPostgresStore, raw: Raw, test_schema: str, namespace: str
) -> None:
    old = new_record(utc_now())
    make_version_1(raw, test_schema, namespace, old)
    upgraded = f"upgraded namespace {namespace!r} from schema version 1 to 2"
    assert await store.migrate() == upgraded
    assert await store.migrate() == "already at schema version 2"
    assert await store.get(old.handle) == old  # written before devices: device {}
    new = new_record(utc_now(), device={"user_agent": "Firefox 133 on Windows"})
    await store.create(new)
    found = await store.list_sessions_for_user("public", "alice", now=utc_now())
    assert sorted(found, key=lambda record: record.created_at) == [old, new]
    patched = await store.update(
        old.handle, SessionPatch(device={"ip": "203.0.113.0"}), expected_version=1, now=utc_now()
    )
    assert patched is not None
    assert patched.device == {"ip": "203.0.113.0"}


@pytest.mark.parametrize("found", [0, 1])
async def test_processes_migrating_at_once_apply_each_step_once(
    postgres_url: str, raw: Raw, test_schema: str, namespace: str, found: int
) -> None:
    if found == 1:
        make_version_1(raw, test_schema, namespace, new_record(utc_now()))
    stores = [AsyncPostgresStore.from_url(postgres_url, namespace=namespace) for _ in range(4)]
    try:
        results = await aparallel(4, lambda index: stores[index].migrate())
    finally:
        for opened in stores:
            await opened.close()
    done = {
        0: f"created the tables of namespace {namespace!r} (schema version 2)",
        1: f"upgraded namespace {namespace!r} from schema version 1 to 2",
    }[found]
    said = sorted([result for result in results if isinstance(result, str)])
    assert said == ["already at schema version 2"] * 3 + [done]
    versions = raw.execute(
        sql.SQL("SELECT version FROM {} ORDER BY version").format(
            table(test_schema, f"{namespace}_migrations")
        )
    ).fetchall()
    assert versions == [(1,), (2,)]


async def test_without_auto_migrate_nothing_is_created_until_migrate(
    postgres_url: str, raw: Raw, test_schema: str, namespace: str
) -> None:
    opened = AsyncPostgresStore.from_url(
        with_options(postgres_url, auto_migrate="false"), namespace=namespace
    )
    try:
        with pytest.raises(StorageUnavailable, match="does not exist"):
            await opened.get("missing")
        assert not exists(raw, test_schema, f"{namespace}_sessions")
        await opened.migrate()
        assert await opened.get("missing") is None
    finally:
        await opened.close()


async def test_tables_of_a_newer_schema_version_are_refused(
    store: AsyncPostgresStore, postgres_url: str, raw: Raw, test_schema: str, namespace: str
) -> None:
    await store.migrate()
    raw.execute(
        sql.SQL("INSERT INTO {} (version, description) VALUES (3, 'from the future')").format(
            table(test_schema, f"{namespace}_migrations")
        )
    )
    newer = AsyncPostgresStore.from_url(postgres_url, namespace=namespace)
    try:
        with pytest.raises(StorageUnavailable, match="upgrade sessionjar-postgres"):
            await newer.get("any")
    finally:
        await newer.close()


async def test_times_come_back_in_utc_whatever_the_session_time_zone(
    postgres_url: str, namespace: str
) -> None:
    url = with_options(postgres_url, options="-c%20TimeZone%3DAsia/Tokyo")
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    india = timezone(timedelta(hours=5, minutes=30))
    record = new_record(utc_now().astimezone(india), rotated_at=utc_now().astimezone(india))
    try:
        await opened.create(record)
        got = await opened.get(record.handle)
    finally:
        await opened.close()
    assert got == record
    assert got.created_at.tzinfo is UTC
    assert got.rotated_at is not None
    assert got.rotated_at.tzinfo is UTC


@pytest.mark.parametrize(
    "fields",
    [
        {"session_data": {"text": "a\x00b"}},
        {"access_payload": {"key\x00": 1}},
        {"session_data": {"list": [{"deep": "\x00"}]}},
        {"device": {"user_agent": "a\x00"}},
        {"tenant": "t\x00"},
        {"user_id": "\x00"},
        {"refresh_hash": "ab\x00"},
    ],
)
async def test_nul_characters_are_refused_before_writing(
    store: AsyncPostgresStore, fields: dict[str, Any]
) -> None:
    record = new_record(utc_now(), **fields)
    with pytest.raises(SerializationError, match="NUL"):
        await store.create(record)
    assert await store.get(record.handle) is None


async def test_patches_and_keys_with_nul_characters_write_nothing(
    store: AsyncPostgresStore,
) -> None:
    record = new_record(utc_now())
    await store.create(record)
    with pytest.raises(SerializationError):
        await store.update(
            record.handle,
            SessionPatch(session_data={"a": "\x00"}, refresh_hash="new"),
            expected_version=None,
            now=utc_now(),
        )
    assert await store.get(record.handle) == record
    key = new_signing_key(utc_now(), private_jwk={"kty": "oct", "k": "\x00"})
    with pytest.raises(SerializationError):
        await store.add_signing_key(key)
    assert await store.list_signing_keys() == []


async def test_text_postgresql_cannot_hold_is_never_found(store: AsyncPostgresStore) -> None:
    assert await store.get("a\x00b") is None
    assert await store.delete(["a\x00b"]) == []
    assert await store.list_for_user("t\x00", "u", now=utc_now()) == []
    assert await store.list_sessions_for_user("t", "u\x00", now=utc_now()) == []
    assert await store.delete_for_user("t", "u\x00") == []


async def test_floats_jsonb_would_print_as_integers_keep_value_and_type(
    store: AsyncPostgresStore,
) -> None:
    data = {"huge": 1e300, "edge": 1e16, "neg": -1.5e20, "int": 10**20, "tiny": 5e-324}
    record = new_record(utc_now(), session_data=data)
    await store.create(record)
    got = await store.get(record.handle)
    assert got is not None
    assert got.session_data == data
    assert {name: type(value) for name, value in got.session_data.items()} == {
        name: type(value) for name, value in data.items()
    }


async def test_delete_expired_deletes_in_batches(postgres_url: str, namespace: str) -> None:
    opened = AsyncPostgresStore.from_url(
        with_options(postgres_url, delete_batch_size=3), namespace=namespace
    )
    moment = utc_now()
    expired = [new_record(moment - timedelta(hours=2), ttl=timedelta(hours=1)) for _ in range(10)]
    live = [new_record(moment) for _ in range(2)]
    try:
        for record in expired + live:
            await opened.create(record)
        assert await opened.delete_expired(now=moment, limit=4) == 4  # a batch and a part
        assert await opened.delete_expired(now=moment) == 6
        handles = await opened.list_for_user("public", "alice", now=moment)
        assert sorted(handles) == sorted([record.handle for record in live])
    finally:
        await opened.close()


async def test_delete_expired_skips_rows_locked_by_others(
    postgres_url: str, server_url: str, test_schema: str, namespace: str
) -> None:
    # statement_timeout: a delete that waited for the lock would fail instead of hanging.
    url = with_options(postgres_url, options="-c%20statement_timeout%3D5000")
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    moment = utc_now()
    locked, free = (new_record(moment, ttl=timedelta(seconds=-1)) for _ in range(2))
    try:
        await opened.create(locked)
        await opened.create(free)
        with psycopg.connect(server_url) as blocker:
            blocker.execute(
                sql.SQL("SELECT 1 FROM {} WHERE handle = %s FOR UPDATE").format(
                    table(test_schema, f"{namespace}_sessions")
                ),
                (locked.handle,),
            )
            assert await opened.delete_expired(now=moment) == 1
            assert await opened.get(locked.handle) == locked
            blocker.rollback()
        assert await opened.delete_expired(now=moment) == 1
    finally:
        await opened.close()


async def test_namespace_and_schema_are_quoted_identifiers(
    server_url: str, raw: Raw, test_schema: str
) -> None:
    schema, namespace = f"{test_schema}_Mixed", "Odd-Name_1"
    url = with_options(server_url, schema=schema)
    opened = AsyncPostgresStore.from_url(url, namespace=namespace)
    record = new_record(utc_now())
    try:
        await opened.create(record)
        assert await opened.get(record.handle) == record
        assert exists(raw, schema, "Odd-Name_1_sessions")
    finally:
        await opened.close()
        raw.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


async def test_a_closed_store_refuses_work(store: AsyncPostgresStore) -> None:
    await store.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        await store.get("any")


async def test_is_live_checks_owner_and_expiry(store: AsyncPostgresStore) -> None:
    record = new_record(utc_now())
    await store.create(record)
    owner = {"tenant": record.tenant, "user_id": record.user_id}
    assert await store.is_live(record.handle, **owner, now=utc_now())
    assert not await store.is_live(record.handle, **owner, now=record.expires_at)
    assert not await store.is_live(record.handle, tenant=record.tenant, user_id="x", now=utc_now())
    assert not await store.is_live(
        record.handle, tenant="x", user_id=record.user_id, now=utc_now()
    )
    assert not await store.is_live("no\x00such", **owner, now=utc_now())


async def test_a_tampered_json_shape_is_refused_by_the_table(
    store: AsyncPostgresStore, raw: Raw, test_schema: str, namespace: str
) -> None:
    record = new_record(utc_now())
    await store.create(record)
    table = sql.Identifier(test_schema, f"{namespace}_sessions")
    for column in ("session_data", "device"):
        with pytest.raises(psycopg.errors.CheckViolation):
            raw.execute(
                sql.SQL("UPDATE {} SET {} = '[1]' WHERE handle = %s").format(
                    table, sql.Identifier(column)
                ),
                (record.handle,),
            )
    assert await store.get(record.handle) == record


async def test_ping_answers_on_one_connection_without_migrating(
    store: AsyncPostgresStore, raw: Raw, test_schema: str, namespace: str
) -> None:
    await store.ping()
    assert not exists(raw, test_schema, f"{namespace}_sessions")


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgresql://sessionjar:sessionjar@127.0.0.1:1/sessionjar", "Connection refused"),
        (
            "postgresql://sessionjar:hunter2@127.0.0.1:5432/sessionjar",
            'password authentication failed for user "sessionjar"',
        ),
    ],
)
async def test_ping_fails_at_once_naming_the_cause(url: str, cause: str, namespace: str) -> None:
    unreachable = AsyncPostgresStore.from_url(url, namespace=namespace)
    try:
        with pytest.raises(StorageUnavailable, match=cause) as raised:
            await unreachable.ping()
        assert "hunter2" not in str(raised.value)
    finally:
        await unreachable.close()
