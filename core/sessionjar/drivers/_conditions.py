"""When an update applies and when a record is live: the protocol's conditions, in Python."""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from sessionjar.storage import SessionPatch, SessionRecord

__all__ = ["update_applies", "record_is_live"]


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


def record_is_live(
    record: SessionRecord | None, *, tenant: str, user_id: str, now: datetime
) -> TypeGuard[SessionRecord]:
    """Tell whether `AsyncStore.is_live` answers `True` for ``record`` (`None`: missing).

    For stores that read the whole record; stores that can ask the backend state the
    same condition there (exact tenant and user id, ``expires_at > now``).
    """
    return (
        record is not None
        and record.tenant == tenant
        and record.user_id == user_id
        and record.expires_at > now
    )
