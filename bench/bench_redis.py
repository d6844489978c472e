"""Benchmark of the Redis driver, as ratios against raw redis-py measured in the same run.

    python bench/bench_redis.py [URL ...]      # default: $SESSIONJAR_REDIS_URL and
                                               # $SESSIONJAR_REDIS_CLUSTER_URL, or the
                                               # servers of .ci/services/redis.sh

1. Each store operation against two raw redis-py round trips: the plain command
   ("cmd": HSET of the record, HGETALL, HSET of one field, DEL) and the same work done by
   hand in one MULTI round trip ("same work": create = HSET record, PEXPIRE, ZADD index,
   PEXPIRE; update = HSET field, HGETALL; revoke = DEL record, ZREM index). The manager's
   ``refresh_session`` (core: one conditional update, a signed token) against the raw
   HGETALL. Targets: <= 1.5x, and <= 2.5x for refresh, against "cmd".
   The liveness check behind ``get_session(check_database=True)``: ``is_live`` (one
   HMGET of three fields) and the manager's checked verify, both against the cheapest
   raw read ("cmd": HGET of one field; "same work": the HMGET by hand). Target: <= 1.5x.
2. References for reading the ratios. "floor": one EVALSHA of ``return 1`` on one key,
   the least any atomic multi-key operation costs through redis-py (for refresh: the
   same ``refresh_session`` on a ``memory://`` store, i.e. core alone). "script": the
   driver's own script for the operation, called through raw redis-py with arguments
   prepared beforehand and its reply left unparsed (for refresh: the update script with
   a rotation's patch), i.e. the Redis side of the operation without the driver's Python.
   For is_live and check, "floor" is a PING of the key's node and "script" is the
   unchecked ``get_session`` (core's verify alone, no I/O).
3. Memory per stored session: MEMORY USAGE of every key, summed over 10,000 sessions.

Every round runs each contender for CALLS calls, one after the other, so that all see
the same load; a ratio is the median over the rounds of the ratio within each round,
which cancels the slow and fast spells of a shared machine, shown with the quartiles of
those ratios and the same median ratio of this process's CPU time. Times are medians.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from sessionjar import SessionManager, SessionPatch, SessionRecord, SigningKey, open_store
from sessionjar.codec import session_to_row
from sessionjar_conformance.helpers import new_record, utc_now
from sessionjar_redis import _scripts
from sessionjar_redis._keys import KeyLayout, owner_tag
from sessionjar_redis._rows import native_ttl, record_json, update_args
from sessionjar_redis._url import parse_url
from sessionjar_redis.store import RedisStore

ROUNDS = 31
CALLS = 100
MEMORY_SESSIONS = 10_000
TARGETS = {"create": 1.5, "get": 1.5, "update": 1.5, "revoke": 1.5, "refresh": 2.5}
TARGETS |= {"is_live": 1.5, "check": 1.5}
LIVENESS_FIELDS = ("tenant", "user_id", "expires_at")
FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


def record(user_id: str = "alice", data_size: int = 0) -> SessionRecord:
    """Return a session record shaped like the ones core creates.

    Args:
        data_size: pad the session data with this many bytes.
    """
    return new_record(
        utc_now(),
        user_id=user_id,
        ttl=timedelta(days=30),
        access_payload={"role": "user", "plan": "pro"},
        session_data={"theme": "dark", "cart": [1, 2, 3], "pad": "x" * data_size},
    )


def raw_client(url: str) -> redis.Redis | redis.RedisCluster:
    """Return the plain redis-py client the baseline uses."""
    if "+cluster://" in url:
        return redis.RedisCluster.from_url(url.replace("+cluster", "", 1), decode_responses=True)
    return redis.Redis.from_url(url, decode_responses=True)


Sample = tuple[float, float]
"""The wall time and this process's CPU time of one call, in seconds."""


def per_call(func: Callable[[int], object]) -> Sample:
    """Return the times of one call of ``func(i)`` over ``CALLS`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(CALLS):
        func(index)
    return (time.perf_counter() - wall) / CALLS, (time.process_time() - cpu) / CALLS


Calls = tuple[Callable[[int], object], ...]
"""The contenders of one operation: raw command, same work, floor, script, sessionjar."""


def rounds(prepare: Callable[[], Calls]) -> list[list[Sample]]:
    """Time the calls ``prepare`` returns, each round in turn; return their times per round."""
    times: list[list[Sample]] = []
    for _ in range(ROUNDS):
        calls = prepare()
        times = times or [[] for _ in calls]
        for call, found in zip(calls, times, strict=True):
            found.append(per_call(call))
    return times


def ratios(ours: list[Sample], theirs: list[Sample], *, cpu: bool = False) -> list[float]:
    """Return the per-round ratios of two contenders' wall (or CPU) times."""
    return [a[cpu] / b[cpu] for a, b in zip(ours, theirs, strict=True)]


def ratio(ours: list[Sample], theirs: list[Sample], *, cpu: bool = False) -> float:
    """Return the median over the rounds of the ratio of two contenders within a round."""
    return statistics.median(ratios(ours, theirs, cpu=cpu))


def spread(values: list[float]) -> str:
    """Return the interquartile range of per-round ratios, as ``low-high``."""
    low, _, high = statistics.quantiles(values, n=4)
    return f"{low:.2f}-{high:.2f}"


class Scripts:
    """The driver's scripts, called through raw redis-py with arguments prepared beforehand."""

    def __init__(self, raw: Any, layout: KeyLayout) -> None:
        self._raw = raw
        self._layout = layout
        for script in (_scripts.CREATE, _scripts.GET, _scripts.UPDATE, _scripts.DELETE):
            raw.script_load(script.source)

    def create(self, records: list[SessionRecord]) -> Callable[[int], object]:
        """Return a call that creates ``records[i]``."""
        calls = []
        for each in records:
            owner = owner_tag(each.tenant, each.user_id)
            prefix = self._layout.prefix(each.handle)
            keys = [KeyLayout.record_in(prefix, each.handle), KeyLayout.index(prefix, owner)]
            ttl = native_ttl(each.expires_at, each.created_at)
            calls.append((*keys, ttl, record_json(each, owner)))
        return lambda i: self._raw.evalsha(_scripts.CREATE.sha, 2, *calls[i])

    def get(self, handle: str) -> Callable[[int], object]:
        """Return a call that reads the record of ``handle``."""
        key = self._layout.record(handle)
        return lambda i: self._raw.evalsha(_scripts.GET.sha, 1, key)

    def update(self, handle: str, patch: SessionPatch) -> Callable[[int], object]:
        """Return a call that applies ``patch`` to the record of ``handle``."""
        key = self._layout.record(handle)
        args = update_args(patch, now=utc_now(), expected_version=None, expected_refresh_hash=None)
        return lambda i: self._raw.evalsha(_scripts.UPDATE.sha, 1, key, args)

    def delete(self, records: list[SessionRecord]) -> Callable[[int], object]:
        """Return a call that deletes ``records[i]``."""
        keys = [self._layout.record(each.handle) for each in records]
        return lambda i: self._raw.evalsha(_scripts.DELETE.sha, 1, keys[i])


def operations(
    store: RedisStore,
    raw: Any,
    scripts: Scripts,
    manager: SessionManager,
    core_alone: SessionManager,
) -> Iterator[tuple[str, Any]]:
    """Yield (name, prepare) for every timed operation."""
    tag = f"{{bench-{secrets.token_hex(4)}}}:"  # one slot: raw MULTI works on a cluster too
    index = f"{tag}index"
    month_ms = 30 * 86_400_000
    trivial = raw.script_load("return 1")

    def floor(i: int) -> object:
        return raw.evalsha(trivial, 1, f"{tag}one")

    def by_hand(*commands: tuple[Any, ...]) -> object:
        pipe = raw.pipeline(transaction=True)
        for command in commands:
            pipe.execute_command(*command)
        return pipe.execute()

    def create() -> Calls:
        records = [record() for _ in range(CALLS)]
        rows = [[x for k, v in session_to_row(r).items() if v for x in (k, v)] for r in records]

        def raw_create(i: int) -> object:
            key = f"{tag}{records[i].handle}"
            return by_hand(
                ("HSET", key, *rows[i]),
                ("PEXPIRE", key, month_ms),
                ("ZADD", index, 1, records[i].handle),
                ("PEXPIRE", index, month_ms),
            )

        def raw_cmd(i: int) -> object:
            return raw.execute_command("HSET", f"{tag}{records[i].handle}", *rows[i])

        script = scripts.create([record() for _ in range(CALLS)])
        return raw_cmd, raw_create, floor, script, lambda i: store.create(records[i])

    one = record()
    store.create(one)
    raw.hset(f"{tag}one", mapping={k: v for k, v in session_to_row(one).items() if v})
    patch = SessionPatch(session_data={"theme": "light"})

    def get() -> Calls:
        def raw_get(i: int) -> object:
            return raw.hgetall(f"{tag}one")

        return raw_get, raw_get, floor, scripts.get(one.handle), lambda i: store.get(one.handle)

    def update() -> Calls:
        def raw_update(i: int) -> object:
            key = f"{tag}one"
            return by_hand(("HSET", key, "session_data", '{"theme":"light"}'), ("HGETALL", key))

        def raw_cmd(i: int) -> object:
            return raw.hset(f"{tag}one", "session_data", '{"theme":"light"}')

        def ours(i: int) -> object:
            return store.update(one.handle, patch, expected_version=None, now=utc_now())

        return raw_cmd, raw_update, floor, scripts.update(one.handle, patch), ours

    def revoke() -> Calls:
        records = [record() for _ in range(CALLS)]
        others = [record() for _ in range(CALLS)]
        for index_, each in enumerate(records):
            store.create(each)
            store.create(others[index_])
            raw.set(f"{tag}del{index_}", "x")

        def raw_revoke(i: int) -> object:
            return by_hand(("DEL", f"{tag}del{i}"), ("ZREM", index, records[i].handle))

        def raw_cmd(i: int) -> object:
            return raw.delete(f"{tag}del{i}")

        def ours(i: int) -> object:
            return store.delete([records[i].handle])

        return raw_cmd, raw_revoke, floor, scripts.delete(others), ours

    def refresh() -> Calls:
        def rotator(on: SessionManager) -> Callable[[int], object]:
            token = [on.create_session("alice").refresh_token or ""]

            def rotate(_: int) -> object:
                token[0] = on.refresh_session(token[0]).refresh_token or ""
                return token[0]

            return rotate

        def raw_get(i: int) -> object:
            return raw.hgetall(f"{tag}one")

        rotation = SessionPatch(
            expires_at=utc_now() + timedelta(days=30),
            refresh_hash=secrets.token_hex(32),
            prev_refresh_hash=secrets.token_hex(32),
            rotated_at=utc_now(),
        )
        script = scripts.update(one.handle, rotation)
        return raw_get, raw_get, rotator(core_alone), script, rotator(manager)

    def ping(i: int) -> object:
        if isinstance(raw, redis.RedisCluster):
            return raw.ping(target_nodes=raw.get_node_from_key(f"{tag}one"))  # type: ignore[no-untyped-call]
        return raw.ping()

    def raw_hget(i: int) -> object:
        return raw.hget(f"{tag}one", "expires_at")

    def raw_hmget(i: int) -> object:
        return raw.hmget(f"{tag}one", LIVENESS_FIELDS)

    def is_live() -> Calls:
        def ours(i: int) -> object:
            return store.is_live(one.handle, tenant="public", user_id="alice", now=utc_now())

        return raw_hget, raw_hmget, ping, raw_hmget, ours

    def check() -> Calls:
        token = manager.create_session("alice").access_token

        def unchecked(i: int) -> object:
            return manager.get_session(token)

        def ours(i: int) -> object:
            return manager.get_session(token, check_database=True)

        return raw_hget, raw_hmget, ping, unchecked, ours

    yield from [("create", create), ("get", get), ("update", update)]
    yield from [("revoke", revoke), ("refresh", refresh), ("is_live", is_live), ("check", check)]
    keys = [key for server in _servers(raw) for key in server.scan_iter(match=f"{tag}*")]
    for key in keys:
        raw.delete(key)


def _servers(raw: Any) -> list[Any]:
    if isinstance(raw, redis.RedisCluster):
        return [node.redis_connection for node in raw.get_primaries()]  # type: ignore[no-untyped-call]
    return [raw]


def memory_per_session(store: RedisStore, raw: Any, namespace: str, data_size: int) -> float:
    """Return the mean MEMORY USAGE of a session: its record and its share of indexes.

    Two sessions per user; the namespace is emptied first.
    """
    store.delete_expired(now=FAR_FUTURE)
    users = [f"user-{n % (MEMORY_SESSIONS // 2)}" for n in range(MEMORY_SESSIONS)]
    for user in users:
        store.create(record(user, data_size))
    total = 0
    for server in _servers(raw):
        for key in server.scan_iter(match=f"{{{namespace}*", count=1000):
            total += server.memory_usage(key, samples=0) or 0
    return total / MEMORY_SESSIONS


def bench(url: str) -> bool:
    """Print the tables for one server; return whether every target was met."""
    namespace = f"bench_{secrets.token_hex(4)}"
    store = RedisStore.from_url(url, namespace=namespace)
    raw = raw_client(url)
    key = SigningKey.generate("EdDSA")
    manager = SessionManager(RedisStore.from_url(url, namespace=namespace), keys=[key])
    core_alone = SessionManager(open_store("memory://"), keys=[key])
    layout = KeyLayout(namespace, parse_url(url).buckets)
    scripts = Scripts(raw, layout)
    met = True
    print(f"\n{url}: medians of {ROUNDS} rounds of {CALLS} calls")
    print(
        f"{'operation':<10} {'raw cmd':>9} {'same work':>10} {'floor':>9} {'script':>9}"
        f" {'sessionjar':>11} {'vs cmd':>7} {'IQR':>10} {'cpu':>6} {'vs work':>8}"
        f" {'floor/cmd':>10} {'script/cmd':>11} {'target':>7}"
    )
    try:
        for name, prepare in operations(store, raw, scripts, manager, core_alone):
            times = rounds(prepare)
            command, work, floor, script, ours = (
                statistics.median(wall for wall, _ in each) for each in times
            )
            vs_cmd, cpu = ratio(times[4], times[0]), ratio(times[4], times[0], cpu=True)
            met &= vs_cmd <= TARGETS[name]
            print(
                f"{name:<10} {command * 1e6:>7.1f}us {work * 1e6:>8.1f}us {floor * 1e6:>7.1f}us"
                f" {script * 1e6:>7.1f}us {ours * 1e6:>9.1f}us {vs_cmd:>6.2f}x"
                f" {spread(ratios(times[4], times[0])):>10} {cpu:>5.2f}x"
                f" {ratio(times[4], times[1]):>7.2f}x {ratio(times[2], times[0]):>9.2f}x"
                f" {ratio(times[3], times[0]):>10.2f}x {TARGETS[name]:>6.1f}x"
            )
        print(
            "floor: one EVALSHA of 'return 1' (refresh: core alone, memory://);"
            " script: the driver's script with prepared arguments, reply unparsed"
        )
        print(
            "is_live, check: cmd = HGET of one field, work = HMGET of three, floor = PING,"
            " script = get_session without check_database (verify alone)"
        )
        print("IQR: quartiles of the per-round ratios vs cmd; cpu: the same ratio of CPU time")
        store.delete_expired(now=FAR_FUTURE)
        for size in (0, 200):
            usage = memory_per_session(store, raw, namespace, size)
            print(
                f"memory: {usage:.0f} bytes per session (MEMORY USAGE summed over"
                f" {MEMORY_SESSIONS:,}; session data padded by {size} bytes)"
            )
    finally:
        store.delete_expired(now=FAR_FUTURE)
        raw.delete(layout.signing_keys)  # core's refresh secret never expires
        store.close()
        manager.close()
        core_alone.close()
        raw.close()
    return met


def main() -> int:
    """Benchmark every URL given (or the default test servers) that answers."""
    urls = sys.argv[1:] or [
        os.environ.get("SESSIONJAR_REDIS_URL", "redis://127.0.0.1:6379/0"),
        os.environ.get("SESSIONJAR_REDIS_CLUSTER_URL", "redis+cluster://127.0.0.1:7001"),
    ]
    met = True
    for url in urls:
        try:
            with raw_client(url) as probe:
                probe.ping()
        except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
            print(f"{url}: skipped, no server answers ({exc}); run bash .ci/services/redis.sh")
            continue
        met &= bench(url)
    print("\nevery target met" if met else "\nsome targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
