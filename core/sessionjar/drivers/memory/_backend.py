"""The process-local state behind ``memory://`` stores, shared by both flavours."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Final, TypeVar
from urllib.parse import urlsplit

from sessionjar._types import JSONObject, JSONValue
from sessionjar.drivers import (
    check_handles,
    check_limit,
    check_liveness_query,
    check_patch,
    check_record,
    check_signing_key,
    check_user_query,
    int_option,
    query_options,
    record_is_live,
    update_applies,
)
from sessionjar.errors import ConfigurationError, DuplicateHandle, StorageUnavailable
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = ["DEFAULT_MAX_SESSIONS", "MemoryBackend", "backend_for_url"]

DEFAULT_MAX_SESSIONS: Final = 100_000
"""How many session records a memory backend holds unless ``?max_sessions=`` says otherwise."""

_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_named: dict[str, MemoryBackend] = {}
_named_lock = threading.Lock()


@dataclass
class _Space:
    """The records of one namespace."""

    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    by_user: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    keys: dict[str, SigningKeyRecord] = field(default_factory=dict)

    def remove(self, handle: str) -> None:
        record = self.sessions.pop(handle)
        owner = (record.tenant, record.user_id)
        self.by_user[owner].discard(handle)
        if not self.by_user[owner]:
            del self.by_user[owner]


class MemoryBackend:
    """Session and key records of every namespace, guarded by one lock.

    Every operation takes the lock for its whole duration and never waits on anything
    else while holding it, so it is atomic for threads and for asyncio tasks alike.
    Values are copied on the way in and out: callers can never mutate stored state.
    """

    def __init__(self, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        self.max_sessions: Final = max_sessions
        self._lock = threading.Lock()
        self._spaces: dict[str, _Space] = {}
        self._count = 0

    def create(self, namespace: str, record: SessionRecord) -> None:
        """Insert a record; see `AsyncStore.create`.

        When the backend is full, records of ``namespace`` that are expired at the new
        record's ``created_at`` are evicted first; a live record is never dropped.

        Raises:
            StorageUnavailable: the backend is full of live records.
        """
        check_record(record)
        record = _copied_record(record)
        with self._lock:
            space = self._spaces.setdefault(namespace, _Space())
            if record.handle in space.sessions:
                raise DuplicateHandle(record.handle)
            if self._count >= self.max_sessions:
                self._evict_expired(space, record.created_at)
            if self._count >= self.max_sessions:
                raise StorageUnavailable(
                    f"the memory store holds its maximum of {self.max_sessions} live "
                    "sessions; raise ?max_sessions= or use a persistent store"
                )
            space.sessions[record.handle] = record
            space.by_user.setdefault((record.tenant, record.user_id), set()).add(record.handle)
            self._count += 1

    def get(self, namespace: str, handle: str) -> SessionRecord | None:
        """Return a copy of the record with this handle, or `None`."""
        with self._lock:
            record = self._space(namespace).sessions.get(handle)
        return None if record is None else _copied_record(record)

    def is_live(
        self, namespace: str, handle: str, *, tenant: str, user_id: str, now: datetime
    ) -> bool:
        """Tell whether this user's record is live; see `AsyncStore.is_live`."""
        check_liveness_query(handle, tenant, user_id, now)
        with self._lock:
            record = self._space(namespace).sessions.get(handle)
        return record_is_live(record, tenant=tenant, user_id=user_id, now=now)

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
        """Apply a patch to a live record; see `AsyncStore.update`."""
        check_patch(patch)
        changes = {name: _copied(value) for name, value in patch.changes().items()}
        with self._lock:
            space = self._space(namespace)
            record = space.sessions.get(handle)
            if not update_applies(
                record,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            record = replace(record, **changes, version=record.version + 1)  # type: ignore[arg-type]
            space.sessions[handle] = record
        return _copied_record(record)

    def delete(self, namespace: str, handles: Sequence[str]) -> list[str]:
        """Delete records by handle; return the handles deleted, each once."""
        check_handles(handles)
        with self._lock:
            space = self._space(namespace)
            deleted = [h for h in dict.fromkeys(handles) if h in space.sessions]
            self._remove(space, deleted)
        return deleted

    def delete_for_user(self, namespace: str, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return their handles."""
        with self._lock:
            space = self._space(namespace)
            deleted = list(space.by_user.get((tenant, user_id), ()))
            self._remove(space, deleted)
        return deleted

    def list_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[str]:
        """Return the handles of a user's records that are live at ``now``."""
        with self._lock:
            space = self._space(namespace)
            handles = space.by_user.get((tenant, user_id), ())
            return [h for h in handles if space.sessions[h].expires_at > now]

    def list_sessions_for_user(
        self, namespace: str, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return copies of a user's records that are live at ``now``."""
        check_user_query(tenant, user_id, now)
        with self._lock:
            space = self._space(namespace)
            handles = space.by_user.get((tenant, user_id), ())
            records = [space.sessions[h] for h in handles]
        return [_copied_record(r) for r in records if r.expires_at > now]

    def delete_expired(self, namespace: str, *, now: datetime, limit: int | None = None) -> int:
        """Delete records (at most ``limit``) and signing keys expired at ``now``; return
        the records deleted."""
        check_limit(limit)
        with self._lock:
            space = self._space(namespace)
            deleted = self._evict_expired(space, now, limit)
            for kid in [k for k, key in space.keys.items() if key.expires_at <= now]:
                del space.keys[kid]
        return deleted

    def add_signing_key(self, namespace: str, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        check_signing_key(key)
        key = replace(key, private_jwk=_copied_object(key.private_jwk))
        with self._lock:
            keys = self._spaces.setdefault(namespace, _Space()).keys
            if key.kid in keys:
                return False
            keys[key.kid] = key
        return True

    def list_signing_keys(self, namespace: str) -> list[SigningKeyRecord]:
        """Return copies of every signing key."""
        with self._lock:
            keys = list(self._space(namespace).keys.values())
        return [replace(key, private_jwk=_copied_object(key.private_jwk)) for key in keys]

    def _space(self, namespace: str) -> _Space:
        return self._spaces.get(namespace) or _Space()

    def _evict_expired(self, space: _Space, now: datetime, limit: int | None = None) -> int:
        expired = list(
            islice((h for h, record in space.sessions.items() if record.expires_at <= now), limit)
        )
        self._remove(space, expired)
        return len(expired)

    def _remove(self, space: _Space, handles: Sequence[str]) -> None:
        for handle in handles:
            space.remove(handle)
        self._count -= len(handles)


def backend_for_url(url: str) -> MemoryBackend:
    """Return the backend a ``memory://`` URL names: a new one, or a shared named one.

    ``memory://`` gives a new private backend; ``memory://NAME`` gives the process-wide
    backend called NAME, created on first use. ``?max_sessions=N`` bounds it.

    Raises:
        ConfigurationError: the URL is malformed, or names an existing backend with
            another explicit ``max_sessions``.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "memory" or parts.path not in ("", "/"):
        raise ConfigurationError("a memory store URL is memory:// or memory://NAME")
    options = query_options(url, {"max_sessions"})
    max_sessions = int_option(
        options, "max_sessions", DEFAULT_MAX_SESSIONS, minimum=1, maximum=10**9
    )
    name = parts.netloc
    if not name:
        return MemoryBackend(max_sessions)
    if not _NAME_RE.fullmatch(name):
        raise ConfigurationError(
            f"invalid memory store name {name!r}: use 1 to 64 letters, digits, '_', '.' or '-'"
        )
    with _named_lock:
        backend = _named.setdefault(name, MemoryBackend(max_sessions))
    if "max_sessions" in options and backend.max_sessions != max_sessions:
        raise ConfigurationError(
            f"memory store {name!r} already exists with max_sessions={backend.max_sessions}"
        )
    return backend


_T = TypeVar("_T")


def _copied(value: _T) -> _T:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [_copied(item) for item in value]  # type: ignore[return-value]
    return value


def _copied_object(value: JSONObject) -> JSONObject:
    copy: dict[str, JSONValue] = _copied(value)
    return copy


def _copied_record(record: SessionRecord) -> SessionRecord:
    return replace(
        record,
        access_payload=_copied_object(record.access_payload),
        session_data=_copied_object(record.session_data),
        device=_copied_object(record.device),
    )
