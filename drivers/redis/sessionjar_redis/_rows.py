"""Conversions between storage records and the values Redis commands send and receive."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Final

from sessionjar.codec import (
    patch_to_row,
    session_from_values,
    session_to_values,
    signing_key_from_row,
    signing_key_to_row,
    to_millis,
)
from sessionjar.errors import ConfigurationError, StorageUnavailable
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = [
    "TTL_MARGIN",
    "OWNER_FIELD",
    "SUM_FIELD",
    "native_ttl",
    "record_json",
    "update_args",
    "record_from_reply",
    "records_from_reply",
    "key_to_json",
    "key_from_json",
    "handles_from_reply",
    "is_live_reply",
    "millis",
]

TTL_MARGIN: Final = timedelta(minutes=1)
"""How long after its ``expires_at`` Redis itself drops a record (absorbs clock skew)."""

OWNER_FIELD: Final = "ix"
"""The record field holding the owner tag, from which scripts find the owner's index."""

SUM_FIELD: Final = "sum"
"""The record field holding the SHA-1 of its text and JSON fields as the scripts last wrote
them: an update whose record still matches it need not check those fields again."""


def native_ttl(expires_at: datetime, now: datetime) -> int:
    """Return the native TTL in milliseconds of a record expiring at ``expires_at``.

    The TTL is relative, counted from ``now`` on the caller's clock, so that it follows
    ``expires_at`` even when that clock is not the server's.
    """
    remaining = max(expires_at - now, timedelta(0))
    return (remaining + TTL_MARGIN) // timedelta(milliseconds=1)


def record_json(record: SessionRecord, owner: str) -> str:
    """Return a record's values, owner tag last, as the JSON array the create script takes."""
    return _dumps([*map(_text, session_to_values(record)), owner])


def update_args(
    patch: SessionPatch,
    *,
    now: datetime,
    expected_version: int | None,
    expected_refresh_hash: str | None,
) -> str:
    """Return the update script's argument: its conditions, then the patch's fields."""
    expires = patch.expires_at
    args: list[str | int | None] = [
        millis(now, "now"),
        None if expected_version is None else str(expected_version),
        expected_refresh_hash,
        None if expires is None else native_ttl(expires, now),
    ]
    for name, value in patch_to_row(patch).items():
        args += (name, _text(value))
    return _dumps(args)


def _text(value: str | int | None) -> str | None:
    # Hash fields hold text: numbers go as text, so that Lua never reformats them.
    return value if value is None or isinstance(value, str) else str(value)


# One encoder for every call: json.dumps builds a new one when given options.
_dumps: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def record_from_reply(reply: object) -> SessionRecord | None:
    """Rebuild a record from the JSON array of its values, as the scripts return it.

    Raises:
        StorageUnavailable: the reply is not a readable record.
    """
    return None if reply is None else _record(reply)


def _record(text: object) -> SessionRecord:
    try:
        values = json.loads(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise StorageUnavailable("Redis returned an unreadable record") from exc
    if not isinstance(values, list):
        raise StorageUnavailable("Redis returned a malformed record")
    return session_from_values(values)


def records_from_reply(reply: object) -> list[SessionRecord]:
    """Rebuild the records of a script's list of JSON arrays (see `record_from_reply`).

    Raises:
        StorageUnavailable: the reply is not a list of readable records.
    """
    if not isinstance(reply, list):
        raise StorageUnavailable(f"Redis returned {type(reply).__name__} for a list of records")
    return [_record(item) for item in reply]


def key_to_json(key: SigningKeyRecord) -> str:
    """Return a signing key as the JSON text kept in the signing-key hash."""
    return _dumps(signing_key_to_row(key))


def key_from_json(text: object) -> SigningKeyRecord:
    """Rebuild a signing key from its JSON text.

    Raises:
        StorageUnavailable: the text is not a readable signing key.
    """
    try:
        row = json.loads(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise StorageUnavailable("Redis returned an unreadable signing key") from exc
    if not isinstance(row, dict):
        raise StorageUnavailable("Redis returned an unreadable signing key")
    return signing_key_from_row(row)


def handles_from_reply(reply: object) -> list[str]:
    """Return a script's list of handles.

    Raises:
        StorageUnavailable: the reply is not a list of str.
    """
    if not isinstance(reply, list) or not all(isinstance(item, str) for item in reply):
        raise StorageUnavailable(f"Redis returned {type(reply).__name__} for a list of handles")
    return reply


def is_live_reply(reply: object, tenant: str, user_id: str, now_ms: int) -> bool:
    """Tell whether an ``HMGET`` of tenant, user id and expiry shows that owner's live record.

    Raises:
        StorageUnavailable: the record exists but its expiry is not a stored integer.
    """
    if not isinstance(reply, list) or len(reply) != 3:
        raise StorageUnavailable(f"Redis returned {reply!r} for three fields of a session")
    stored_tenant, stored_user, expires = reply
    if stored_tenant is None:
        return False
    if not isinstance(expires, str) or not _INTEGER.fullmatch(expires):
        raise StorageUnavailable("the store returned an unreadable session record: expires_at")
    return stored_tenant == tenant and stored_user == user_id and int(expires) > now_ms


_INTEGER: Final = re.compile(r"-?[0-9]{1,19}")


def millis(moment: object, name: str) -> int:
    """Return a timezone-aware time as integer milliseconds since the epoch.

    Raises:
        ConfigurationError: ``moment`` is not a timezone-aware `datetime`.
    """
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ConfigurationError(f"{name} must be a timezone-aware datetime")
    return to_millis(moment)
