"""Behaviour special to the Redis store, against real servers (async version)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from redis.crc import key_slot
from redis.exceptions import RedisClusterException, RedisError

from sessionjar import SessionPatch, SessionRecord, SigningKeyRecord, StorageUnavailable
from sessionjar._acompat import asleep
from sessionjar._json import MAX_DEPTH
from sessionjar.codec import SESSION_FIELDS, to_millis
from sessionjar_redis._keys import KeyLayout, owner_tag
from sessionjar_redis._rows import TTL_MARGIN
from sessionjar_redis._scripts import REQUIRED
from sessionjar_redis.store_async import AsyncRedisStore

FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000
MARGIN_MS = TTL_MARGIN // timedelta(milliseconds=1)
SLACK_MS = 10_000  # how far a TTL may run down while a test runs
ALICE = owner_tag("public", "alice")

Clock = Callable[[], datetime]
MakeRecord = Callable[..., SessionRecord]
Log = Callable[[str], AbstractContextManager[Callable[[], list[str]]]]


@pytest.fixture
async def store(url: str, namespace: str) -> AsyncIterator[AsyncRedisStore]:
    """A store on each test server in turn, emptied and closed afterwards."""
    opened = AsyncRedisStore.from_url(url, namespace=namespace)
    yield opened
    await opened.delete_expired(now=FAR_FUTURE)
    await opened.close()


@pytest.fixture
def layout(url: str, namespace: str) -> KeyLayout:
    """The key layout the store of ``url`` uses."""
    return KeyLayout(namespace, 16 if "+cluster" in url else 1)


def _index_entries(raw: Any, layout: KeyLayout, owner: str) -> set[str]:
    entries: set[str] = set()
    for prefix in layout.prefixes:
        entries.update(raw.zrange(KeyLayout.index(prefix, owner), 0, -1))
    return entries


def _namespace_keys(servers: list[redis.Redis], namespace: str) -> set[str]:
    return {key for server in servers for key in server.scan_iter(match=f"{{{namespace}*")}


async def test_keys_hold_only_namespace_handle_and_owner_digest(
    store: AsyncRedisStore,
    raw: Any,
    servers: list[redis.Redis],
    layout: KeyLayout,
    namespace: str,
    clock: Clock,
    make_record: MakeRecord,
) -> None:
    record = make_record(clock(), tenant="t{1}:*", user_id="}u:s:{x}")
    await store.create(record)
    owner = owner_tag(record.tenant, record.user_id)
    record_key = layout.record(record.handle)
    index_key = KeyLayout.index(layout.prefix(record.handle), owner)
    assert _namespace_keys(servers, namespace) == {record_key, index_key}
    assert key_slot(record_key.encode()) == key_slot(index_key.encode())
    fields = raw.hgetall(record_key)
    stored = {name for name in SESSION_FIELDS if getattr(record, name) is not None}
    assert set(fields) == stored | {"ix", "sum"}
    assert fields["ix"] == owner
    expected = [(record.handle, float(to_millis(record.expires_at)))]
    assert raw.zrange(index_key, 0, -1, withscores=True) == expected


async def test_native_expiry_follows_expires_at(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    record = make_record(clock(), ttl=timedelta(hours=1))
    await store.create(record)
    key = layout.record(record.handle)
    index = KeyLayout.index(layout.prefix(record.handle), ALICE)
    assert HOUR_MS + MARGIN_MS - SLACK_MS < raw.pttl(key) <= HOUR_MS + MARGIN_MS
    assert raw.pttl(index) >= raw.pttl(key) - SLACK_MS

    later = record.created_at + timedelta(minutes=10)
    await store.update(record.handle, SessionPatch(session_data={}), expected_version=1, now=later)
    assert raw.pttl(key) > HOUR_MS + MARGIN_MS - SLACK_MS, "an update without expiry keeps it"

    longer = later + timedelta(hours=3)
    await store.update(
        record.handle, SessionPatch(expires_at=longer), expected_version=2, now=later
    )
    assert 3 * HOUR_MS + MARGIN_MS - SLACK_MS < raw.pttl(key) <= 3 * HOUR_MS + MARGIN_MS
    assert raw.pttl(index) >= raw.pttl(key) - SLACK_MS
    assert raw.zscore(index, record.handle) == to_millis(longer)

    shorter = later + timedelta(minutes=5)
    await store.update(
        record.handle, SessionPatch(expires_at=shorter), expected_version=3, now=later
    )
    assert raw.pttl(key) <= 5 * 60_000 + MARGIN_MS
    assert raw.zscore(index, record.handle) == to_millis(shorter)


async def test_an_already_expired_record_is_dropped_by_redis_soon(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    record = make_record(clock(), ttl=-timedelta(hours=1))
    await store.create(record)
    assert 0 < raw.pttl(layout.record(record.handle)) <= MARGIN_MS


async def test_indexes_drop_entries_of_records_redis_expired(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    start = clock()
    records = [make_record(start) for _ in range(6)]
    for record in records:
        await store.create(record)
    # Deleting a record key by hand does what Redis's own expiry does to it.
    for record in records[:4]:
        raw.delete(layout.record(record.handle))

    newest = make_record(start + timedelta(hours=2))
    await store.create(newest)
    own_index = KeyLayout.index(layout.prefix(newest.handle), ALICE)
    for handle in raw.zrange(own_index, 0, -1):
        assert raw.exists(layout.record(handle)), "create prunes the index it adds to"

    raw.delete(layout.record(records[4].handle))
    listed = await store.list_for_user("public", "alice", now=start)
    assert sorted(listed) == sorted([records[5].handle, newest.handle])
    assert _index_entries(raw, layout, ALICE) == set(listed), "listing prunes every index"
    assert sorted(await store.delete_for_user("public", "alice")) == sorted(listed)
    assert _index_entries(raw, layout, ALICE) == set()


async def test_revoke_all_never_deletes_another_owners_record(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    alice = make_record(clock(), user_id="alice")
    await store.create(alice)
    raw.delete(layout.record(alice.handle))  # as Redis's own expiry would
    bob = make_record(clock(), user_id="bob", handle=alice.handle)
    await store.create(bob)
    assert await store.list_for_user("public", "alice", now=clock()) == []
    assert await store.delete_for_user("public", "alice") == []
    assert await store.get(bob.handle) == bob


@pytest.mark.disturbs_server
async def test_scripts_are_sent_again_after_script_flush(
    store: AsyncRedisStore, servers: list[redis.Redis], clock: Clock, make_record: MakeRecord
) -> None:
    record = make_record(clock())
    await store.create(record)
    for server in servers:
        server.script_flush()
    patch = SessionPatch(session_data={"a": 1})
    updated = await store.update(record.handle, patch, expected_version=None, now=clock())
    assert updated is not None
    assert updated.version == 2
    assert await store.list_for_user("public", "alice", now=clock()) == [record.handle]
    assert await store.delete([record.handle]) == [record.handle]


@pytest.mark.disturbs_server
async def test_reconnects_after_the_server_dropped_its_connections(
    store: AsyncRedisStore, servers: list[redis.Redis], clock: Clock, make_record: MakeRecord
) -> None:
    record = make_record(clock())
    await store.create(record)
    for server in servers:
        server.client_kill_filter(_type="normal", skipme=True)
    assert await store.get(record.handle) == record


async def test_one_round_trip_per_operation(
    redis_url: str,
    namespace: str,
    command_log: Log,
    clock: Clock,
    make_record: MakeRecord,
    make_key: Callable[[datetime], SigningKeyRecord],
) -> None:
    store = AsyncRedisStore.from_url(redis_url, namespace=namespace)
    patch = SessionPatch(session_data={})

    def operations(record: SessionRecord) -> Iterator[Callable[[], Any]]:
        yield lambda: store.create(record)
        yield lambda: store.get(record.handle)
        yield lambda: store.update(record.handle, patch, expected_version=1, now=clock())
        yield lambda: store.list_for_user("public", "alice", now=clock())
        yield lambda: store.list_sessions_for_user("public", "alice", now=clock())
        yield lambda: store.delete([record.handle])
        yield lambda: store.delete_for_user("public", "alice")
        yield lambda: store.add_signing_key(make_key(clock()))
        yield lambda: store.list_signing_keys()

    try:
        for operation in operations(make_record(clock())):
            await operation()  # connects, and has the server cache each script
        for number, operation in enumerate(operations(make_record(clock()))):
            with command_log(namespace) as sent:
                await operation()
                assert len(sent()) == 1, f"operation #{number}: {sent()}"
    finally:
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()


@pytest.mark.disturbs_server
async def test_a_forgotten_script_costs_one_more_round_trip(
    redis_url: str, namespace: str, command_log: Log, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(redis_url, namespace=namespace)
    server = redis.Redis.from_url(redis_url)
    try:
        await store.get("warm-up")
        server.script_flush()
        with command_log(namespace) as sent:
            await store.create(make_record(clock()))
            assert sent() == ["EVALSHA", "EVAL"]
        with command_log(namespace) as sent:
            await store.create(make_record(clock()))
            assert sent() == ["EVALSHA"]
    finally:
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()
        server.close()


@pytest.mark.disturbs_server
async def test_a_timeout_is_storage_unavailable(
    redis_url: str, namespace: str, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(f"{redis_url}?socket_timeout=0.2", namespace=namespace)
    server = redis.Redis.from_url(redis_url)
    record = make_record(clock())
    try:
        await store.get(record.handle)
        server.client_pause(5_000, all=False)  # pauses every script, as they may write
        with pytest.raises(StorageUnavailable) as info:
            await store.create(record)
        assert isinstance(info.value.__cause__, redis.TimeoutError)
    finally:
        server.client_unpause()
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()
        server.close()


async def test_standalone_url_on_a_cluster_node_fails_closed(
    cluster: redis.RedisCluster,
    node_of: Callable[[str], tuple[str, int]],
    primary_addresses: set[tuple[str, int]],
    namespace: str,
    clock: Clock,
    make_record: MakeRecord,
) -> None:
    layout = KeyLayout(namespace, 1)
    record = make_record(clock())
    host, port = next(iter(primary_addresses - {node_of(layout.record(record.handle))}))
    store = AsyncRedisStore.from_url(f"redis://{host}:{port}/0", namespace=namespace)
    try:
        with pytest.raises(StorageUnavailable) as info:
            await store.create(record)
        assert isinstance(info.value.__cause__, redis.ResponseError)  # MovedError since 6.0
        assert f"{host}:{port}" not in str(info.value.__cause__), "not this node's slot"
        assert cluster.exists(layout.record(record.handle)) == 0
    finally:
        await store.close()


async def test_revocations_survive_a_crash_with_the_append_only_file(
    durable_server: tuple[str, Callable[[], None]],
    namespace: str,
    clock: Clock,
    make_record: MakeRecord,
) -> None:
    url, crash_and_restart = durable_server
    store = AsyncRedisStore.from_url(url, namespace=namespace)
    kept, revoked = make_record(clock()), make_record(clock())
    try:
        await store.create(kept)
        await store.create(revoked)
        assert await store.delete([revoked.handle]) == [revoked.handle]
        crash_and_restart()
        for _ in range(2):  # let the event loop read the closed connection's EOF, as it
            await asleep(0)  # does between any two requests of an app
        # The pooled connection is dead and the script cache empty: both recover at once,
        # for writes too (the pool replaces a connection the server closed before use).
        await store.create(make_record(clock()))
        assert await store.get(kept.handle) == kept
        assert await store.get(revoked.handle) is None
        assert kept.handle in await store.list_for_user("public", "alice", now=clock())
    finally:
        await store.close()


async def test_a_cluster_that_is_down_is_storage_unavailable(
    half_cluster_url: str, namespace: str, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(half_cluster_url, namespace=namespace)
    try:
        with pytest.raises(StorageUnavailable) as info:
            await store.create(make_record(clock()))
        assert isinstance(info.value.__cause__, (RedisError, RedisClusterException))
        assert "slot" in str(info.value).lower()
    finally:
        await store.close()


async def test_cluster_buckets_spread_over_every_primary(
    node_of: Callable[[str], tuple[str, int]],
    primary_addresses: set[tuple[str, int]],
    namespace: str,
) -> None:
    prefixes = KeyLayout(namespace, 16).prefixes
    assert {node_of(prefix) for prefix in prefixes} == primary_addresses


async def test_unix_socket_url(
    unix_url: str, namespace: str, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(unix_url, namespace=namespace)
    record = make_record(clock())
    try:
        await store.create(record)
        assert await store.get(record.handle) == record
    finally:
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()


async def test_tls_url(
    tls_url: str, namespace: str, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(tls_url, namespace=namespace)
    record = make_record(clock())
    try:
        await store.create(record)
        assert await store.get(record.handle) == record
    finally:
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()


async def test_tls_refuses_a_server_it_cannot_verify(tls_url: str, namespace: str) -> None:
    unverified = tls_url.split("?")[0]  # no CA: the self-signed certificate is unknown
    store = AsyncRedisStore.from_url(unverified, namespace=namespace)
    try:
        with pytest.raises(StorageUnavailable) as info:
            await store.get("x")
        assert isinstance(info.value.__cause__, redis.ConnectionError)
    finally:
        await store.close()


async def test_a_closed_store_raises_storage_unavailable(url: str, namespace: str) -> None:
    store = AsyncRedisStore.from_url(url, namespace=namespace)
    await store.get("x")
    await store.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        await store.get("x")


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("expires_at", "soon"),
        ("expires_at", "1e999"),
        ("expires_at", "0x7fffffffffff"),
        ("version", "two"),
        ("rotated_at", "1.5"),
        ("session_data", "[1, 2]"),
        ("access_payload", '"text"'),
        # JSON objects that Lua's cjson reads and Python's json or the codec refuse
        ("session_data", '{"a":'),
        ("session_data", '{"n": 1e999}'),
        ("session_data", '{"n": 1' + "0" * 5000 + "}"),
        ("session_data", '{"a":' + "[" * 200 + "]" * 200 + "}"),
        ("session_data", '{"a": "\\ud800"}'),
        ("access_payload", '{"a": 0x10}'),
        ("access_payload", '{"a": 010}'),
        ("device", '{"a": NaN}'),
        ("device", '{"a": "tab\there"}'),
    ],
)
async def test_a_tampered_record_is_unreadable_for_reads_and_writes(
    store: AsyncRedisStore,
    raw: Any,
    layout: KeyLayout,
    clock: Clock,
    make_record: MakeRecord,
    field: str,
    text: str,
) -> None:
    record = make_record(clock())
    await store.create(record)
    key = layout.record(record.handle)
    raw.hset(key, field, text)
    before = raw.hgetall(key)
    with pytest.raises(StorageUnavailable, match="unreadable"):
        await store.get(record.handle)
    patch = SessionPatch(expires_at=clock() + timedelta(hours=2))
    with pytest.raises(StorageUnavailable, match="unreadable"):
        await store.update(record.handle, patch, expected_version=None, now=clock())
    assert raw.hgetall(key) == before, "a conditional write on a tampered record"
    raw.delete(key)  # delete_expired leaves a record whose expiry is unreadable


@pytest.mark.parametrize("field", [name for name in REQUIRED if name != "expires_at"])
async def test_an_update_refuses_a_record_missing_a_required_field(
    store: AsyncRedisStore,
    raw: Any,
    layout: KeyLayout,
    clock: Clock,
    make_record: MakeRecord,
    field: str,
) -> None:
    # (without expires_at a record reads as gone: the update returns None)
    record = make_record(clock(), absolute_deadline=clock() + timedelta(days=1))
    await store.create(record)
    key = layout.record(record.handle)
    raw.hdel(key, field)
    before = raw.hgetall(key)
    patch = SessionPatch(session_data={"n": 1})
    with pytest.raises(StorageUnavailable, match=f"unreadable.*{field} is missing"):
        await store.update(record.handle, patch, expected_version=None, now=clock())
    assert raw.hgetall(key) == before, "an update wrote to a record missing a field"
    raw.delete(key)


async def test_a_record_without_its_digest_is_checked_then_updated(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    # as an older driver wrote it: no digest, or one its own updates left stale
    record = make_record(clock())
    await store.create(record)
    key = layout.record(record.handle)
    digest = raw.hget(key, "sum")
    assert len(digest) == 40
    raw.hdel(key, "sum")
    patch = SessionPatch(session_data={"n": 1})
    updated = await store.update(record.handle, patch, expected_version=1, now=clock())
    assert updated == replace(record, session_data={"n": 1}, version=2)
    assert raw.hget(key, "sum") not in (None, digest)
    raw.hset(key, "session_data", '{"n":2}')  # a stale digest, sound data
    updated = await store.update(record.handle, patch, expected_version=2, now=clock())
    assert updated == replace(record, session_data={"n": 1}, version=3)


async def test_json_core_writes_at_its_edges_is_updated(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    # what the update script checks never refuses what core wrote
    data = {"big": 10**400, "max": 1.7976931348623157e308, "tiny": 5e-324, "neg": -0.5e-7}
    deep: dict[str, Any] = {}
    for _ in range(MAX_DEPTH - 1):
        deep = {"d": deep}
    text = {"é": '日本語 \U0001f600 \\ " \n \x00', 'k"': [True, False, None, 0, -0]}
    record = make_record(clock(), session_data=data, access_payload=deep, device=text)
    await store.create(record)
    raw.hdel(layout.record(record.handle), "sum")  # so that the update checks every field
    patch = SessionPatch(refresh_hash="b" * 64)
    updated = await store.update(record.handle, patch, expected_version=1, now=clock())
    assert updated == replace(record, refresh_hash="b" * 64, version=2)


async def test_a_record_written_before_devices_reads_device_as_empty(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    record = make_record(clock(), device={"user_agent": "Firefox 133 on Windows"})
    await store.create(record)
    key = layout.record(record.handle)
    assert raw.hget(key, "device") == '{"user_agent":"Firefox 133 on Windows"}'
    raw.hdel(key, "device")  # as protocol 3 wrote it
    old = replace(record, device={})
    assert await store.get(record.handle) == old
    assert await store.list_sessions_for_user("public", "alice", now=clock()) == [old]
    patch = SessionPatch(session_data={"n": 1})
    updated = await store.update(record.handle, patch, expected_version=1, now=clock())
    assert updated == replace(old, session_data={"n": 1}, version=2)
    patch = SessionPatch(device={"ip": "203.0.113.0"})
    updated = await store.update(record.handle, patch, expected_version=2, now=clock())
    assert updated is not None
    assert updated.device == {"ip": "203.0.113.0"}


async def test_listing_sessions_prunes_entries_of_records_gone(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    now = clock()
    kept, gone = make_record(now), make_record(now)
    for record in (kept, gone):
        await store.create(record)
    raw.delete(layout.record(gone.handle))  # as Redis's native expiry does
    assert await store.list_sessions_for_user("public", "alice", now=now) == [kept]
    assert _index_entries(raw, layout, ALICE) == {kept.handle}


async def test_delete_expired_stops_at_its_limit_across_batches(
    store: AsyncRedisStore, clock: Clock, make_record: MakeRecord
) -> None:
    now = clock()
    expired = [make_record(now - timedelta(hours=2)) for _ in range(300)]  # > one SCAN batch
    live = make_record(now)
    for record in [*expired, live]:
        await store.create(record)
    assert await store.delete_expired(now=now, limit=290) == 290
    assert await store.delete_expired(now=now, limit=290) == 10
    assert await store.delete_expired(now=now, limit=1) == 0
    assert await store.list_for_user("public", "alice", now=now) == [live.handle]


async def test_is_live_reads_three_fields_and_matches_exactly(
    store: AsyncRedisStore, raw: Any, layout: KeyLayout, clock: Clock, make_record: MakeRecord
) -> None:
    now = clock()
    record = make_record(now, ttl=timedelta(minutes=5))
    await store.create(record)
    assert await store.is_live(record.handle, tenant="public", user_id="alice", now=now)
    assert not await store.is_live(record.handle, tenant="public", user_id="Alice", now=now)
    assert not await store.is_live(record.handle, tenant="other", user_id="alice", now=now)
    later = record.expires_at
    assert not await store.is_live(record.handle, tenant="public", user_id="alice", now=later)
    raw.hset(layout.record(record.handle), "expires_at", "1e999")
    with pytest.raises(StorageUnavailable, match="unreadable"):
        await store.is_live(record.handle, tenant="public", user_id="alice", now=now)


@pytest.mark.disturbs_server
async def test_the_timeout_bounds_a_call_on_a_paused_server(
    redis_url: str, namespace: str, clock: Clock, make_record: MakeRecord
) -> None:
    store = AsyncRedisStore.from_url(f"{redis_url}?timeout=0.3", namespace=namespace)
    server = redis.Redis.from_url(redis_url)
    record = make_record(clock())
    try:
        await store.get(record.handle)
        server.client_pause(3_000, all=False)
        with pytest.raises(StorageUnavailable):
            await store.create(record)
    finally:
        server.client_unpause()
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()
        server.close()


async def test_ping_gets_an_answer_and_writes_nothing(
    store: AsyncRedisStore, servers: list[redis.Redis], namespace: str
) -> None:
    await store.ping()
    assert _namespace_keys(servers, namespace) == set()


async def test_ping_on_a_closed_port_names_the_cause(namespace: str) -> None:
    closed = AsyncRedisStore.from_url("redis://127.0.0.1:1/0", namespace=namespace)
    try:
        # "Connection refused" (sync) or "Connect call failed" (asyncio), errno 111
        refused = "failed to answer a PING: .*(refused|111)"
        with pytest.raises(StorageUnavailable, match=refused):
            await closed.ping()
    finally:
        await closed.close()
