"""Memory backends that each break one rule of the storage protocol; the suite must fail them."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sessionjar import (
    AsyncStore,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
    StorageUnavailable,
    Store,
)
from sessionjar.drivers import update_applies
from sessionjar.drivers.memory._backend import MemoryBackend, _Space
from sessionjar.drivers.memory.store import MemoryStore
from sessionjar.drivers.memory.store_async import AsyncMemoryStore

__all__ = ["BROKEN_BACKENDS", "open_broken", "open_unreachable"]

_LONG_AGO: Final = datetime(1970, 1, 2, tzinfo=UTC)


class OverwritingCreate(MemoryBackend):
    """`create` replaces a record that has the handle instead of refusing."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().delete(namespace, [record.handle])
        super().create(namespace, record)


class IgnoresVersion(MemoryBackend):
    """`update` ignores ``expected_version``: compare-and-set never refuses."""

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        return super().update(
            namespace,
            handle,
            patch,
            expected_version=None,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )


class IgnoresRefreshHash(MemoryBackend):
    """`update` ignores ``expected_refresh_hash``: any refresh token rotates the session."""

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        return super().update(namespace, handle, patch, expected_version=expected_version, now=now)


class IgnoresDeadline(MemoryBackend):
    """`update` sets any ``expires_at``, past the absolute deadline too."""

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        with self._lock:
            space = self._space(namespace)
            record = space.sessions.get(handle)
            if not update_applies(
                record,
                replace(patch, expires_at=None),
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            changed = replace(record, **patch.changes(), version=record.version + 1)  # type: ignore[arg-type]
            space.sessions[handle] = changed
        return copy.deepcopy(changed)


class ListsExpired(MemoryBackend):
    """`list_for_user` ignores ``now`` and lists expired records as live."""

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        return super().list_for_user(namespace, tenant, user_id, now=_LONG_AGO)


class UpdatesExpired(MemoryBackend):
    """`update` ignores ``now``: expired sessions can be written to (and slid back to life)."""

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        return super().update(
            namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=_LONG_AGO,
        )


class LiveAnyUser(MemoryBackend):
    """`is_live` ignores the user id: any user's token passes ``check_database``."""

    def is_live(
        self, namespace: str, handle: str, *, tenant: str, user_id: str, now: datetime
    ) -> bool:
        record = super().get(namespace, handle)
        owner = user_id if record is None else record.user_id
        return super().is_live(namespace, handle, tenant=tenant, user_id=owner, now=now)


class LiveAtExpiry(MemoryBackend):
    """`is_live` compares ``expires_at >= now``: a session is still live at its expiry."""

    def is_live(
        self, namespace: str, handle: str, *, tenant: str, user_id: str, now: datetime
    ) -> bool:
        earlier = now - timedelta(milliseconds=1)
        return super().is_live(namespace, handle, tenant=tenant, user_id=user_id, now=earlier)


class ReportsUndeleted(MemoryBackend):
    """`delete` reports every handle it was given, deleted or not."""

    def delete(self, namespace: str, handles: Sequence[str]) -> list[str]:
        super().delete(namespace, handles)
        return list(handles)


class DeletesWholeTenant(MemoryBackend):
    """`delete_for_user` also deletes the other users of the tenant."""

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        deleted = super().delete_for_user(namespace, tenant, user_id)
        for other in self._users_of(namespace, tenant):
            deleted += super().delete_for_user(namespace, tenant, other)
        return deleted

    def _users_of(self, namespace: str, tenant: str) -> set[str]:
        space = self._spaces.get(namespace)
        return {user for (t, user) in (space.by_user if space else {}) if t == tenant}


class LeakyNamespace(MemoryBackend):
    """Every namespace shares one space: records and keys leak between applications."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().create("shared", record)

    def get(self, namespace: str, handle: str) -> SessionRecord | None:
        return super().get("shared", handle)

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        return super().update(
            "shared",
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )

    def delete(self, namespace: str, handles: Sequence[str]) -> list[str]:
        return super().delete("shared", handles)

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        return super().delete_for_user("shared", tenant, user_id)

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        return super().list_for_user("shared", tenant, user_id, now=now)

    def delete_expired(self, namespace: str, *, now: datetime) -> int:
        return super().delete_expired("shared", now=now)

    def add_signing_key(self, namespace: str, key: SigningKeyRecord) -> bool:
        return super().add_signing_key("shared", key)

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        return super().list_signing_keys("shared")


class UpsertingUpdate(MemoryBackend):
    """`update` of a deleted record writes it back (an upsert resurrects sessions)."""

    def __init__(self) -> None:
        super().__init__()
        self._graveyard: dict[tuple[str, str], SessionRecord] = {}

    def delete(self, namespace: str, handles: Sequence[str]) -> list[str]:
        for handle in handles:
            if (record := super().get(namespace, handle)) is not None:
                self._graveyard[namespace, handle] = record
        return super().delete(namespace, handles)

    def update(
        self,
        namespace: str,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        buried = self._graveyard.pop((namespace, handle), None)
        if buried is not None and super().get(namespace, handle) is None:
            super().create(namespace, buried)
        return super().update(
            namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )


class OverwritingSigningKey(MemoryBackend):
    """`add_signing_key` replaces a key whose kid is taken and reports it inserted."""

    def add_signing_key(self, namespace: str, key: SigningKeyRecord) -> bool:
        with self._lock:
            self._spaces.setdefault(namespace, _Space()).keys[key.kid] = key
        return True


class _RacyAsyncStore(AsyncMemoryStore):
    """`update` checks its conditions, lets other tasks run, then writes unconditionally."""

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        if expected_version is not None or expected_refresh_hash is not None:
            current = await self.get(handle)
            if not update_applies(
                current,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            await asyncio.sleep(0)  # a network round trip between the check and the write
        return await super().update(handle, patch, expected_version=None, now=now)


class _RacyStore(MemoryStore):
    """`update` checks its conditions, lets other threads run, then writes unconditionally."""

    def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        if expected_version is not None or expected_refresh_hash is not None:
            current = self.get(handle)
            if not update_applies(
                current,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            time.sleep(0.01)  # a network round trip between the check and the write
        return super().update(handle, patch, expected_version=None, now=now)


class RacyCompareAndSet(MemoryBackend):
    """Conditional updates are a read then a write: callers racing on one version or one
    refresh hash all win.

    The race is in the stores (`open_broken`); only parallel callers can see it, so
    this driver proves the concurrency tests really overlap.
    """


class SwallowsFailures(MemoryBackend):
    """A store whose backend is down answers as if it were empty instead of raising.

    The failure is in the unreachable stores (`open_unreachable`); the backend is fine.
    """


BROKEN_BACKENDS: Final[dict[str, type[MemoryBackend]]] = {
    "overwriting_create": OverwritingCreate,
    "live_any_user": LiveAnyUser,
    "live_at_expiry": LiveAtExpiry,
    "ignores_version": IgnoresVersion,
    "ignores_refresh_hash": IgnoresRefreshHash,
    "ignores_deadline": IgnoresDeadline,
    "lists_expired": ListsExpired,
    "updates_expired": UpdatesExpired,
    "reports_undeleted": ReportsUndeleted,
    "deletes_whole_tenant": DeletesWholeTenant,
    "leaky_namespace": LeakyNamespace,
    "upserting_update": UpsertingUpdate,
    "overwriting_signing_key": OverwritingSigningKey,
    "racy_compare_and_set": RacyCompareAndSet,
    "swallows_failures": SwallowsFailures,
}
"""Each broken backend by name."""


_EMPTY_ANSWERS: Final[dict[str, object]] = {
    "create": None,
    "get": None,
    "update": None,
    "delete": [],
    "delete_for_user": [],
    "list_for_user": [],
    "delete_expired": 0,
    "add_signing_key": True,
    "list_signing_keys": [],
}
"""What each protocol method of a store with no records returns."""


class _DownBackend(MemoryBackend):
    """A backend that is down: every protocol operation raises `StorageUnavailable`."""

    def __getattribute__(self, name: str) -> Any:
        if name in _EMPTY_ANSWERS:
            raise StorageUnavailable(f"{name}: the backend is down")
        return super().__getattribute__(name)


class _AsyncSwallowing:
    """Wraps an async store: a `StorageUnavailable` becomes the answer of an empty store."""

    def __init__(self, store: AsyncMemoryStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if name not in _EMPTY_ANSWERS:
            return method

        async def swallowing(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except StorageUnavailable:
                return copy.copy(_EMPTY_ANSWERS[name])

        return swallowing


class _Swallowing:
    """Wraps a sync store: a `StorageUnavailable` becomes the answer of an empty store."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if name not in _EMPTY_ANSWERS:
            return method

        def swallowing(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except StorageUnavailable:
                return copy.copy(_EMPTY_ANSWERS[name])

        return swallowing


def open_unreachable(name: str, flavour: str) -> Callable[[str], AsyncStore | Store]:
    """Return ``unreachable_store`` for the broken driver ``name``: stores on a down backend."""
    backend = _DownBackend()
    swallows = BROKEN_BACKENDS[name] is SwallowsFailures
    if flavour == "async":
        if swallows:
            return lambda namespace: _AsyncSwallowing(AsyncMemoryStore(backend, namespace))
        return lambda namespace: AsyncMemoryStore(backend, namespace)
    if swallows:
        return lambda namespace: _Swallowing(MemoryStore(backend, namespace))
    return lambda namespace: MemoryStore(backend, namespace)


def open_broken(name: str, flavour: str) -> Callable[[str], AsyncStore | Store]:
    """Return ``make_store`` for the broken driver ``name``: stores on one new backend."""
    backend = BROKEN_BACKENDS[name]()
    racy = isinstance(backend, RacyCompareAndSet)
    store: type[AsyncMemoryStore] | type[MemoryStore]
    if flavour == "async":
        store = _RacyAsyncStore if racy else AsyncMemoryStore
    else:
        store = _RacyStore if racy else MemoryStore
    return lambda namespace: store(backend, namespace)
