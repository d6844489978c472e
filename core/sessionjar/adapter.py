"""`AsyncStoreAdapter`: an `AsyncStore` made of a sync `Store`, for sync-only clients."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord, Store

__all__ = ["AsyncStoreAdapter"]


class AsyncStoreAdapter:
    """Wrap a sync `Store` into an `AsyncStore` that runs each call in a worker thread.

    For drivers whose client library has no async flavour (the built-in ``sqlite://``
    store is one). The event loop never blocks on the backend; the wrapped store must be
    safe to call from several threads at once.

    A call cancelled while it runs in its thread still completes there: cancelling an
    `update` does not undo it. This is the same as a request lost on the network.
    """

    __module__ = "sessionjar"

    def __init__(self, store: Store) -> None:
        self.store = store
        """The wrapped sync store."""
        self.protocol_version = store.protocol_version
        """The `PROTOCOL_VERSION` the wrapped store implements."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.store!r}>"

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only. See `AsyncStore.create`."""
        await asyncio.to_thread(self.store.create, record)

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        return await asyncio.to_thread(self.store.get, handle)

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether this user's record is live; see `AsyncStore.is_live`."""
        return await asyncio.to_thread(
            self.store.is_live, handle, tenant=tenant, user_id=user_id, now=now
        )

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record; update-only. See `AsyncStore.update`."""
        return await asyncio.to_thread(
            self.store.update,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        return await asyncio.to_thread(self.store.delete, handles)

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        return await asyncio.to_thread(self.store.delete_for_user, tenant, user_id)

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        return await asyncio.to_thread(self.store.list_for_user, tenant, user_id, now=now)

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order."""
        return await asyncio.to_thread(self.store.list_sessions_for_user, tenant, user_id, now=now)

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted. See `AsyncStore.delete_expired`."""
        if limit is None:
            # a store of protocol 3 or older takes no limit
            return await asyncio.to_thread(self.store.delete_expired, now=now)
        return await asyncio.to_thread(self.store.delete_expired, now=now, limit=limit)

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        return await asyncio.to_thread(self.store.add_signing_key, key)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        return await asyncio.to_thread(self.store.list_signing_keys)

    async def close(self) -> None:
        """Close the wrapped store."""
        await asyncio.to_thread(self.store.close)
