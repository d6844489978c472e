"""Each protocol operation sends one statement on its success path (async version).

Counted on the server: a throwaway cluster logs every statement it runs.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fix_cluster import Cluster

from sessionjar import SessionPatch
from sessionjar_conformance._acompat import afixture
from sessionjar_conformance.helpers import new_record, new_signing_key, utc_now
from sessionjar_postgres.store_async import AsyncPostgresStore

# One line per statement run: simple queries log "statement:", prepared ones "execute".
STATEMENT = re.compile(r"LOG:  (statement|execute [^:]*): ")


@afixture
async def store(statement_log_cluster: Cluster) -> AsyncIterator[AsyncPostgresStore]:
    opened = AsyncPostgresStore.from_url(statement_log_cluster.url, namespace="counted")
    await opened.get("warm-up")  # connects and migrates
    yield opened
    await opened.close()


async def statements(cluster: Cluster, target: Any, method: str, *args: Any) -> int:
    """Call ``target.method(*args)``; return how many statements the server logged meanwhile."""
    start = cluster.log.stat().st_size
    await getattr(target, method)(*args)
    with cluster.log.open() as log:
        log.seek(start)
        return len([line for line in log if STATEMENT.search(line)])


# repeat=6: psycopg prepares a statement on its sixth run.
@pytest.mark.parametrize("repeat", [1, 6])
async def test_every_operation_is_one_statement(
    store: AsyncPostgresStore, statement_log_cluster: Cluster, repeat: int
) -> None:
    for _ in range(repeat):
        record, key, moment = new_record(utc_now()), new_signing_key(utc_now()), utc_now()
        patch = SessionPatch(session_data={"n": 1})
        calls: list[tuple[str, tuple[Any, ...]]] = [
            ("create", (record,)),
            ("get", (record.handle,)),
            ("update_cas", (record.handle, patch)),
            ("list_for_user", ("public", "alice", moment)),
            ("list_sessions_for_user", ("public", "alice", moment)),
            ("delete_for_user", ("public", "nobody")),
            ("delete", ([record.handle],)),
            ("add_signing_key", (key,)),
            ("list_signing_keys", ()),
        ]
        for method, args in calls:
            counted = await statements(statement_log_cluster, CountedCalls(store), method, *args)
            assert counted == 1, method


class CountedCalls:
    """The store's methods, with keyword arguments made positional for `statements`."""

    def __init__(self, store: AsyncPostgresStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def update_cas(self, handle: str, patch: SessionPatch) -> object:
        return await self.store.update(handle, patch, expected_version=1, now=utc_now())

    async def list_for_user(self, tenant: str, user_id: str, moment: datetime) -> object:
        return await self.store.list_for_user(tenant, user_id, now=moment)

    async def list_sessions_for_user(self, tenant: str, user_id: str, moment: datetime) -> object:
        return await self.store.list_sessions_for_user(tenant, user_id, now=moment)


async def test_delete_expired_is_one_statement_per_batch_and_one_for_keys(
    statement_log_cluster: Cluster,
) -> None:
    url = f"{statement_log_cluster.url}?delete_batch_size=2"
    opened = AsyncPostgresStore.from_url(url, namespace="batches")
    moment = utc_now()
    try:
        for _ in range(5):
            await opened.create(new_record(moment - timedelta(hours=2), ttl=timedelta(hours=1)))
        counted = await statements(statement_log_cluster, CountedExpiry(opened, moment), "run")
    finally:
        await opened.close()
    assert counted == 4  # batches of 2, 2 and 1, then the signing keys


class CountedExpiry:
    """`delete_expired` at a fixed time, as a method without arguments."""

    def __init__(self, store: AsyncPostgresStore, moment: datetime) -> None:
        self.store, self.moment = store, moment

    async def run(self) -> int:
        return await self.store.delete_expired(now=self.moment)
