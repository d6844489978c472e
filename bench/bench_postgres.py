"""Benchmark of the PostgreSQL driver, as ratios against baselines measured in the same run.

    python bench/bench_postgres.py [URL]     # default: $SESSIONJAR_POSTGRES_URL or the CI server

1. Each store operation, and the manager's refresh, against a raw psycopg ``SELECT 1``
   round trip on one connection (target <= 1.5x for single-statement operations). The
   same SQL run on the raw connection is shown too: the store's own overhead (pool,
   checks, record building) is the last column.
2. The latency of get, update and list with 1,000,000 stored sessions against the same
   with 10,000 (target <= 1.3x). The rows are made by one INSERT ... SELECT
   generate_series, not through the API, to keep the run short.

Everything runs in a schema of its own, dropped at the end. Medians of alternating rounds:
absolute numbers are noisy on a busy machine, the ratios much less so.
"""

from __future__ import annotations

import math
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from sessionjar import SessionManager, SessionPatch, SessionRecord, SigningKey
from sessionjar.codec import SESSION_FIELDS
from sessionjar_postgres._sql import Statements
from sessionjar_postgres.store import PostgresStore

DEFAULT_URL = "postgresql://sessionjar:sessionjar@127.0.0.1:5432/sessionjar"
CALLS = 200
ROUNDS = 7
SINGLE_STATEMENT = 1.5
SCALE = 1.3
SIZES = (10_000, 1_000_000)

Calls = tuple[Callable[[int], object] | None, ...]
Raw = psycopg.Connection[tuple[Any, ...]]


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def record(user_id: str = "alice") -> SessionRecord:
    """Return a fresh session record like the ones core creates."""
    created = now()
    return SessionRecord(
        handle=secrets.token_urlsafe(16),
        tenant="public",
        user_id=user_id,
        created_at=created,
        expires_at=created + timedelta(hours=1),
        absolute_deadline=None,
        access_payload={"role": "reader"},
        session_data={"cart": [1, 2, 3]},
        refresh_hash=secrets.token_hex(32),
        prev_refresh_hash=None,
        rotated_at=None,
    )


def per_call(func: Callable[[int], object]) -> float:
    """Return the mean time of one call of ``func(i)`` over ``CALLS`` calls, in seconds."""
    start = time.perf_counter()
    for index in range(CALLS):
        func(index)
    return (time.perf_counter() - start) / CALLS


def rounds(prepare: Callable[[], Calls]) -> list[float]:
    """Time every call of ``prepare()`` in alternating rounds; return their medians."""
    times: list[list[float]] = []
    for _ in range(ROUNDS):
        calls = prepare()
        times = times or [[] for _ in calls]
        for found, func in zip(times, calls, strict=True):
            found.append(per_call(func) if func else float("nan"))
    return [statistics.median(found) for found in times]


def operations(store: PostgresStore, raw: Raw, manager: SessionManager) -> Iterator[Any]:
    """Yield (name, single statement?, prepare) for every timed operation.

    ``prepare()`` returns three calls: the SELECT 1 baseline, the operation's own SQL on
    the raw connection (what psycopg alone costs, or `None`), and the store's operation.
    """
    sql_of = Statements(store.options.schema, store.options.namespace)

    def select_one(_: int) -> object:
        return raw.execute("SELECT 1").fetchone()

    def create() -> Calls:
        records = [record() for _ in range(2 * CALLS)]
        rows = [_row(each) for each in records[CALLS:]]
        return (
            select_one,
            lambda i: raw.execute(sql_of.create, rows[i]),
            lambda i: store.create(records[i]),
        )

    one, other = record("bob"), record("carol")
    store.create(one)
    store.create(other)
    patch = SessionPatch(session_data={"theme": "light"})
    version = [one.version]
    raw_update = sql_of.update(("session_data",), False, False)

    def compare_and_set(_: int) -> object:
        updated = store.update(one.handle, patch, expected_version=version[0], now=now())
        assert updated is not None
        version[0] = updated.version
        return updated

    def raw_set(_: int) -> object:
        params = (Jsonb({"theme": "light"}), other.handle, now())
        return raw.execute(raw_update, params).fetchone()

    def delete() -> Calls:
        records = [record() for _ in range(2 * CALLS)]
        for each in records:
            store.create(each)
        return (
            select_one,
            lambda i: raw.execute(sql_of.delete, ([records[CALLS + i].handle],)).fetchall(),
            lambda i: store.delete([records[i].handle]),
        )

    def refresh() -> Calls:
        token = [manager.create_session("alice").refresh_token or ""]

        def rotate(_: int) -> object:
            token[0] = manager.refresh_session(token[0]).refresh_token or ""
            return token[0]

        return select_one, None, rotate

    def get_one(_: int) -> object:
        return raw.execute(sql_of.get, (one.handle,)).fetchone()

    def list_one(_: int) -> object:
        return raw.execute(sql_of.list_for_user, ("public", "bob", now())).fetchall()

    def list_keys(_: int) -> object:
        return raw.execute(sql_of.list_signing_keys).fetchall()

    yield "create", True, create
    yield "get", True, lambda: (select_one, get_one, lambda i: store.get(one.handle))
    yield "update (CAS)", True, lambda: (select_one, raw_set, compare_and_set)
    yield (
        "list_for_user",
        True,
        lambda: (
            select_one,
            list_one,
            lambda i: store.list_for_user("public", "bob", now=now()),
        ),
    )
    yield "delete", True, delete
    yield (
        "list_signing_keys",
        True,
        lambda: (
            select_one,
            list_keys,
            lambda i: store.list_signing_keys(),
        ),
    )
    yield "refresh_session", False, refresh


def _row(each: SessionRecord) -> list[object]:
    """Return a record as the parameters of the store's INSERT."""
    row: list[object] = [getattr(each, name) for name in SESSION_FIELDS]
    row[6], row[7] = Jsonb(each.access_payload), Jsonb(each.session_data)
    return row


def fill(raw: Raw, store: PostgresStore, size: int) -> None:
    """Insert ``size`` sessions, ten per user, with one INSERT ... SELECT generate_series."""
    table = sql.Identifier(store.options.schema, f"{store.options.namespace}_sessions")
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
            f"h{rng.randrange(size)}", patch, expected_version=None, now=now()
        ),
        "list_for_user": lambda _: store.list_for_user(
            "public", f"u{rng.randrange(size // 10)}", now=now()
        ),
    }


def _pair(calls: list[dict[str, Callable[[int], object]]], name: str) -> Calls:
    return calls[0][name], calls[1][name]


def bench_scale(url: str, raw: Raw) -> bool:
    """Print latencies at 10,000 and 1,000,000 sessions; return whether targets were met."""
    small, large = (PostgresStore.from_url(url, f"scale{size}") for size in SIZES)
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
    store = PostgresStore.from_url(url, "ops")
    manager = SessionManager(PostgresStore.from_url(url, "ops"), keys=[SigningKey.generate()])
    met = True
    print(f"median of {ROUNDS} rounds of {CALLS} calls; baseline: raw psycopg SELECT 1")
    print(
        f"{'operation':<18} {'SELECT 1':>10} {'same SQL':>10} {'sessionjar':>11}"
        f" {'ratio':>7} {'target':>7} {'vs SQL':>7}"
    )
    try:
        for name, single, prepare in operations(store, raw, manager):
            baseline, same_sql, ours = rounds(prepare)
            ratio = ours / baseline
            target = f"{SINGLE_STATEMENT:.1f}x" if single else "-"
            met &= not single or ratio <= SINGLE_STATEMENT
            # refresh is a manager call of several statements: no single "same SQL"
            has_sql = not math.isnan(same_sql)
            sql_time = f"{same_sql * 1e6:>8.1f}us" if has_sql else f"{'-':>10}"
            vs_sql = f"{ours / same_sql:>6.2f}x" if has_sql else f"{'-':>7}"
            print(
                f"{name:<18} {baseline * 1e6:>8.1f}us {sql_time}"
                f" {ours * 1e6:>9.1f}us {ratio:>6.2f}x {target:>7} {vs_sql}"
            )
    finally:
        store.close()
        manager.close()
    return met


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
