"""The ``jsonfile://`` store: one JSON file per namespace, rewritten whole under a file lock."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit

from sessionjar import (
    PROTOCOL_VERSION,
    ConfigurationError,
    DuplicateHandle,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
    StorageUnavailable,
)
from sessionjar.codec import (
    patch_to_row,
    session_from_row,
    session_to_row,
    signing_key_from_row,
    signing_key_to_row,
    to_millis,
)
from sessionjar.drivers import (
    check_limit,
    check_liveness_query,
    check_user_query,
    record_is_live,
    update_applies,
)

__all__ = ["JsonFileStore"]

_State: TypeAlias = dict[str, dict[str, dict[str, Any]]]


class JsonFileStore:
    """A `sessionjar.Store` keeping a namespace in ``<directory>/<namespace>.json``.

    Every call takes an exclusive ``flock`` on ``<namespace>.lock``, reads the file,
    and (for writes) replaces it atomically, so each call is atomic for the threads and
    processes of one machine. Opening does no I/O; the directory is created on first use.
    """

    protocol_version: int = PROTOCOL_VERSION

    def __init__(self, directory: str | os.PathLike[str], namespace: str) -> None:
        self._directory = Path(directory)
        self._data = self._directory / f"{namespace}.json"
        self._lock = self._directory / f"{namespace}.lock"
        self._closed = False

    @classmethod
    def from_url(cls, url: str, namespace: str) -> JsonFileStore:
        """Open the store of ``jsonfile:///absolute/directory``.

        Raises:
            ConfigurationError: the URL names no absolute directory.
        """
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme != "jsonfile" or parts.netloc or not path.startswith("/"):
            raise ConfigurationError(f"expected jsonfile:///absolute/directory, got {url!r}")
        return cls(path, namespace)

    def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only. See `sessionjar.AsyncStore.create`."""
        row = session_to_row(record)
        with self._state(write=True) as state:
            if record.handle in state["sessions"]:
                raise DuplicateHandle(record.handle)
            state["sessions"][record.handle] = row

    def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        with self._state() as state:
            row = state["sessions"].get(handle)
        return None if row is None else session_from_row(row)

    def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether this user's record is live. See `sessionjar.AsyncStore.is_live`."""
        check_liveness_query(handle, tenant, user_id, now)
        with self._state() as state:
            row = state["sessions"].get(handle)
        record = None if row is None else session_from_row(row)
        return record_is_live(record, tenant=tenant, user_id=user_id, now=now)

    def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record; update-only. See `sessionjar.AsyncStore.update`."""
        changes = patch_to_row(patch)
        with self._state(write=True) as state:
            sessions = state["sessions"]
            row = sessions.get(handle)
            record = None if row is None else session_from_row(row)
            if not update_applies(
                record,
                patch,
                expected_version=expected_version,
                expected_refresh_hash=expected_refresh_hash,
                now=now,
            ):
                return None
            updated = {**sessions[handle], **changes, "version": record.version + 1}
            sessions[handle] = updated
        return session_from_row(updated)

    def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        with self._state(write=True) as state:
            sessions = state["sessions"]
            return [h for h in dict.fromkeys(handles) if sessions.pop(h, None) is not None]

    def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        with self._state(write=True) as state:
            handles = _handles_of(state, tenant, user_id, None)
            for handle in handles:
                del state["sessions"][handle]
        return handles

    def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        with self._state() as state:
            return _handles_of(state, tenant, user_id, to_millis(now))

    def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order."""
        check_user_query(tenant, user_id, now)
        with self._state() as state:
            handles = _handles_of(state, tenant, user_id, to_millis(now))
            return [session_from_row(state["sessions"][handle]) for handle in handles]

    def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted."""
        check_limit(limit)
        cutoff = to_millis(now)
        with self._state(write=True) as state:
            keys, sessions = state["keys"], state["sessions"]
            for kid in [kid for kid, row in keys.items() if row["expires_at"] <= cutoff]:
                del keys[kid]
            expired = [h for h, row in sessions.items() if row["expires_at"] <= cutoff][:limit]
            for handle in expired:
                del sessions[handle]
        return len(expired)

    def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken; tell whether it was inserted."""
        row = signing_key_to_row(key)
        with self._state(write=True) as state:
            if key.kid in state["keys"]:
                return False
            state["keys"][key.kid] = row
        return True

    def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        with self._state() as state:
            return [signing_key_from_row(row) for row in state["keys"].values()]

    def close(self) -> None:
        """Mark the store closed; it holds no open files between calls."""
        self._closed = True

    @contextmanager
    def _state(self, *, write: bool = False) -> Iterator[_State]:
        """Lock the namespace and yield its state; a write saves it if the body succeeds."""
        if self._closed:
            raise StorageUnavailable("the jsonfile store is closed")
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            with open(self._lock, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
                state = self._load()
                yield state
                if write:
                    self._save(state)
        except OSError as exc:
            raise StorageUnavailable(f"cannot use {self._data}: {exc}") from exc

    def _load(self) -> _State:
        try:
            text = self._data.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"sessions": {}, "keys": {}}
        try:
            state: _State = json.loads(text)
        except (ValueError, RecursionError) as exc:  # outside bytes: any nesting, any text
            raise StorageUnavailable(f"{self._data} is not a sessionjar JSON file") from exc
        return state

    def _save(self, state: _State) -> None:
        # Write a sibling file and rename it over the old one: readers never see half a file.
        fd, tmp = tempfile.mkstemp(dir=self._directory, prefix=self._data.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(state, file, ensure_ascii=False, separators=(",", ":"))
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self._data)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _handles_of(state: _State, tenant: str, user_id: str, live_at: int | None) -> list[str]:
    return [
        handle
        for handle, row in state["sessions"].items()
        if row["tenant"] == tenant
        and row["user_id"] == user_id
        and (live_at is None or row["expires_at"] > live_at)
    ]
