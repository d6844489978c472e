"""The MongoDB store (async version)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import pymongo
from pymongo import AsyncMongoClient, IndexModel, ReadPreference, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ConfigurationError as ClientConfigurationError
from pymongo.errors import DuplicateKeyError, OperationFailure

from sessionjar import (
    PROTOCOL_VERSION,
    ConfigurationError,
    DuplicateHandle,
    InvalidHandle,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
    StorageUnavailable,
)
from sessionjar._acompat import ALock
from sessionjar.drivers import (
    check_handles,
    check_limit,
    check_liveness_query,
    check_namespace,
    check_record,
    check_signing_key,
    check_update,
    check_user_query,
    update_applies,
)
from sessionjar_mongodb._documents import (
    patch_update,
    session_document,
    session_from_document,
    signing_key_document,
    signing_key_from_document,
    unchanged,
    update_filter,
)
from sessionjar_mongodb._errors import Translated
from sessionjar_mongodb._options import MongoOptions, parse_url, strict_options
from sessionjar_mongodb._server import check_atomic_updates

__all__ = ["AsyncMongoStore"]

_NOT_IMPLEMENTED: Final = 238  # server error code, e.g. FerretDB v1 has no TTL indexes
_ID_ONLY: Final = {"_id": 1}
_PING_TIMEOUT: Final = 2.0
"""Seconds `ping` waits for the server (selection included), whatever the URL's timeout."""


class AsyncMongoStore:
    """A store keeping sessions and signing keys in MongoDB (async version).

    Sessions live in the collection ``<namespace>.sessions`` and signing keys in
    ``<namespace>.signing_keys`` of the URL's database. The first call checks that the
    server's updates are atomic (``buildInfo``) and creates the indexes (idempotently):
    (tenant, user_id), and a TTL index on ``expires_at`` that lets the server delete
    expired records — garbage collection only, since core checks expiry on every read.
    After that, every call sends one command, except `update` (a ``find`` that reads
    the record as `get` would, then a ``findAndModify``), `delete_expired` (one per
    collection, more with a limit) and `delete` and `delete_for_user`, which send one
    single-document ``delete`` per record so that they know which records they deleted.
    Every call ends within the URL's ``timeoutMS`` (5 s by default), or raises
    `StorageUnavailable`.

    Args:
        options: what the store URL asks for (see `from_url`).
        namespace: prefix of the collection names.

    Raises:
        ConfigurationError: a bad namespace, or an option pymongo refuses.
    """

    __module__ = "sessionjar_mongodb"
    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, options: MongoOptions, *, namespace: str = "sessionjar") -> None:
        self._namespace = check_namespace(namespace)
        self._options: Final = options
        try:
            with strict_options():
                client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
                    options.url, **options.options
                )
        except (ClientConfigurationError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid MongoDB URL: {exc}") from exc
        database = client[options.database]
        self._client = client
        self._sessions = database[f"{namespace}.sessions"]
        # the reads a write is decided on: never a secondary's stale copy, whatever the
        # URL's readPreference (a stale version looks like a replayed refresh token)
        self._sessions_on_primary = self._sessions.with_options(
            read_preference=ReadPreference.PRIMARY
        )
        self._keys = database[f"{namespace}.signing_keys"]
        self._indexed = False
        self._index_lock = ALock()

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "sessionjar") -> AsyncMongoStore:
        """Open a store on the server a ``mongodb://`` URL names; does no I/O.

        The URL's path names the database; its options are pymongo's, and
        ``accept_non_atomic_updates`` (see `MongoOptions`).

        Raises:
            ConfigurationError: the URL, an option or the namespace is malformed.
        """
        return cls(parse_url(url), namespace=namespace)

    def __repr__(self) -> str:
        name = self._sessions.database.name
        return f"<{type(self).__name__} database={name!r} namespace={self._namespace!r}>"

    async def migrate(self) -> str:
        """Create the collections' indexes now rather than at first use; idempotent.

        ``sessionjar migrate`` calls it. Storage I/O: one ``buildInfo`` and three
        ``createIndexes`` the first time in this store, none after.

        Returns:
            one sentence naming the indexes in place.

        Raises:
            StorageUnavailable: the server failed, or its updates are not atomic.
        """
        await self._ensure_indexes()
        sessions, keys = self._sessions.name, self._keys.name
        return f"indexes in place: {sessions} (tenant_user, expires_at), {keys} (expires_at)"

    async def ping(self) -> None:
        """Check that the server answers and lets us in; ``sessionjar check`` calls it.

        Storage I/O: one ``ping`` command, bounded by two seconds.

        Raises:
            StorageUnavailable: no answer in time, or the server refused us (the cause in
                the message).
        """
        with pymongo.timeout(_PING_TIMEOUT), Translated("answer a ping"):
            await self._client.admin.command("ping")

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only (one ``insert``)."""
        check_record(record)
        document = session_document(record)
        await self._ensure_indexes()
        with Translated("create a session"):
            try:
                await self._sessions.insert_one(document)
            except DuplicateKeyError as exc:
                raise DuplicateHandle(record.handle) from exc

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None` (one ``find``)."""
        _check_handle(handle)
        await self._ensure_indexes()
        with Translated("read a session"):
            document = await self._sessions.find_one({"_id": handle})
        return None if document is None else session_from_document(document)

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether a live record of this user has this handle: one ``find`` by
        ``_id`` with the owner and expiry in its filter, returning the ``_id`` alone."""
        check_liveness_query(handle, tenant, user_id, now)
        query = {"_id": handle, "tenant": tenant, "user_id": user_id, "expires_at": {"$gt": now}}
        await self._ensure_indexes()
        with Translated("check a session"):
            return await self._sessions.find_one(query, _ID_ONLY) is not None

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

        One ``find`` on the primary, read as `get` reads it, so that a tampered record
        raises before anything is written; then, if the update applies, one
        ``findAndModify`` whose filter holds every condition of `AsyncStore.update` and
        the record as read (its version and JSON text). Read again if another write
        came in between.
        """
        _check_handle(handle)
        check_update(patch, expected_version, expected_refresh_hash)
        await self._ensure_indexes()
        while True:
            with Translated("read a session"):
                document = await self._sessions_on_primary.find_one({"_id": handle})
            if document is None or not update_applies(
                session_from_document(document),
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            query = update_filter(
                handle,
                patch,
                now=now,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
            )
            query.update(unchanged(document))
            with Translated("update a session"):
                updated = await self._sessions.find_one_and_update(
                    query, patch_update(patch), return_document=ReturnDocument.AFTER
                )
            if updated is not None:
                return session_from_document(updated)

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted.

        One single-document ``delete`` per distinct handle: its count tells whether this
        call deleted the record, which the count of a multi-document delete cannot.
        """
        check_handles(handles)
        await self._ensure_indexes()
        deleted = []
        for handle in dict.fromkeys(handles):
            if await self._delete_one({"_id": handle}):
                deleted.append(handle)
        return deleted

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted.

        One ``find`` on the primary for the user's handles (a secondary could miss a
        session just created), then one single-document ``delete`` each.
        """
        owner = _owner(tenant, user_id)
        await self._ensure_indexes()
        with Translated("find a user's sessions"):
            found = await self._sessions_on_primary.find(owner, _ID_ONLY).to_list()
        deleted = []
        for document in found:
            handle = _handle_of(document)
            if await self._delete_one({"_id": handle, **owner}):
                deleted.append(handle)
        return deleted

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order (one ``find``)."""
        query = {**_owner(tenant, user_id), "expires_at": {"$gt": now}}
        await self._ensure_indexes()
        with Translated("list a user's sessions"):
            found = await self._sessions.find(query, _ID_ONLY).to_list()
        return [_handle_of(document) for document in found]

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order (one
        ``find`` on the (tenant, user_id) index)."""
        check_user_query(tenant, user_id, now)
        query = {**_owner(tenant, user_id), "expires_at": {"$gt": now}}
        await self._ensure_indexes()
        with Translated("list a user's sessions"):
            found = await self._sessions.find(query).to_list()
        return [session_from_document(document) for document in found]

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted.

        Without a limit, one ``delete`` per collection. With one, a ``find`` of at most
        ``limit`` expired handles, then one ``delete`` of those still expired, whose count
        is what this call deleted; again while a racing process deleted some of them
        first, so that a count below ``limit`` means that none is left.
        """
        check_limit(limit)
        expired = {"expires_at": {"$lte": now}}
        await self._ensure_indexes()
        with Translated("delete expired sessions"):
            if limit is None:
                deleted = (await self._sessions.delete_many(expired)).deleted_count
            else:
                deleted = await self._delete_expired_batches(expired, limit)
        with Translated("delete expired signing keys"):
            await self._keys.delete_many(expired)
        return deleted

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted.

        One ``insert``.
        """
        check_signing_key(key)
        document = signing_key_document(key)
        await self._ensure_indexes()
        with Translated("add a signing key"):
            try:
                await self._keys.insert_one(document)
            except DuplicateKeyError:
                return False
        return True

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order (one ``find``)."""
        await self._ensure_indexes()
        with Translated("list signing keys"):
            found = await self._keys.find({}).to_list()
        return [signing_key_from_document(document) for document in found]

    async def close(self) -> None:
        """Close the client's connections; later calls raise `StorageUnavailable`."""
        with Translated("close the client"):
            await self._client.close()

    async def _delete_expired_batches(self, expired: dict[str, Any], limit: int) -> int:
        deleted = 0
        while deleted < limit:
            wanted = limit - deleted
            found = await self._sessions_on_primary.find(expired, _ID_ONLY, limit=wanted).to_list()
            handles = [_handle_of(document) for document in found]
            # the expiry again: a record refreshed since the find is live and stays
            query = {"_id": {"$in": handles}, **expired}
            count = (await self._sessions.delete_many(query)).deleted_count if handles else 0
            deleted += count
            if count == len(handles) < wanted:  # all found were ours, and none is left
                break
        return deleted

    async def _delete_one(self, query: dict[str, Any]) -> bool:
        with Translated("delete a session"):
            return (await self._sessions.delete_one(query)).deleted_count == 1

    async def _ensure_indexes(self) -> None:
        if not self._indexed:
            async with self._index_lock:
                await self._create_indexes()

    async def _create_indexes(self) -> None:
        if self._indexed:  # created by another caller while this one waited for the lock
            return
        with Translated("read the server's build"):
            build_info = await self._client.admin.command("buildInfo")
        check_atomic_updates(build_info, accepted=self._options.accept_non_atomic)
        # One index per command: FerretDB v1.24 drops the connection when every index
        # of a multi-index createIndexes exists already.
        with Translated("create indexes"):
            await self._sessions.create_indexes([_OWNER_INDEX])
            for collection in (self._sessions, self._keys):
                await _create_expiry_index(collection)
        self._indexed = True


_OWNER_INDEX: Final = IndexModel([("tenant", 1), ("user_id", 1)], name="tenant_user")
_TTL_INDEX: Final = IndexModel("expires_at", name="expires_at", expireAfterSeconds=0)
_EXPIRY_INDEX: Final = IndexModel("expires_at", name="expires_at")


async def _create_expiry_index(collection: AsyncCollection[dict[str, Any]]) -> None:
    """Index ``expires_at`` with a TTL, or without one where the server has no TTL indexes."""
    try:
        await collection.create_indexes([_TTL_INDEX])
    except OperationFailure as exc:
        if exc.code != _NOT_IMPLEMENTED:
            raise
        await collection.create_indexes([_EXPIRY_INDEX])


def _check_handle(handle: object) -> None:
    if not isinstance(handle, str):
        raise InvalidHandle(f"a session handle must be a str, not {type(handle).__name__}")


def _owner(tenant: object, user_id: object) -> dict[str, str]:
    """Return the filter of a user's records; plain strings only, so never an operator."""
    if not isinstance(tenant, str) or not isinstance(user_id, str):
        raise ConfigurationError("tenant and user_id must be str")
    return {"tenant": tenant, "user_id": user_id}


def _handle_of(document: dict[str, Any]) -> str:
    handle = document.get("_id")
    if not isinstance(handle, str):
        raise StorageUnavailable(f"MongoDB returned a session without a text handle: {handle!r}")
    return handle
