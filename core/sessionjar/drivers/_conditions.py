"""When an update applies: the conditions of `AsyncStore.update`, in Python."""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from sessionjar.storage import SessionPatch, SessionRecord

__all__ = ["update_applies"]


def update_applies(
    record: SessionRecord | None,
    patch: SessionPatch,
    *,
    expected_version: int | None,
    expected_refresh_hash: str | None,
    now: datetime,
) -> TypeGuard[SessionRecord]:
    """Tell whether `AsyncStore.update` applies ``patch`` to ``record`` (`None`: missing).

    For stores that read the record and write it back under a lock of their own; stores
    whose backend checks conditions (SQL, scripts) state the same ones there.
    """
    return (
        record is not None
        and record.expires_at > now
        and (expected_version is None or record.version == expected_version)
        and (expected_refresh_hash is None or record.refresh_hash == expected_refresh_hash)
        and (
            patch.expires_at is None
            or record.absolute_deadline is None
            or patch.expires_at <= record.absolute_deadline
        )
    )
