"""Memory backends that each break one rule of the storage protocol; the suite must fail them."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any, Final

from sessionjar import (
    AsyncStore,
    DuplicateHandle,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
    StorageUnavailable,
    Store,
    open_async_store,
    open_store,
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

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        return super().list_sessions_for_user("shared", tenant, user_id, now=now)

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        return super().delete_expired("shared", now=now, limit=limit)

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


class _FoldedDict(dict[Any, Any]):
    """A dict that compares its keys (strings, or tuples of strings) after folding them."""

    def __init__(self, fold: Callable[[str], str]) -> None:
        super().__init__()
        self._fold = fold

    def _key(self, key: Any) -> Any:
        return tuple(map(self._fold, key)) if isinstance(key, tuple) else self._fold(key)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._key(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._key(key), value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(self._key(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._key(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        return super().pop(self._key(key), *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


class _FoldedSpaces(_FoldedDict):
    """The namespaces of a collating backend: each new one gets folded dicts too."""

    def setdefault(self, key: Any, default: Any = None) -> Any:
        fold = self._fold
        space = _Space(_FoldedDict(fold), _FoldedDict(fold), _FoldedDict(fold))
        return super().setdefault(key, space)


class _Collating(MemoryBackend):
    """Every identifier (namespace, handle, tenant, user id, kid) is compared after
    ``fold``, as an SQL collation compares; the records keep the text they were given."""

    @staticmethod
    def fold(text: str) -> str:
        return text

    def __init__(self) -> None:
        super().__init__()
        self._spaces = _FoldedSpaces(self.fold)


class FoldsCase(_Collating):
    """Identifiers match case-insensitively (MySQL's ``utf8mb4_general_ci``)."""

    @staticmethod
    def fold(text: str) -> str:
        return text.casefold()


class PadsSpaces(_Collating):
    """Identifiers match ignoring trailing spaces (the PAD SPACE of ``utf8mb4_bin``)."""

    @staticmethod
    def fold(text: str) -> str:
        return text.rstrip(" ")


class TrimsSpaces(_Collating):
    """Identifiers are trimmed of leading and trailing spaces before they are compared."""

    @staticmethod
    def fold(text: str) -> str:
        return text.strip()


class NormalisesNfc(_Collating):
    """Identifiers match after NFC normalisation (combining accents equal precomposed ones)."""

    @staticmethod
    def fold(text: str) -> str:
        return unicodedata.normalize("NFC", text)


class NormalisesNfkc(_Collating):
    """Identifiers match after NFKC normalisation (ligatures and full-width letters fold)."""

    @staticmethod
    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text)


class ReachesLongerNamespaces(MemoryBackend):
    """Bulk operations cover every namespace that starts with the store's own, as a key
    prefix scanned with ``SCAN ns*`` or ``LIKE 'ns%'`` would."""

    def _reached(self, namespace: str) -> list[str]:
        return [name for name in list(self._spaces) if name.startswith(namespace)]

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        reach = self._reached(namespace)
        return [h for ns in reach for h in super().list_for_user(ns, tenant, user_id, now=now)]

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        reach = self._reached(namespace)
        return [
            r for ns in reach for r in super().list_sessions_for_user(ns, tenant, user_id, now=now)
        ]

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        reach = self._reached(namespace)
        return [h for ns in reach for h in super().delete_for_user(ns, tenant, user_id)]

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        reached = self._reached(namespace)
        return sum(super().delete_expired(ns, now=now, limit=limit) for ns in reached)

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        return [k for ns in self._reached(namespace) for k in super().list_signing_keys(ns)]


class ReplacesExpiredOnCreate(MemoryBackend):
    """`create` replaces a record that has expired when the new one is created."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        old = super().get(namespace, record.handle)
        if old is not None and old.expires_at <= record.created_at:
            super().delete(namespace, [record.handle])
        super().create(namespace, record)


class ListsAPage(MemoryBackend):
    """`list_for_user` returns the first page of 100 handles only."""

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        return super().list_for_user(namespace, tenant, user_id, now=now)[:100]


class DeletesAPage(MemoryBackend):
    """`delete_for_user` deletes (and reports) the first page of 100 records only."""

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        with self._lock:
            space = self._space(namespace)
            page = list(space.by_user.get((tenant, user_id), ()))[:100]
        return super().delete(namespace, page)


class DeletesUserInEveryTenant(MemoryBackend):
    """`delete_for_user` matches the user id alone, in every tenant."""

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        space = self._spaces.get(namespace)
        tenants = {t for (t, user) in (space.by_user if space else {}) if user == user_id}
        return [h for t in tenants for h in super().delete_for_user(namespace, t, user_id)]


class KeepsCreatedRecord(MemoryBackend):
    """`create` keeps the caller's record object: mutating its JSON changes the store."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().create(namespace, record)
        with self._lock:
            self._spaces[namespace].sessions[record.handle] = record


class KeepsPatch(MemoryBackend):
    """`update` keeps the caller's patch values: mutating them changes the store."""

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
        updated = super().update(
            namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )
        if updated is not None:
            with self._lock:
                sessions = self._spaces[namespace].sessions
                sessions[handle] = replace(sessions[handle], **patch.changes())  # type: ignore[arg-type]
        return updated


class GetSharesRecord(MemoryBackend):
    """`get` returns the stored record itself: mutating it changes the store."""

    def get(self, namespace: str, handle: str) -> SessionRecord | None:
        with self._lock:
            return self._space(namespace).sessions.get(handle)


class UpdateSharesRecord(MemoryBackend):
    """`update` returns the stored record itself: mutating it changes the store."""

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
        updated = super().update(
            namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )
        if updated is None:
            return None
        with self._lock:
            record: SessionRecord = self._spaces[namespace].sessions[handle]
        return record


class KeepsAddedKey(MemoryBackend):
    """`add_signing_key` keeps the caller's key object: mutating its JWK changes the store."""

    def add_signing_key(self, namespace: str, key: SigningKeyRecord) -> bool:
        added = super().add_signing_key(namespace, key)
        if added:
            with self._lock:
                self._spaces[namespace].keys[key.kid] = key
        return added


class ListSharesKeys(MemoryBackend):
    """`list_signing_keys` returns the stored keys themselves."""

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        with self._lock:
            return list(self._space(namespace).keys.values())


_PARIS: Final = timezone(timedelta(hours=2))


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(_PARIS)


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _in_local_time(record: SessionRecord | None) -> SessionRecord | None:
    if record is None:
        return None
    times = {name: _local(getattr(record, name)) for name in _SESSION_TIMES}
    return replace(record, **times)  # type: ignore[arg-type]


_SESSION_TIMES: Final = ("created_at", "expires_at", "absolute_deadline", "rotated_at")


class SessionsInLocalTime(MemoryBackend):
    """`get` and `update` return the right instants in the server's zone (+02:00), not UTC."""

    def get(self, namespace: str, handle: str) -> SessionRecord | None:
        return _in_local_time(super().get(namespace, handle))

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
        return _in_local_time(
            super().update(
                namespace,
                handle,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            )
        )


class KeysInLocalTime(MemoryBackend):
    """`list_signing_keys` returns the right instants in the server's zone, not UTC."""

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        return [
            replace(
                key,
                created_at=key.created_at.astimezone(_PARIS),
                not_before=key.not_before.astimezone(_PARIS),
                expires_at=key.expires_at.astimezone(_PARIS),
            )
            for key in super().list_signing_keys(namespace)
        ]


class UpdatesInWholeSeconds(MemoryBackend):
    """`update` stores the times of a patch in whole seconds (an epoch integer column)."""

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
        times = {
            name: _seconds(value)
            for name, value in patch.changes().items()
            if isinstance(value, datetime)
        }
        return super().update(
            namespace,
            handle,
            replace(patch, **times),  # type: ignore[arg-type]
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )


class KeysInWholeSeconds(MemoryBackend):
    """`add_signing_key` stores the key's times in whole seconds."""

    def add_signing_key(self, namespace: str, key: SigningKeyRecord) -> bool:
        key = replace(
            key,
            created_at=_seconds(key.created_at),
            not_before=_seconds(key.not_before),
            expires_at=_seconds(key.expires_at),
        )
        return super().add_signing_key(namespace, key)


def _next_second(moment: datetime) -> datetime:
    whole = _seconds(moment)
    return whole if whole == moment else whole + timedelta(seconds=1)


class LivenessInWholeSeconds(MemoryBackend):
    """Liveness is checked against ``now`` rounded up to a whole second (a TTL in seconds):
    a session is taken for expired up to a second before its ``expires_at``."""

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        return super().list_for_user(namespace, tenant, user_id, now=_next_second(now))

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
            now=_next_second(now),
        )

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        return super().delete_expired(namespace, now=_next_second(now), limit=limit)


class KeysExpireLate(MemoryBackend):
    """`delete_expired` deletes signing keys only once ``expires_at < now``."""

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        with self._lock:
            space = self._space(namespace)
            deleted = self._evict_expired(space, now, limit)
            for kid in [k for k, key in space.keys.items() if key.expires_at < now]:
                del space.keys[kid]
        return deleted


class HidesFutureKeys(MemoryBackend):
    """`list_signing_keys` leaves out keys that are not valid yet (``not_before`` ahead)."""

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        now = datetime.now(UTC)
        return [key for key in super().list_signing_keys(namespace) if key.not_before <= now]


class DeadlineExclusive(MemoryBackend):
    """`update` refuses an ``expires_at`` equal to the deadline (``<`` for ``<=``)."""

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
        current = super().get(namespace, handle)
        deadline = current.absolute_deadline if current else None
        if patch.expires_at is not None and patch.expires_at == deadline:
            return None
        return super().update(
            namespace,
            handle,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )


class DropsDevice(MemoryBackend):
    """`create` stores no ``device``: a driver that forgot the new column."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().create(namespace, replace(record, device={}))


class IgnoresDevicePatch(MemoryBackend):
    """`update` leaves ``device`` alone whatever the patch says."""

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
            replace(patch, device=None),
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        )


def _as_floats(value: Any) -> Any:
    """``value`` with every int made a float, as a backend of JavaScript numbers keeps it."""
    if isinstance(value, dict):
        return {key: _as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_floats(item) for item in value]
    return float(value) if type(value) is int else value


class DeviceNumbersAsFloats(MemoryBackend):
    """``device`` is kept as JavaScript numbers: ints come back as floats (``1`` as ``1.0``)."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().create(namespace, replace(record, device=_as_floats(record.device)))


class KeepsDevice(MemoryBackend):
    """`create` keeps the caller's ``device`` object: mutating it changes the store."""

    def create(self, namespace: str, record: SessionRecord) -> None:
        super().create(namespace, record)
        with self._lock:
            sessions = self._spaces[namespace].sessions
            sessions[record.handle] = replace(sessions[record.handle], device=record.device)


class SharesDevice(MemoryBackend):
    """`get` returns the stored ``device`` object itself: mutating it changes the store."""

    def get(self, namespace: str, handle: str) -> SessionRecord | None:
        record = super().get(namespace, handle)
        with self._lock:
            stored = self._space(namespace).sessions.get(handle)
        return None if record is None or stored is None else replace(record, device=stored.device)


class ListsSessionsOfEveryTenant(MemoryBackend):
    """`list_sessions_for_user` matches the user id alone, in every tenant."""

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        space = self._spaces.get(namespace)
        tenants = {t for (t, user) in (space.by_user if space else {}) if user == user_id}
        return [
            record
            for each in tenants
            for record in super().list_sessions_for_user(namespace, each, user_id, now=now)
        ]


class ListsSessionsAtExpiry(MemoryBackend):
    """`list_sessions_for_user` lists a record expiring exactly ``now`` (``>=`` for ``>``)."""

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        earlier = now - timedelta(milliseconds=1)
        return super().list_sessions_for_user(namespace, tenant, user_id, now=earlier)


class ListsSessionsFoldingCase(MemoryBackend):
    """`list_sessions_for_user` compares tenant and user id case-insensitively."""

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        wanted = (tenant.casefold(), user_id.casefold())
        with self._lock:
            records = list(self._space(namespace).sessions.values())
        return [
            copy.deepcopy(r)
            for r in records
            if (r.tenant.casefold(), r.user_id.casefold()) == wanted and r.expires_at > now
        ]


class ListsPartialSessions(MemoryBackend):
    """`list_sessions_for_user` reads some columns only: ``session_data`` comes back empty."""

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        listed = super().list_sessions_for_user(namespace, tenant, user_id, now=now)
        return [replace(record, session_data={}) for record in listed]


class IgnoresLimit(MemoryBackend):
    """`delete_expired` deletes every expired record whatever ``limit`` says."""

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        return super().delete_expired(namespace, now=now)


class CountsTheLimit(MemoryBackend):
    """`delete_expired` answers ``limit`` however many records it deleted."""

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        deleted = super().delete_expired(namespace, now=now, limit=limit)
        return deleted if limit is None else limit


class AcceptsBadLimit(MemoryBackend):
    """`delete_expired` takes a limit that is no positive int as no limit at all."""

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        good = type(limit) is int and limit > 0
        return super().delete_expired(namespace, now=now, limit=limit if good else None)


class RacyCreate(MemoryBackend):
    """`create` reads, checks that the handle is free, then writes: racing creates of one
    handle all succeed (the race is in the stores: `CheckThenAct`)."""


class RacyUpdate(MemoryBackend):
    """`update` reads, checks its conditions, then writes the whole record back: racing
    callers all win, and a write after a delete or an expiry undoes it."""


class RacyDelete(MemoryBackend):
    """`delete` reads which handles exist, then deletes them: racing deletes all report
    the handle."""


class RacySigningKey(MemoryBackend):
    """`add_signing_key` lists the keys, checks the ``kid`` is free, then writes: racing
    inserts all report success."""


class RacyDeleteExpired(MemoryBackend):
    """`delete_expired` reads which records have expired, then deletes them, and counts
    what it read: racing callers count the same record twice."""


def _expired_handles(
    backend: MemoryBackend, namespace: str, now: datetime, limit: int | None
) -> list[str]:
    """The handles `RacyDeleteExpired` reads, before it deletes them in a second step."""
    with backend._lock:
        sessions = backend._space(namespace).sessions
        return [h for h, record in sessions.items() if record.expires_at <= now][:limit]


ExpiredHandles = Callable[[datetime, "int | None"], list[str]]
"""Reads the handles of a namespace's expired records (at most a limit of them)."""


class SwallowsFailures(MemoryBackend):
    """A store whose backend is down answers as if it were empty instead of raising.

    The failure is in the unreachable stores (`open_unreachable`); the backend is fine.
    """


class _AsyncCheckThenAct:
    """Wraps an async store: one method (``racy``) reads, checks, lets other tasks run,
    then writes blindly, as a driver without a transaction or a script would."""

    def __init__(self, store: AsyncStore, racy: str, expired: ExpiredHandles) -> None:
        self._store = store
        self._racy = racy
        self._expired = expired

    def __getattr__(self, name: str) -> Any:
        if name == self._racy:
            return getattr(self, f"_racy_{name}")
        return getattr(self._store, name)

    async def _put(self, record: SessionRecord) -> None:
        """Write ``record`` whatever is stored, like a ``SET``."""
        await self._store.delete([record.handle])
        await self._store.create(record)

    async def _racy_create(self, record: SessionRecord) -> None:
        if await self._store.get(record.handle) is not None:
            raise DuplicateHandle(record.handle)
        await asyncio.sleep(0)
        with contextlib.suppress(DuplicateHandle):  # a blind write, like SET, reports nothing
            await self._store.create(record)

    async def _racy_update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        current = await self._store.get(handle)
        if not update_applies(
            current,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        ):
            return None
        await asyncio.sleep(0)
        updated = replace(current, **patch.changes(), version=current.version + 1)  # type: ignore[arg-type]
        await self._put(updated)
        return updated

    async def _racy_delete(self, handles: Sequence[str]) -> list[str]:
        present = [h for h in handles if await self._store.get(h) is not None]
        await asyncio.sleep(0)
        await self._store.delete(present)
        return present

    async def _racy_add_signing_key(self, key: SigningKeyRecord) -> bool:
        if key.kid in {k.kid for k in await self._store.list_signing_keys()}:
            return False
        await asyncio.sleep(0)
        await self._store.add_signing_key(key)  # a blind write, whose answer is ignored
        return True

    async def _racy_delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        found = self._expired(now, limit)
        await asyncio.sleep(0)
        await self._store.delete(found)
        return len(found)


_PAUSE: Final = 0.01
"""Seconds a sync check-then-act store waits between its check and its write."""


class _CheckThenAct:
    """Equivalent to `_AsyncCheckThenAct` for sync stores, letting other threads run."""

    def __init__(self, store: Store, racy: str, expired: ExpiredHandles) -> None:
        self._store = store
        self._racy = racy
        self._expired = expired

    def __getattr__(self, name: str) -> Any:
        if name == self._racy:
            return getattr(self, f"_racy_{name}")
        return getattr(self._store, name)

    def _put(self, record: SessionRecord) -> None:
        self._store.delete([record.handle])
        self._store.create(record)

    def _racy_create(self, record: SessionRecord) -> None:
        if self._store.get(record.handle) is not None:
            raise DuplicateHandle(record.handle)
        time.sleep(_PAUSE)
        with contextlib.suppress(DuplicateHandle):
            self._store.create(record)

    def _racy_update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        current = self._store.get(handle)
        if not update_applies(
            current,
            patch,
            expected_version=expected_version,
            expected_refresh_hash=expected_refresh_hash,
            now=now,
        ):
            return None
        time.sleep(_PAUSE)
        updated = replace(current, **patch.changes(), version=current.version + 1)  # type: ignore[arg-type]
        self._put(updated)
        return updated

    def _racy_delete(self, handles: Sequence[str]) -> list[str]:
        present = [h for h in handles if self._store.get(h) is not None]
        time.sleep(_PAUSE)
        self._store.delete(present)
        return present

    def _racy_add_signing_key(self, key: SigningKeyRecord) -> bool:
        if key.kid in {k.kid for k in self._store.list_signing_keys()}:
            return False
        time.sleep(_PAUSE)
        self._store.add_signing_key(key)
        return True

    def _racy_delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        found = self._expired(now, limit)
        time.sleep(_PAUSE)
        self._store.delete(found)
        return len(found)


_RACY: Final[dict[type[MemoryBackend], str]] = {
    RacyCreate: "create",
    RacyUpdate: "update",
    RacyDelete: "delete",
    RacySigningKey: "add_signing_key",
    RacyDeleteExpired: "delete_expired",
}
"""The method each racy backend's stores run as check-then-act."""


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
    "folds_case": FoldsCase,
    "pads_spaces": PadsSpaces,
    "trims_spaces": TrimsSpaces,
    "normalises_nfc": NormalisesNfc,
    "normalises_nfkc": NormalisesNfkc,
    "reaches_longer_namespaces": ReachesLongerNamespaces,
    "replaces_expired_on_create": ReplacesExpiredOnCreate,
    "lists_a_page": ListsAPage,
    "deletes_a_page": DeletesAPage,
    "deletes_user_in_every_tenant": DeletesUserInEveryTenant,
    "keeps_created_record": KeepsCreatedRecord,
    "keeps_patch": KeepsPatch,
    "get_shares_record": GetSharesRecord,
    "update_shares_record": UpdateSharesRecord,
    "keeps_added_key": KeepsAddedKey,
    "list_shares_keys": ListSharesKeys,
    "sessions_in_local_time": SessionsInLocalTime,
    "keys_in_local_time": KeysInLocalTime,
    "updates_in_whole_seconds": UpdatesInWholeSeconds,
    "keys_in_whole_seconds": KeysInWholeSeconds,
    "liveness_in_whole_seconds": LivenessInWholeSeconds,
    "keys_expire_late": KeysExpireLate,
    "hides_future_keys": HidesFutureKeys,
    "deadline_exclusive": DeadlineExclusive,
    "racy_create": RacyCreate,
    "racy_update": RacyUpdate,
    "racy_delete": RacyDelete,
    "racy_signing_key": RacySigningKey,
    "drops_device": DropsDevice,
    "ignores_device_patch": IgnoresDevicePatch,
    "device_numbers_as_floats": DeviceNumbersAsFloats,
    "keeps_device": KeepsDevice,
    "shares_device": SharesDevice,
    "lists_sessions_of_every_tenant": ListsSessionsOfEveryTenant,
    "lists_sessions_at_expiry": ListsSessionsAtExpiry,
    "lists_sessions_folding_case": ListsSessionsFoldingCase,
    "lists_partial_sessions": ListsPartialSessions,
    "ignores_limit": IgnoresLimit,
    "counts_the_limit": CountsTheLimit,
    "accepts_bad_limit": AcceptsBadLimit,
    "racy_delete_expired": RacyDeleteExpired,
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
    "list_sessions_for_user": [],
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


def open_broken(
    name: str, flavour: str, url: str | None = None
) -> Callable[[str], AsyncStore | Store]:
    """Return ``make_store`` for the broken driver ``name``: stores on one new backend.

    A racy driver wraps the stores of ``url`` instead, when it is given: its race then
    runs over a real network.
    """
    backend = BROKEN_BACKENDS[name]()
    racy = _RACY.get(type(backend))
    if flavour == "async":
        opened: Callable[[str], Any] = (
            (lambda ns: open_async_store(url, namespace=ns))
            if url and racy
            else (lambda ns: AsyncMemoryStore(backend, ns))
        )
        wrap: Callable[[Any, str, ExpiredHandles], Any] = _AsyncCheckThenAct
    else:
        opened = (
            (lambda ns: open_store(url, namespace=ns))
            if url and racy
            else (lambda ns: MemoryStore(backend, ns))
        )
        wrap = _CheckThenAct
    if racy is None:
        return opened
    return lambda namespace: wrap(
        opened(namespace), racy, partial(_expired_handles, backend, namespace)
    )
