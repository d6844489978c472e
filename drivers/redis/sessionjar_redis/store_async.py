"""The Redis and Redis Cluster store (async version)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final, TypeAlias

from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError

from sessionjar._acompat import ALock, agather
from sessionjar.drivers import (
    check_handles,
    check_limit,
    check_namespace,
    check_record,
    check_signing_key,
    check_update,
    check_user_query,
)
from sessionjar.errors import DuplicateHandle, StorageUnavailable
from sessionjar.storage import PROTOCOL_VERSION, SessionPatch, SessionRecord, SigningKeyRecord
from sessionjar_redis import _scripts
from sessionjar_redis._clients import AsyncClusterNode, AsyncRedis, AsyncRedisCluster, AsyncRetry
from sessionjar_redis._errors import DROPPED, NOT_RUN, Translated
from sessionjar_redis._keys import KeyLayout, check_handle, owner_tag, storable
from sessionjar_redis._rows import (
    handles_from_reply,
    is_live_reply,
    key_from_json,
    key_to_json,
    millis,
    native_ttl,
    record_from_reply,
    record_json,
    records_from_reply,
    update_args,
)
from sessionjar_redis._url import RedisOptions, parse_url

__all__ = ["AsyncRedisStore"]

_Client: TypeAlias = AsyncRedis | AsyncRedisCluster
_SCAN_BATCH: Final = 256
_LIVENESS_FIELDS: Final = ("tenant", "user_id", "expires_at")


class AsyncRedisStore:
    """A store on a Redis server or a Redis Cluster (async version).

    Each operation on one session is one round trip: a command or a Lua script called by
    its digest (and sent again whole if the server has forgotten it). Connections are
    made on first use. Every failure of Redis raises `StorageUnavailable`, and so does
    a call past the URL's ``timeout`` (docs/drivers/redis.md, "Timeouts", says how the
    two flavours bound a call).

    A write is never sent twice after its connection broke, since Redis may have applied
    it: the caller gets `StorageUnavailable`. Reads, and commands the server refused
    (``CLUSTERDOWN``, ``TRYAGAIN``), are sent once more.
    """

    __module__ = "sessionjar_redis"

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, options: RedisOptions, *, namespace: str = "sessionjar") -> None:
        self._options: Final = options
        self._namespace: Final = check_namespace(namespace)
        self._keys: Final = KeyLayout(namespace, options.buckets)
        self._client: _Client | None = None
        self._closed = False
        self._client_lock = ALock()

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "sessionjar") -> AsyncRedisStore:
        """Open a store on the server a URL names; does no I/O.

        Raises:
            ConfigurationError: the URL or the namespace is malformed.
        """
        return cls(parse_url(url), namespace=namespace)

    def __repr__(self) -> str:
        where = self._options.describe()
        return f"<{type(self).__name__} {where} namespace={self._namespace!r}>"

    async def ping(self) -> None:
        """Check that the server answers and lets us in; ``sessionjar check`` calls it.

        Storage I/O: one ``PING`` (to one node of a cluster), within the URL's ``timeout``.

        Raises:
            StorageUnavailable: the server cannot be reached or refused us (the cause in
                the message), or the store is closed.
        """
        async with self._errors("answer a PING"):
            client = await self._connected()
            await client.ping()

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record and index it under its owner; insert-only."""
        check_record(record)
        owner = owner_tag(record.tenant, record.user_id)
        prefix = self._keys.prefix(record.handle)
        keys = [KeyLayout.record_in(prefix, record.handle), KeyLayout.index(prefix, owner)]
        ttl = native_ttl(record.expires_at, record.created_at)
        args: list[str | int] = [ttl, record_json(record, owner)]
        async with self._errors("create a session"):
            created = await self._run(_scripts.CREATE, keys, args)
        if created == 0:
            raise DuplicateHandle(record.handle)
        if created != 1:
            raise StorageUnavailable(f"Redis answered {created!r} to a create")

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        key = self._keys.record(check_handle(handle))
        async with self._errors("read a session"):
            reply = await self._run(_scripts.GET, [key], [], read=True)
        return record_from_reply(reply)

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether a live record (``expires_at > now``) has this handle, tenant and user.

        One ``HMGET`` of three fields: the cheapest read that answers.
        """
        key = self._keys.record(check_handle(handle))
        owner_tag(tenant, user_id)  # the same type checks as every method of an owner
        now_ms = millis(now, "now")
        async with self._errors("check a session"):
            client = await self._connected()
            reply = await self._again(lambda: client.hmget(key, _LIVENESS_FIELDS), read=True)
        return is_live_reply(reply, tenant, user_id, now_ms)

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record; update-only. See `AsyncStore.update`.

        A new ``expires_at`` moves the record's native expiry and its index entry too.
        """
        prefix = self._keys.prefix(check_handle(handle))
        check_update(patch, expected_version, expected_refresh_hash)
        if expected_refresh_hash is not None and not storable(expected_refresh_hash):
            return None  # no record holds it
        args = update_args(
            patch,
            now=now,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
        )
        async with self._errors("update a session"):
            reply = await self._run(_scripts.UPDATE, [KeyLayout.record_in(prefix, handle)], [args])
        return record_from_reply(reply)

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted.

        One round trip per bucket the handles fall into (one on a standalone server).
        """
        check_handles(handles)
        by_prefix: dict[str, list[str]] = {}
        for handle in dict.fromkeys(handles):
            by_prefix.setdefault(self._keys.prefix(check_handle(handle)), []).append(handle)
        deleted: list[str] = []
        async with self._errors("delete sessions"):
            for prefix, group in by_prefix.items():
                keys = [KeyLayout.record_in(prefix, handle) for handle in group]
                deleted += handles_from_reply(await self._run(_scripts.DELETE, keys, []))
        return deleted

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted.

        One script per bucket (one on a standalone server), each atomic.
        """
        owner = owner_tag(tenant, user_id)
        async with self._errors("delete a user's sessions"):
            replies = await self._each_bucket(_scripts.DELETE_FOR_USER, owner, [tenant, user_id])
        return [handle for reply in replies for handle in handles_from_reply(reply)]

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order.

        One script per bucket (one on a standalone server).
        """
        owner = owner_tag(tenant, user_id)
        args: list[str | int] = [tenant, user_id, millis(now, "now")]
        async with self._errors("list a user's sessions"):
            # The script prunes index entries of records already gone: harmless twice.
            replies = await self._each_bucket(_scripts.LIST_FOR_USER, owner, args, read=True)
        return [handle for reply in replies for handle in handles_from_reply(reply)]

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order.

        One script per bucket (one on a standalone server) that reads the records the
        user's index names.
        """
        check_user_query(tenant, user_id, now)
        if not (storable(tenant) and storable(user_id)):
            return []  # no record holds them
        owner = owner_tag(tenant, user_id)
        args: list[str | int] = [tenant, user_id, millis(now, "now")]
        async with self._errors("list a user's sessions"):
            # The script prunes index entries of records already gone: harmless twice.
            replies = await self._each_bucket(
                _scripts.LIST_SESSIONS_FOR_USER, owner, args, read=True
            )
        return [record for reply in replies for record in records_from_reply(reply)]

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted.

        A maintenance task, not a request path: it SCANs the namespace's record keys
        (Redis drops expired records by itself, a minute after they expire) and runs a
        script on each batch, which checks and deletes atomically: racing processes each
        delete a record once. With a limit, the scan stops once ``limit`` are deleted,
        and the next call scans from the start again: acceptable, since native TTLs
        already drop expired records; this only collects records left without a TTL,
        in bounded passes. Each round trip is bounded by the socket timeout, the whole
        scan is not.
        """
        check_limit(limit)
        now_ms = millis(now, "now")
        with self._errors("delete expired sessions"):
            count = await self._delete_expired_records(now_ms, limit)
            await self._run(_scripts.DELETE_EXPIRED_KEYS, [self._keys.signing_keys], [now_ms])
        return count

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        check_signing_key(key)
        async with self._errors("add a signing key"):
            client = await self._connected()
            added = await client.hsetnx(self._keys.signing_keys, key.kid, key_to_json(key))
        return bool(added)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        async with self._errors("list signing keys"):
            client = await self._connected()
            rows = await self._again(lambda: client.hvals(self._keys.signing_keys), read=True)
        return [key_from_json(row) for row in rows]

    async def close(self) -> None:
        """Close the connections; every later call raises `StorageUnavailable`."""
        async with self._client_lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            with self._errors("close its connections"):
                await client.aclose()

    async def _delete_expired_records(self, now_ms: int, limit: int | None) -> int:
        count = 0
        found: list[str] = []
        client = await self._connected()
        async for key in client.scan_iter(
            match=self._keys.record_pattern, count=_SCAN_BATCH, _type="hash"
        ):
            found.append(key)
            if len(found) >= _SCAN_BATCH:
                count += await self._delete_if_expired(found, now_ms, limit, count)
                found = []
                if count == limit:
                    return count
        return count + await self._delete_if_expired(found, now_ms, limit, count)

    async def _delete_if_expired(
        self, keys: list[str], now_ms: int, limit: int | None, done: int
    ) -> int:
        """Delete the expired records among ``keys``, at most ``limit - done``."""
        by_prefix: dict[str, list[str]] = {}
        for key in keys:
            by_prefix.setdefault(KeyLayout.split_record(key)[0], []).append(key)
        count = 0
        for group in by_prefix.values():
            most = len(group) if limit is None else min(len(group), limit - done - count)
            if most == 0:
                break
            reply = await self._run(_scripts.DELETE_EXPIRED, group, [now_ms, most])
            if not isinstance(reply, int):
                raise StorageUnavailable(f"Redis answered {reply!r} to delete_expired")
            count += reply
        return count

    async def _each_bucket(
        self,
        script: _scripts.Script,
        owner: str,
        args: Sequence[str | int],
        *,
        read: bool = False,
    ) -> list[Any]:
        """Run a script on the owner's index of every bucket; return its replies."""
        # The buckets live on several cluster nodes: the async flavour asks them at once.
        return await agather(
            *(
                self._run(script, [KeyLayout.index(prefix, owner)], [prefix, *args], read=read)
                for prefix in self._keys.prefixes
            )
        )

    async def _run(
        self,
        script: _scripts.Script,
        keys: Sequence[str],
        args: Sequence[str | int],
        *,
        read: bool = False,
    ) -> Any:
        """Run a script; a read is sent again once after a lost connection (see `_again`)."""
        client = await self._connected()
        try:
            return await self._again(
                lambda: client.evalsha(script.sha, len(keys), *keys, *args), read=read
            )
        except NoScriptError:
            # The server lost its script cache (restart, SCRIPT FLUSH, failover): EVAL
            # runs the script and caches it again for the next EVALSHA.
            return await self._again(
                lambda: client.eval(script.source, len(keys), *keys, *args), read=read
            )

    async def _again(self, call: Callable[[], Any], *, read: bool) -> Any:
        """Make a call; make it once more if it may safely be sent again.

        A read may be after a lost connection (a pooled connection the server closed);
        a write only when the server refused it, never after a lost connection.
        """
        safe = DROPPED if read else NOT_RUN
        try:
            return await call()
        except safe:
            return await call()

    async def _connected(self) -> _Client:
        if self._client is not None:
            return self._client
        async with self._client_lock:
            if self._closed:
                raise StorageUnavailable(f"{self!r} is closed")
            if self._client is None:
                client = self._new_client()
                if True:
                    # ASYNC
                    if isinstance(client, AsyncRedisCluster):
                        # redis-py's lazy cluster discovery races when the first
                        # commands run concurrently: discover the nodes once, here.
                        await client.initialize()
                self._client = client
            return self._client

    def _new_client(self) -> _Client:
        options = self._options
        # No retry in redis-py: it would send a write again after a connection broke,
        # although Redis may have applied it. `_again` retries what is safe.
        retry = AsyncRetry(NoBackoff(), 0)
        kwargs: dict[str, Any] = {**options.client_kwargs, "decode_responses": True}
        # RESP2: under RESP3, redis-py 8 turns on maintenance notifications and then skips
        # the pool's check that replaces a connection the server closed, before a write.
        kwargs["protocol"] = 2
        if options.cluster:
            if True:
                # ASYNC
                # The deadline bounds every call here: redis-py may learn every node as
                # a startup node, and find the slot map after the URL's nodes restarted.
                kwargs["dynamic_startup_nodes"] = True
            nodes = [AsyncClusterNode(host, port) for host, port in options.nodes]
            return AsyncRedisCluster(startup_nodes=nodes, retry=retry, **kwargs)
        if options.nodes:
            kwargs["host"], kwargs["port"] = options.nodes[0]
        return AsyncRedis(retry=retry, **kwargs)

    def _errors(self, what: str) -> Translated:
        return Translated(self._options, what)
