"""A store fails closed while its server is down and recovers when it returns (async version).

These tests stop and start a throwaway cluster of their own (`fix_cluster`), never the
shared test server.
"""

from __future__ import annotations

import time

import pytest
from fix_cluster import Cluster
from fix_server import with_options

from sessionjar import StorageUnavailable
from sessionjar_conformance.helpers import new_record, utc_now
from sessionjar_postgres.store_async import AsyncPostgresStore


async def test_fails_closed_while_the_server_is_down_then_recovers(cluster: Cluster) -> None:
    # timeout: the longest a call waits, here for the pool's next reconnection attempt.
    url = with_options(cluster.url, timeout=4, connect_timeout=1)
    store = AsyncPostgresStore.from_url(url, namespace="recovery")
    record, later = new_record(utc_now()), new_record(utc_now())
    try:
        await store.create(record)
        cluster.stop()
        with pytest.raises(StorageUnavailable):
            await store.get(record.handle)
        with pytest.raises(StorageUnavailable):
            await store.create(later)
        cluster.start()
        assert await store.get(record.handle) == record
        assert await store.get(later.handle) is None
        await store.create(later)
        assert await store.get(later.handle) == later
    finally:
        await store.close()


async def test_connections_closed_by_a_restart_are_replaced_without_an_error(
    cluster: Cluster,
) -> None:
    url = with_options(cluster.url, pool_min_size=2, timeout=5)
    store = AsyncPostgresStore.from_url(url, namespace="restart")
    record = new_record(utc_now())
    try:
        await store.create(record)
        cluster.stop()
        cluster.start()
        # The pool still holds the connections the old server closed: none may fail.
        for _ in range(3):
            assert await store.get(record.handle) == record
    finally:
        await store.close()


async def test_calls_on_a_killed_server_fail_within_the_timeout_then_recover(
    cluster: Cluster,
) -> None:
    url = with_options(cluster.url, pool_min_size=2, timeout=2, connect_timeout=2)
    store = AsyncPostgresStore.from_url(url, namespace="killed")
    record = new_record(utc_now())
    try:
        await store.create(record)
        cluster.kill()
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                await store.get(record.handle)
            assert time.monotonic() - started <= 3
        cluster.start()
        assert await store.get(record.handle) == record
    finally:
        await store.close()
