"""Benchmark of the MongoDB driver, as ratios against a raw pymongo ping in the same run.

    python bench/bench_mongodb.py [URL]    # default: $SESSIONJAR_MONGODB_URL, or the
                                           # FerretDB of .ci/services/mongodb.sh

Every store operation, in both flavours, and the manager's create, verify (with the
database check) and refresh, each against one ``ping`` round trip of a plain pymongo
client of the same flavour on the same server: the cost of one command that does no
work. A store operation sends one command (two for ``delete_expired``), so its ratio is
what the command's work and the driver's encoding add to the round trip.

Baseline and candidate run in alternating rounds; the table shows the median round.

The checked verify (``get_session(check_database=True)``, through ``is_live``) is also
measured against the cheapest read of a session, a raw ``find_one`` by ``_id`` with the
same client options: the median and quartiles of per-round ratios, CPU time beside wall
time (target: at most 1.5x).

On FerretDB v1 the stores' URL accepts its non-atomic updates
(``accept_non_atomic_updates=true``); the benchmark races nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import PyMongoError

from sessionjar import (
    SessionManager,
    SessionPatch,
    SessionRecord,
    SigningKey,
    SigningKeyRecord,
)
from sessionjar_conformance.helpers import new_record, utc_now
from sessionjar_mongodb._options import ACCEPT_NON_ATOMIC, parse_url
from sessionjar_mongodb.store import MongoStore
from sessionjar_mongodb.store_async import AsyncMongoStore

ROUNDS = 3
CALLS = 100
FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)

Call = Callable[[int], object]
ACall = Callable[[int], Awaitable[object]]


def record(user_id: str = "alice") -> SessionRecord:
    """Return a session record shaped like the ones core creates."""
    return new_record(
        utc_now(),
        user_id=user_id,
        ttl=timedelta(days=30),
        access_payload={"role": "user", "plan": "pro"},
        session_data={"theme": "dark", "cart": [1, 2, 3]},
    )


def per_call(func: Call) -> float:
    """Return the time of one call of ``func(i)`` over ``CALLS`` calls, in seconds."""
    start = time.perf_counter()
    for index in range(CALLS):
        func(index)
    return (time.perf_counter() - start) / CALLS


async def aper_call(func: ACall) -> float:
    """Return the time of one awaited call of ``func(i)`` over ``CALLS`` calls, in seconds."""
    start = time.perf_counter()
    for index in range(CALLS):
        await func(index)
    return (time.perf_counter() - start) / CALLS


Prepare = Callable[[], Call]
APrepare = Callable[[], Awaitable[ACall]]


def sync_operations(
    store: MongoStore, scratch: MongoStore, manager: SessionManager
) -> Iterator[tuple[str, Prepare]]:
    """Yield (name, prepare): ``prepare()`` sets up one round (untimed) and returns its call.

    ``store`` holds one session (and ten of its user's), read and updated in place
    (``update (rotate)`` is the write of a refresh: conditioned on the refresh hash);
    ``scratch`` is emptied before each round that creates or deletes, so every round
    meets a collection of the same small size.
    """
    one = record()
    for each in (one, *(record() for _ in range(9))):
        store.create(each)
    patch = SessionPatch(session_data={"theme": "light"})

    def create() -> Call:
        scratch.delete_expired(now=FAR_FUTURE)
        records = [record() for _ in range(CALLS)]
        return lambda i: scratch.create(records[i])

    def delete() -> Call:
        scratch.delete_expired(now=FAR_FUTURE)
        records = [record() for _ in range(CALLS)]
        for each in records:
            scratch.create(each)
        return lambda i: scratch.delete([records[i].handle])

    def add_key() -> Call:
        scratch.delete_expired(now=FAR_FUTURE)
        return lambda i: scratch.add_signing_key(signing_key())

    version = [0]

    def compare_and_set(_: int) -> object:
        updated = store.update(one.handle, patch, expected_version=version[0], now=utc_now())
        assert updated is not None
        version[0] = updated.version
        return updated

    def read_version() -> Call:
        current = store.get(one.handle)
        assert current is not None
        version[0] = current.version
        return compare_and_set

    current_hash = [one.refresh_hash]

    def rotate(_: int) -> object:
        moment, child = utc_now(), secrets.token_hex(32)
        rotation = SessionPatch(
            expires_at=moment + timedelta(days=30),
            refresh_hash=child,
            prev_refresh_hash=current_hash[0],
            rotated_at=moment,
        )
        updated = store.update(
            one.handle,
            rotation,
            expected_version=None,
            expected_refresh_hash=current_hash[0],
            now=moment,
        )
        assert updated is not None
        current_hash[0] = child
        return updated

    yield "create", create
    yield "get", lambda: lambda i: store.get(one.handle)
    yield (
        "is_live",
        lambda: (
            lambda i: store.is_live(one.handle, tenant="public", user_id="alice", now=utc_now())
        ),
    )
    yield (
        "update",
        lambda: lambda i: store.update(one.handle, patch, expected_version=None, now=utc_now()),
    )
    yield "update (CAS)", read_version
    yield "update (rotate)", lambda: rotate
    yield "list_for_user", lambda: lambda i: store.list_for_user("public", "alice", now=utc_now())
    yield "delete", delete
    yield "delete_expired", lambda: lambda i: store.delete_expired(now=utc_now())
    yield "add_signing_key", add_key
    yield from manager_operations(manager)


def manager_operations(manager: SessionManager) -> Iterator[tuple[str, Prepare]]:
    """Yield the manager's create, verify (with the database check) and refresh."""
    session = manager.create_session("bob")
    refresh = [session.refresh_token or ""]

    def rotate(_: int) -> object:
        refresh[0] = manager.refresh_session(refresh[0]).refresh_token or ""
        return refresh[0]

    def verify() -> Call:
        return lambda i: manager.get_session(session.access_token, check_database=True)

    def create() -> Call:
        manager.revoke_all_sessions_for_user("carol")
        return lambda i: manager.create_session("carol")

    yield "manager.verify", verify
    yield "manager.refresh", lambda: rotate
    yield "manager.create", create


def signing_key() -> SigningKeyRecord:
    """Return a signing-key record shaped like the automatic keys core stores."""
    created = utc_now()
    return SigningKeyRecord(
        kid=secrets.token_urlsafe(12),
        algorithm="EdDSA",
        private_jwk={"kty": "OKP", "crv": "Ed25519", "x": "x" * 43, "d": "d" * 43},
        created_at=created,
        not_before=created,
        expires_at=created + timedelta(days=2),
    )


def run_sync(url: str, namespace: str) -> list[tuple[str, float, float]]:
    """Time the sync operations against sync pings; return (name, ping, ours) medians."""
    store = MongoStore.from_url(store_url(url), namespace=namespace)
    scratch = MongoStore.from_url(store_url(url), namespace=f"{namespace}_scratch")
    manager_store = MongoStore.from_url(store_url(url), namespace=f"{namespace}_manager")
    manager = SessionManager(manager_store, keys=[SigningKey.generate("EdDSA")])
    raw: MongoClient[dict[str, Any]] = MongoClient(url)
    results = []
    try:
        for name, prepare in sync_operations(store, scratch, manager):
            pings, ours = [], []
            for _ in range(ROUNDS):
                call = prepare()
                pings.append(per_call(lambda i: raw.admin.command("ping")))
                ours.append(per_call(call))
            results.append((name, statistics.median(pings), statistics.median(ours)))
    finally:
        for each in (store, scratch, manager_store):
            each.delete_expired(now=FAR_FUTURE)
        store.close()
        scratch.close()
        manager.close()
        raw.close()
    return results


async def run_async(url: str, namespace: str) -> list[tuple[str, float, float]]:
    """Time the async store operations against async pings; return the medians."""
    store = AsyncMongoStore.from_url(store_url(url), namespace=namespace)
    raw: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    one = record()
    await store.create(one)
    patch = SessionPatch(session_data={"theme": "light"})
    handles: list[str] = []

    async def create() -> ACall:
        await store.delete([*handles])
        records = [record() for _ in range(CALLS)]
        handles[:] = [each.handle for each in records]
        return lambda i: store.create(records[i])

    async def delete() -> ACall:
        await store.delete([*handles])
        records = [record() for _ in range(CALLS)]
        for each in records:
            await store.create(each)
        return lambda i: store.delete([records[i].handle])

    async def get() -> ACall:
        return lambda i: store.get(one.handle)

    async def update() -> ACall:
        return lambda i: store.update(one.handle, patch, expected_version=None, now=utc_now())

    prepares: list[tuple[str, APrepare]] = [
        ("create", create), ("get", get), ("update", update), ("delete", delete)
    ]  # fmt: skip
    results = []
    try:
        for name, prepare in prepares:
            pings, ours = [], []
            for _ in range(ROUNDS):
                call = await prepare()
                pings.append(await aper_call(lambda i: raw.admin.command("ping")))
                ours.append(await aper_call(call))
            results.append((name, statistics.median(pings), statistics.median(ours)))
    finally:
        await store.delete_expired(now=FAR_FUTURE)
        await store.close()
        await raw.close()
    return results


@dataclass(frozen=True)
class Ratio:
    """Per-round ratios of a candidate to its baseline: median and quartiles, wall and CPU."""

    wall: float
    low: float
    high: float
    cpu: float


def timed(func: Call) -> tuple[float, float]:
    """Return the wall and CPU time of one call of ``func(i)`` over ``CALLS`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(CALLS):
        func(index)
    return (time.perf_counter() - wall) / CALLS, (time.process_time() - cpu) / CALLS


def ratio(baseline: Call, candidate: Call, rounds: int = 15) -> Ratio:
    """Time both in alternating rounds; return the per-round ratios' median and quartiles."""
    walls, cpus = [], []
    for _ in range(rounds):
        base_wall, base_cpu = timed(baseline)
        wall, cpu = timed(candidate)
        walls.append(wall / base_wall)
        cpus.append(cpu / base_cpu)
    low, mid, high = statistics.quantiles(walls, n=4)
    return Ratio(wall=mid, low=low, high=high, cpu=statistics.median(cpus))


def checked_verify(url: str, namespace: str) -> None:
    """Print is_live and the checked verify against one raw ``find_one`` by ``_id``."""
    store = MongoStore.from_url(store_url(url), namespace=namespace)
    manager = SessionManager(store, keys=[SigningKey.generate("EdDSA")])
    session = manager.create_session("dave")
    raw: MongoClient[dict[str, Any]] = MongoClient(url, tz_aware=True)
    sessions = raw[parse_url(url).database][f"{namespace}.sessions"]
    try:
        rows = {
            "is_live": lambda i: store.is_live(
                session.handle, tenant="public", user_id="dave", now=utc_now()
            ),
            "verify (check_database)": lambda i: manager.get_session(
                session.access_token, check_database=True
            ),
        }
        print(f"\nchecked verify: {CALLS} calls a round, baseline raw find_one by _id")
        print(f"{'operation':<24} {'wall ratio':>10} {'(q1-q3)':>13} {'CPU ratio':>10}")
        for name, call in rows.items():
            found = ratio(lambda i: sessions.find_one({"_id": session.handle}), call)
            spread = f"{found.low:.2f}-{found.high:.2f}"
            print(f"{name:<24} {found.wall:>9.2f}x {spread:>13} {found.cpu:>9.2f}x")
    finally:
        store.delete_expired(now=FAR_FUTURE)
        manager.close()
        raw.close()


def store_url(url: str) -> str:
    """Return the stores' URL: the server's, accepting FerretDB v1's non-atomic updates."""
    return f"{url}{'&' if '?' in url else '?'}{ACCEPT_NON_ATOMIC}=true"


def report(flavour: str, results: list[tuple[str, float, float]]) -> None:
    """Print one flavour's table."""
    print(f"\n{flavour}: median of {ROUNDS} rounds of {CALLS} calls")
    print(f"{'operation':<16} {'ping':>9} {'sessionjar':>11} {'ratio':>7}")
    for name, ping, ours in results:
        print(f"{name:<16} {ping * 1e6:>7.0f}us {ours * 1e6:>9.0f}us {ours / ping:>6.2f}x")


def main() -> int:
    """Benchmark the server at the URL given, if it answers."""
    url = (
        sys.argv[1:] or [os.environ.get("SESSIONJAR_MONGODB_URL", "mongodb://127.0.0.1:27017/")]
    )[0]
    try:
        probe: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=2000)
        with probe:
            build = probe.admin.command("buildInfo")
    except PyMongoError as exc:
        print(f"{url}: skipped, no server answers ({exc}); run bash .ci/services/mongodb.sh")
        return 0
    server = f"FerretDB {build['ferretdbVersion']}" if "ferretdbVersion" in build else "MongoDB"
    print(f"{url}: {server} {build.get('version', '')}")
    namespace = f"bench_{secrets.token_hex(4)}"
    report("sync", run_sync(url, namespace))
    report("async", asyncio.run(run_async(url, namespace)))
    checked_verify(url, f"{namespace}_verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
