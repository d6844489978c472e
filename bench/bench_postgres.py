"""Benchmark of the PostgreSQL driver, as ratios against baselines measured in the same run.

    python bench/bench_postgres.py [URL]     # default: $SESSIONJAR_POSTGRES_URL or the CI server

1. Each store operation, and the manager's refresh, against a raw psycopg ``SELECT 1``
   round trip on one connection (target <= 1.5x for single-statement operations). The
   same SQL run on the raw connection is shown too: the store's own overhead (pool,
   checks, record building) is ``vs SQL``. Each is also shown against the cheapest
   statement of its kind PostgreSQL runs (`Floors`), so that ``vs floor`` says how
   close it gets to what the server itself costs.
2. The latency of get, update and list with 1,000,000 stored sessions against the same
   with 10,000 (target <= 1.3x). The rows are made by one INSERT ... SELECT
   generate_series, not through the API, to keep the run short.

Everything runs in a schema of its own, dropped at the end. Medians of alternating rounds:
absolute numbers are noisy on a busy machine, the ratios much less so.
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any, cast

import psycopg
from psycopg import sql

from sessionjar import SessionManager, SessionPatch, SessionRecord, SigningKey, Store
from sessionjar.codec import JSON_FIELDS, SESSION_FIELDS
from sessionjar_conformance.helpers import new_record, utc_now
from sessionjar_postgres._sql import Statements
from sessionjar_postgres.store import PostgresStore

DEFAULT_URL = "postgresql://sessionjar:sessionjar@127.0.0.1:5432/sessionjar"
CALLS = 50
ROUNDS = 21
SINGLE_STATEMENT = 1.5
SCALE = 1.3
SIZES = (10_000, 1_000_000)
# The fields a refresh sets, in `SessionPatch` order.
ROTATED = ("expires_at", "refresh_hash", "prev_refresh_hash", "rotated_at")

Call = Callable[[int], object]
Calls = tuple[Call | None, ...]
Raw = psycopg.Connection[tuple[Any, ...]]


def record(user_id: str = "alice") -> SessionRecord:
    """Return a fresh session record like the ones core creates."""
    return new_record(utc_now(), user_id=user_id)


def per_call(func: Call) -> float:
    """Return the mean time of one call of ``func(i)`` over ``CALLS`` calls, in seconds."""
    start = time.perf_counter()
    for index in range(CALLS):
        func(index)
    return (time.perf_counter() - start) / CALLS


def rounds(prepare: Callable[[], Calls]) -> list[float]:
    """Time every call of ``prepare()`` in alternating rounds; return their medians.

    Short rounds, many of them: load elsewhere on the machine comes and goes in bursts,
    and a burst then moves a few rounds, not the median.
    """
    times: list[list[float]] = []
    for _ in range(ROUNDS):
        calls = prepare()
        times = times or [[] for _ in calls]
        for found, func in zip(times, calls, strict=True):
            found.append(per_call(func) if func else math.nan)
    return [statistics.median(found) for found in times]


class Floors:
    """The cheapest statement of each kind PostgreSQL runs, on minimal tables.

    SELECT: one integer by integer primary key of a two-column table. INSERT: one text
    value into a table without index. UPDATE: ``n = n + 1`` by primary key in the
    two-column table. DELETE: one row by integer primary key of a table of the same
    shape. A store's operation of the same kind costs at least as much.
    """

    def __init__(self, raw: Raw, schema: str) -> None:
        self.raw = raw
        inserted, updated, deleted = (
            sql.Identifier(schema, name)
            for name in ("floor_insert", "floor_update", "floor_delete")
        )
        raw.execute(sql.SQL("CREATE TABLE {} (id text)").format(inserted))
        for table in (updated, deleted):
            raw.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, n int)").format(table))
        raw.execute(sql.SQL("INSERT INTO {} VALUES (1, 0)").format(updated))
        self._insert = sql.SQL("INSERT INTO {} VALUES (%s)").format(inserted).as_bytes()
        self._update = sql.SQL("UPDATE {} SET n = n + 1 WHERE id = %s").format(updated).as_bytes()
        self._select = sql.SQL("SELECT n FROM {} WHERE id = %s").format(updated).as_bytes()
        self._fill = sql.SQL(
            "INSERT INTO {} SELECT i, 0 FROM generate_series(%s::int, %s::int) AS i"
        ).format(deleted)
        self._delete = sql.SQL("DELETE FROM {} WHERE id = %s").format(deleted).as_bytes()
        self._next = 0

    def select(self, _: int) -> object:
        return self.raw.execute(self._select, (1,)).fetchone()

    def insert(self, _: int) -> object:
        return self.raw.execute(self._insert, ("x",))

    def update(self, _: int) -> object:
        return self.raw.execute(self._update, (1,))

    def delete(self) -> Call:
        """Insert ``CALLS`` rows; return the call that deletes the i-th of them."""
        first = self._next
        self._next += CALLS
        self.raw.execute(self._fill, (first, self._next - 1))
        return lambda i: self.raw.execute(self._delete, (first + i,))


class CountedStore:
    """A store that counts the calls made to each of its methods."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.store, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


class Chain:
    """A session whose refresh hash moves on at every call, as refreshes move it."""

    def __init__(self, handle: str, refresh_hash: str) -> None:
        self.handle = handle
        self.current = refresh_hash

    def rotate(self) -> tuple[SessionPatch, str]:
        """Return the next refresh's patch and the refresh hash it expects."""
        moment, presented = utc_now(), self.current
        self.current = secrets.token_hex(32)
        patch = SessionPatch(
            expires_at=moment + timedelta(hours=1),
            refresh_hash=self.current,
            prev_refresh_hash=presented,
            rotated_at=moment,
        )
        return patch, presented


def operations(
    store: PostgresStore, raw: Raw, manager: SessionManager, floors: Floors
) -> Iterator[Any]:
    """Yield (name, target or `None`, prepare) for every timed operation.

    ``prepare()`` returns four calls: the SELECT 1 baseline, the cheapest statement of
    the same kind (`Floors`), the operation's own SQL on the raw connection (what
    psycopg alone costs, or `None`), and the store's operation.
    """
    sql_of = Statements(store.options.schema, "ops")

    def select_one(_: int) -> object:
        return raw.execute("SELECT 1").fetchone()

    def create() -> Calls:
        records = [record() for _ in range(2 * CALLS)]
        rows = [_row(each) for each in records[CALLS:]]
        return (
            select_one,
            floors.insert,
            lambda i: raw.execute(sql_of.create, rows[i]),
            lambda i: store.create(records[i]),
        )

    one, other, third, fourth = (record(name) for name in ("bob", "carol", "dave", "erin"))
    for each in (one, other, third, fourth):
        store.create(each)
    patch = SessionPatch(session_data={"theme": "light"})
    version = [one.version]
    raw_update = sql_of.update(("session_data",), False, False)

    def compare_and_set(_: int) -> object:
        updated = store.update(one.handle, patch, expected_version=version[0], now=utc_now())
        assert updated is not None
        version[0] = updated.version
        return updated

    def raw_set(_: int) -> object:
        params = (json.dumps({"theme": "light"}), other.handle, utc_now())
        return raw.execute(raw_update, params).fetchone()

    ours, theirs = (
        Chain(third.handle, third.refresh_hash),
        Chain(fourth.handle, fourth.refresh_hash),
    )
    raw_rotate = sql_of.update(ROTATED, False, True)

    def rotate(_: int) -> object:
        patch, presented = ours.rotate()
        updated = store.update(
            ours.handle,
            patch,
            expected_version=None,
            now=utc_now(),
            expected_refresh_hash=presented,
        )
        assert updated is not None
        return updated

    def raw_rotate_call(_: int) -> object:
        patch, presented = theirs.rotate()
        changes = list(patch.changes().values())
        params = [*changes, theirs.handle, utc_now(), presented, patch.expires_at]
        return raw.execute(raw_rotate, params).fetchone()

    def delete() -> Calls:
        records = [record() for _ in range(2 * CALLS)]
        for each in records:
            store.create(each)
        return (
            select_one,
            floors.delete(),
            lambda i: raw.execute(sql_of.delete_one, (records[CALLS + i].handle,)).fetchall(),
            lambda i: store.delete([records[i].handle]),
        )

    def refresh() -> Calls:
        token = [manager.create_session("alice").refresh_token or ""]

        def refresh_session(_: int) -> object:
            token[0] = manager.refresh_session(token[0]).refresh_token or ""
            return token[0]

        return select_one, floors.update, None, refresh_session

    def get_one(_: int) -> object:
        return raw.execute(sql_of.get, (one.handle,)).fetchone()

    def list_one(_: int) -> object:
        return raw.execute(sql_of.list_for_user, ("public", "bob", utc_now())).fetchall()

    def list_keys(_: int) -> object:
        return raw.execute(sql_of.list_signing_keys).fetchall()

    target = SINGLE_STATEMENT
    yield "create", target, create
    yield (
        "get",
        target,
        lambda: (select_one, floors.select, get_one, lambda i: store.get(one.handle)),
    )
    yield "update (CAS)", target, lambda: (select_one, floors.update, raw_set, compare_and_set)
    yield (
        "list_for_user",
        target,
        lambda: (
            select_one,
            floors.select,
            list_one,
            lambda i: store.list_for_user("public", "bob", now=utc_now()),
        ),
    )
    yield "delete", target, delete
    yield (
        "list_signing_keys",
        target,
        lambda: (select_one, floors.select, list_keys, lambda i: store.list_signing_keys()),
    )
    # No target in issue #5: the refresh's one store call, then the whole manager call.
    yield "update (refresh)", None, lambda: (select_one, floors.update, raw_rotate_call, rotate)
    yield "refresh_session", None, refresh
    yield from checked_verify(store, raw, floors, sql_of, select_one)


def checked_verify(
    store: PostgresStore, raw: Raw, floors: Floors, sql_of: Statements, select_one: Call
) -> Iterator[Any]:
    """Yield is_live and ``get_session(check_database=True)`` (issue 11: <= 1.5x a raw
    read round trip), on a manager of their own so that the refresh's call count holds."""
    verifier = SessionManager(store, keys=[SigningKey.generate()])
    session = verifier.create_session("frank")
    live = (session.handle, "public", "frank")

    def raw_is_live(_: int) -> object:
        return raw.execute(sql_of.is_live, (*live, utc_now())).fetchone()

    def is_live(_: int) -> object:
        return store.is_live(session.handle, tenant="public", user_id="frank", now=utc_now())

    def verify(_: int) -> object:
        return verifier.get_session(session.access_token, check_database=True)

    yield "is_live", SINGLE_STATEMENT, lambda: (select_one, floors.select, raw_is_live, is_live)
    yield "verify (checked)", SINGLE_STATEMENT, lambda: (select_one, floors.select, None, verify)


def _row(each: SessionRecord) -> list[object]:
    """Return a record as the parameters of the store's INSERT."""
    values = ((name, getattr(each, name)) for name in SESSION_FIELDS)
    return [json.dumps(value) if name in JSON_FIELDS else value for name, value in values]


def fill(raw: Raw, store: PostgresStore, size: int) -> None:
    """Insert ``size`` sessions, ten per user, with one INSERT ... SELECT generate_series."""
    table = sql.Identifier(store.options.schema, f"scale{size}_sessions")
    raw.execute(
        sql.SQL(
            "INSERT INTO {} SELECT 'h' || i, 'public', 'u' || (i / 10), now(),"
            " now() + interval '1 hour', NULL, '{{\"role\": \"reader\"}}',"
            " '{{\"cart\": [1, 2, 3]}}', md5(i::text), NULL, NULL, 1"
            " FROM generate_series(0, %s::int - 1) AS i"
        ).format(table),
        (size,),
    )
    raw.execute(sql.SQL("ANALYZE {}").format(table))


def scaled_calls(store: PostgresStore, size: int) -> dict[str, Callable[[int], object]]:
    """Return get, update and list over random sessions of a store holding ``size``."""
    rng = random.Random(size)
    patch = SessionPatch(session_data={"seen": True})
    return {
        "get": lambda _: store.get(f"h{rng.randrange(size)}"),
        "update": lambda _: store.update(
            f"h{rng.randrange(size)}", patch, expected_version=None, now=utc_now()
        ),
        "list_for_user": lambda _: store.list_for_user(
            "public", f"u{rng.randrange(size // 10)}", now=utc_now()
        ),
    }


def _pair(calls: list[dict[str, Callable[[int], object]]], name: str) -> Calls:
    return calls[0][name], calls[1][name]


def bench_scale(url: str, raw: Raw) -> bool:
    """Print latencies at 10,000 and 1,000,000 sessions; return whether targets were met."""
    small, large = (PostgresStore.from_url(url, namespace=f"scale{size}") for size in SIZES)
    met = True
    try:
        for store, size in zip((small, large), SIZES, strict=True):
            store.migrate()
            started = time.perf_counter()
            fill(raw, store, size)
            print(f"stored {size:,} sessions in {time.perf_counter() - started:.1f} s")
        calls = [
            scaled_calls(store, size) for store, size in zip((small, large), SIZES, strict=True)
        ]
        print(f"{'operation':<18} {'10,000':>10} {'1,000,000':>11} {'ratio':>7} {'target':>7}")
        for name in calls[0]:
            few, many = rounds(partial(_pair, calls, name))
            ratio = many / few
            met &= ratio <= SCALE
            print(
                f"{name:<18} {few * 1e6:>8.1f}us {many * 1e6:>9.1f}us"
                f" {ratio:>6.2f}x {SCALE:>6.1f}x"
            )
    finally:
        small.close()
        large.close()
    return met


def bench_operations(url: str, raw: Raw) -> bool:
    """Print the table of operations against SELECT 1; return whether targets were met."""
    store = PostgresStore.from_url(url, namespace="ops")
    store.migrate()
    counted = CountedStore(PostgresStore.from_url(url, namespace="ops"))
    manager = SessionManager(cast(Store, counted), keys=[SigningKey.generate()])
    floors = Floors(raw, store.options.schema)
    met = True
    print(f"median of {ROUNDS} rounds of {CALLS} calls; baseline: raw psycopg SELECT 1")
    print(
        f"{'operation':<18} {'SELECT 1':>10} {'floor':>10} {'same SQL':>10} {'sessionjar':>11}"
        f" {'ratio':>7} {'target':>7} {'vs floor':>8} {'vs SQL':>7}"
    )
    try:
        for name, target, prepare in operations(store, raw, manager, floors):
            baseline, floor, same_sql, ours = rounds(prepare)
            ratio = ours / baseline
            met &= target is None or ratio <= target
            aim = f"{target:.1f}x" if target else "-"
            print(
                f"{name:<18} {baseline * 1e6:>8.1f}us {_time(floor)} {_time(same_sql)}"
                f" {ours * 1e6:>9.1f}us {ratio:>6.2f}x {aim:>7}"
                f" {_times(ours, floor):>8} {_times(ours, same_sql):>7}"
            )
    finally:
        store.close()
        manager.close()
    per_refresh = {
        method: count / (ROUNDS * CALLS)
        for method, count in counted.calls.items()
        if method not in ("create", "close")  # the sessions refreshed, and the end
    }
    calls = ", ".join(f"{method} {count:.3f}" for method, count in sorted(per_refresh.items()))
    print(f"store calls per refresh_session: {calls}")
    print("floor: the cheapest SELECT, INSERT, UPDATE or DELETE PostgreSQL runs (see Floors)")
    return met


def _time(seconds: float) -> str:
    """Return a time in microseconds in a column of 10, or ``-`` if not measured."""
    return f"{'-':>10}" if math.isnan(seconds) else f"{seconds * 1e6:>8.1f}us"


def _times(ours: float, reference: float) -> str:
    """Return ``ours / reference`` as ``1.23x``, or ``-`` if the reference was not measured."""
    return "-" if math.isnan(reference) else f"{ours / reference:.2f}x"


def main() -> int:
    """Benchmark the server at the URL given (or the default test server), if it answers."""
    server = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "SESSIONJAR_POSTGRES_URL", DEFAULT_URL
    )  # fmt: skip
    try:
        raw = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"{server}: skipped, no server answers ({exc}); run bash .ci/services/postgres.sh")
        return 0
    schema = f"sjbench_{secrets.token_hex(4)}"
    url = f"{server}{'&' if '?' in server else '?'}schema={schema}"
    try:
        met = bench_operations(url, raw)
        print()
        met &= bench_scale(url, raw)
    finally:
        raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        raw.close()
    print("\nevery target met" if met else "\nsome targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
