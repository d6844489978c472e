"""The in-process ``memory://`` store (async version)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sessionjar.drivers import check_namespace
from sessionjar.drivers.memory._backend import MemoryBackend, backend_for_url
from sessionjar.errors import StorageUnavailable
from sessionjar.storage import PROTOCOL_VERSION, SessionPatch, SessionRecord, SigningKeyRecord

__all__ = ["AsyncMemoryStore"]


class AsyncMemoryStore:
    """A store that keeps records in this process's memory (async version).

    For tests, demos and single-process apps that can lose every session on restart.
    Stores opened on one `MemoryBackend` share its records, isolated by namespace. No
    call ever waits while holding the backend's lock, so every call is atomic with
    respect to threads and asyncio tasks. After `close`, every call raises
    `StorageUnavailable`.
    """

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, backend: MemoryBackend, namespace: str = "sessionjar") -> None:
        self._backend: MemoryBackend | None = backend
        self._namespace = check_namespace(namespace)

    @classmethod
    def from_url(cls, url: str, namespace: str = "sessionjar") -> AsyncMemoryStore:
        """Open the store a ``memory://`` URL names; see `backend_for_url`."""
        return cls(backend_for_url(url), namespace)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} namespace={self._namespace!r}>"

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only. Evicts expired records when full."""
        self._live().create(self._namespace, record)

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        return self._live().get(self._namespace, handle)

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether this user's record is live; see `AsyncStore.is_live`."""
        return self._live().is_live(
            self._namespace, handle, tenant=tenant, user_id=user_id, now=now
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
        return self._live().update(
            self._namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        return self._live().delete(self._namespace, handles)

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        return self._live().delete_for_user(self._namespace, tenant, user_id)

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        return self._live().list_for_user(self._namespace, tenant, user_id, now=now)

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order."""
        return self._live().list_sessions_for_user(self._namespace, tenant, user_id, now=now)

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted. See `AsyncStore.delete_expired`."""
        return self._live().delete_expired(self._namespace, now=now, limit=limit)

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        return self._live().add_signing_key(self._namespace, key)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        return self._live().list_signing_keys(self._namespace)

    async def close(self) -> None:
        """Detach from the backend; a named backend keeps its records for other stores."""
        self._backend = None

    def _live(self) -> MemoryBackend:
        if self._backend is None:
            raise StorageUnavailable("the memory store is closed")
        return self._backend
