"""The Redis and Redis Cluster store (async version)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, TypeAlias

from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from sessionjar._acompat import ALock, agather
from sessionjar.drivers import (
    check_handles,
    check_namespace,
    check_patch,
    check_record,
    check_signing_key,
)
from sessionjar.errors import ConfigurationError, DuplicateHandle, StorageUnavailable
from sessionjar.storage import PROTOCOL_VERSION, SessionPatch, SessionRecord, SigningKeyRecord
from sessionjar_redis import _scripts
from sessionjar_redis._clients import AsyncClusterNode, AsyncRedis, AsyncRedisCluster, AsyncRetry
from sessionjar_redis._errors import Translated
from sessionjar_redis._keys import KeyLayout, check_handle, owner_tag, storable
from sessionjar_redis._rows import (
    handles_from_reply,
    key_from_json,
    key_to_json,
    millis,
    native_ttl,
    record_from_reply,
    record_json,
    update_args,
)
from sessionjar_redis._url import RedisOptions, parse_url

__all__ = ["AsyncRedisStore"]

_Client: TypeAlias = AsyncRedis | AsyncRedisCluster
_SCAN_BATCH: Final = 256


class AsyncRedisStore:
    """A store on a Redis server or a Redis Cluster (async version).

    Each operation on one session is one round trip: a command or a Lua script called by
    its digest (and sent again whole if the server has forgotten it). Connections are
    made on first use. Every failure of Redis raises `StorageUnavailable`.
    """

    __module__ = "sessionjar_redis"

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, options: RedisOptions, namespace: str = "sessionjar") -> None:
        self._options: Final = options
        self._namespace: Final = check_namespace(namespace)
        self._keys: Final = KeyLayout(namespace, options.buckets)
        self._client: _Client | None = None
        self._closed = False
        self._client_lock = ALock()

    @classmethod
    def from_url(cls, url: str, namespace: str = "sessionjar") -> AsyncRedisStore:
        """Open a store on the server a URL names; does no I/O.

        Raises:
            ConfigurationError: the URL or the namespace is malformed.
        """
        return cls(parse_url(url), namespace)

    def __repr__(self) -> str:
        where = self._options.describe()
        return f"<{type(self).__name__} {where} namespace={self._namespace!r}>"

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record and index it under its owner; insert-only."""
        check_record(record)
        owner = owner_tag(record.tenant, record.user_id)
        prefix = self._keys.prefix(record.handle)
        keys = [KeyLayout.record_in(prefix, record.handle), KeyLayout.index(prefix, owner)]
        ttl = native_ttl(record.expires_at, record.created_at)
        args: list[str | int] = [ttl, record_json(record, owner)]
        with self._errors("create a session"):
            created = await self._run(_scripts.CREATE, keys, args)
        if created == 0:
            raise DuplicateHandle(record.handle)
        if created != 1:
            raise StorageUnavailable(f"Redis answered {created!r} to a create")

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        key = self._keys.record(check_handle(handle))
        with self._errors("read a session"):
            reply = await self._run(_scripts.GET, [key], [])
        return record_from_reply(reply)

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
        check_patch(patch)
        if expected_version is not None and type(expected_version) is not int:
            raise ConfigurationError("expected_version must be an int or None")
        if expected_refresh_hash is not None:
            if not isinstance(expected_refresh_hash, str):
                raise ConfigurationError("expected_refresh_hash must be a str or None")
            if not storable(expected_refresh_hash):
                return None  # no record holds it
        args = update_args(
            patch,
            now=now,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
        )
        with self._errors("update a session"):
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
        with self._errors("delete sessions"):
            for prefix, group in by_prefix.items():
                keys = [KeyLayout.record_in(prefix, handle) for handle in group]
                deleted += handles_from_reply(await self._run(_scripts.DELETE, keys, []))
        return deleted

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted.

        One script per bucket (one on a standalone server), each atomic.
        """
        owner = owner_tag(tenant, user_id)
        with self._errors("delete a user's sessions"):
            return await self._each_bucket(_scripts.DELETE_FOR_USER, owner, [tenant, user_id])

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order.

        One script per bucket (one on a standalone server).
        """
        owner = owner_tag(tenant, user_id)
        args: list[str | int] = [tenant, user_id, millis(now, "now")]
        with self._errors("list a user's sessions"):
            return await self._each_bucket(_scripts.LIST_FOR_USER, owner, args)

    async def delete_expired(self, *, now: datetime) -> int:
        """Delete expired records and signing keys; return how many records were deleted.

        A maintenance task, not a request path: it SCANs the namespace's record keys
        (Redis drops expired records by itself, a minute after they expire).
        """
        now_ms = millis(now, "now")
        count = 0
        with self._errors("delete expired sessions"):
            found: list[str] = []
            client = await self._connected()
            async for key in client.scan_iter(
                match=self._keys.record_pattern, count=_SCAN_BATCH, _type="hash"
            ):
                found.append(key)
                if len(found) >= _SCAN_BATCH:
                    count += await self._delete_if_expired(found, now_ms)
                    found = []
            count += await self._delete_if_expired(found, now_ms)
            await self._run(_scripts.DELETE_EXPIRED_KEYS, [self._keys.signing_keys], [now_ms])
        return count

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        check_signing_key(key)
        with self._errors("add a signing key"):
            client = await self._connected()
            added = await client.hsetnx(self._keys.signing_keys, key.kid, key_to_json(key))
        return bool(added)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        with self._errors("list signing keys"):
            client = await self._connected()
            rows = await client.hvals(self._keys.signing_keys)
        return [key_from_json(row) for row in rows]

    async def close(self) -> None:
        """Close the connections; every later call raises `StorageUnavailable`."""
        async with self._client_lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            with self._errors("close its connections"):
                await client.aclose()

    async def _delete_if_expired(self, keys: list[str], now_ms: int) -> int:
        by_prefix: dict[str, list[str]] = {}
        for key in keys:
            by_prefix.setdefault(KeyLayout.split_record(key)[0], []).append(key)
        count = 0
        for group in by_prefix.values():
            reply = await self._run(_scripts.DELETE_EXPIRED, group, [now_ms])
            if not isinstance(reply, int):
                raise StorageUnavailable(f"Redis answered {reply!r} to delete_expired")
            count += reply
        return count

    async def _each_bucket(
        self, script: _scripts.Script, owner: str, args: Sequence[str | int]
    ) -> list[str]:
        """Run a script on the owner's index of every bucket; return the handles it lists."""
        # The buckets live on several cluster nodes: the async flavour asks them at once.
        replies = await agather(
            *(
                self._run(script, [KeyLayout.index(prefix, owner)], [prefix, *args])
                for prefix in self._keys.prefixes
            )
        )
        return [handle for reply in replies for handle in handles_from_reply(reply)]

    async def _run(
        self, script: _scripts.Script, keys: Sequence[str], args: Sequence[str | int]
    ) -> Any:
        client = await self._connected()
        try:
            return await client.evalsha(script.sha, len(keys), *keys, *args)
        except NoScriptError:
            # The server lost its script cache (restart, SCRIPT FLUSH, failover): EVAL
            # runs the script and caches it again for the next EVALSHA.
            return await client.eval(script.source, len(keys), *keys, *args)

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
        # One retry, on connection errors only: it reconnects pooled connections the
        # server dropped (restart, failover) without re-running a script that timed out.
        # A cluster client uses only the count: it also retries after timeouts and
        # CLUSTERDOWN, once, with a fresh slot map (see docs/drivers/redis.md).
        retry = AsyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        kwargs: dict[str, Any] = {**options.client_kwargs, "decode_responses": True}
        kwargs["retry_on_error"] = [RedisConnectionError]  # redis-py 5 retries only these
        if options.cluster:
            nodes = [AsyncClusterNode(host, port) for host, port in options.nodes]
            return AsyncRedisCluster(startup_nodes=nodes, retry=retry, **kwargs)
        if options.nodes:
            kwargs["host"], kwargs["port"] = options.nodes[0]
        return AsyncRedis(retry=retry, **kwargs)

    def _errors(self, what: str) -> Translated:
        return Translated(self._options, what)
