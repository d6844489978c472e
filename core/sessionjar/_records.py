"""The record of a new session and its first refresh token; no I/O."""

from __future__ import annotations

from datetime import datetime

from sessionjar._config import Settings
from sessionjar._handles import hash_secret, new_handle, new_secret
from sessionjar._rotation import expiry
from sessionjar._types import JSONObject
from sessionjar.storage import SessionRecord

__all__ = ["new_record"]


def new_record(
    settings: Settings,
    *,
    user_id: str,
    tenant: str,
    access_payload: JSONObject,
    session_data: JSONObject,
    now: datetime,
    refresh_key: bytes,
    device: JSONObject,
) -> tuple[SessionRecord, str]:
    """Return the record of a new session created at ``now`` and its refresh token.

    The handle is random; the refresh secret is random and sealed with ``refresh_key``;
    the record keeps only the secret's hash. Values must already be checked.
    """
    handle = new_handle()
    secret = new_secret(refresh_key, handle)
    lifetime = settings.absolute_lifetime
    deadline = None if lifetime is None else now + lifetime
    record = SessionRecord(
        handle=handle,
        tenant=tenant,
        user_id=user_id,
        created_at=now,
        expires_at=expiry(now, settings.refresh_token_validity, deadline),
        absolute_deadline=deadline,
        access_payload=access_payload,
        session_data=session_data,
        refresh_hash=hash_secret(secret),
        prev_refresh_hash=None,
        rotated_at=None,
        device=device,
    )
    return record, f"{handle}.{secret}"
