"""Stores of storage protocol 2 and 3 given the surface of protocol 4 (async version).

Core wraps such a store once, when the manager is built, so that the manager and every
feature code only against the current protocol. What an older store cannot do is
emulated with the methods it has, at the cost said on each method:

- ``is_live`` (protocol 3) of a protocol-2 store reads the whole record with ``get``;
- ``list_sessions_for_user`` is ``list_for_user`` and then one ``get`` per handle;
- ``device`` is never stored: it is dropped from records and patches on the way in and
  reported as ``{}`` on the way out;
- ``delete_expired(limit=...)`` ignores the limit: one call deletes every expired
  record, so a caller's batch loop ends after it, or (when it deleted ``limit`` or
  more) after one more call, which deletes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final

from sessionjar.drivers import check_limit, check_user_query, record_is_live
from sessionjar.errors import ConfigurationError
from sessionjar.storage import (
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOL_VERSIONS,
    AsyncStore,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
)

__all__ = ["upgraded"]


def upgraded(store: AsyncStore) -> AsyncStore:
    """Return ``store`` with the surface of the current protocol: itself if it has it.

    Raises:
        ConfigurationError: the store declares a protocol version core does not support.
    """
    version = getattr(store, "protocol_version", None)
    if version not in SUPPORTED_PROTOCOL_VERSIONS:
        supported = sorted(SUPPORTED_PROTOCOL_VERSIONS)
        raise ConfigurationError(
            f"the store implements storage protocol {version!r}, not one of {supported}"
        )
    return store if version == PROTOCOL_VERSION else _UpgradedStore(store)


class _UpgradedStore:
    """A store of protocol 2 or 3 behind the protocol-4 interface (async version)."""

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, store: AsyncStore) -> None:
        self.store: Final = store
        """The wrapped store."""

    def __repr__(self) -> str:
        return f"<upgraded {self.store!r}>"

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record without its device. Storage I/O: one ``create``."""
        await self.store.create(replace(record, device={}))

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. Storage I/O: one ``get``."""
        return _without_device(await self.store.get(handle))

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether this user's record is live. Storage I/O: one ``is_live``, or on
        protocol 2 one ``get``."""
        if self.store.protocol_version == 2:
            record = await self.store.get(handle)
            return record_is_live(record, tenant=tenant, user_id=user_id, now=now)
        return await self.store.is_live(handle, tenant=tenant, user_id=user_id, now=now)

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch``, less its device, to a live record. Storage I/O: one ``update``."""
        updated = await self.store.update(
            handle,
            replace(patch, device=None),
            expected_version=expected_version,
            now=now,
            expected_refresh_hash=expected_refresh_hash,
        )
        return _without_device(updated)

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        return await self.store.delete(handles)

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        return await self.store.delete_for_user(tenant, user_id)

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        return await self.store.list_for_user(tenant, user_id, now=now)

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return a user's live records. Storage I/O: one ``list_for_user``, then one
        ``get`` per handle (a record gone or changed owner meanwhile is left out)."""
        check_user_query(tenant, user_id, now)
        records: list[SessionRecord] = []
        for handle in await self.store.list_for_user(tenant, user_id, now=now):
            record = await self.store.get(handle)
            if record_is_live(record, tenant=tenant, user_id=user_id, now=now):
                records.append(replace(record, device={}))
        return records

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete every expired record and signing key, whatever ``limit`` says; return
        how many records were deleted. Storage I/O: one ``delete_expired``."""
        check_limit(limit)
        return await self.store.delete_expired(now=now)

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        return await self.store.add_signing_key(key)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        return await self.store.list_signing_keys()

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.store.close()


def _without_device(record: SessionRecord | None) -> SessionRecord | None:
    # an older store may hand back the record object it was given, device and all
    return None if record is None else replace(record, device={})
