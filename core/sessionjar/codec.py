"""Flat encodings of the storage records, shared by drivers whose backends hold rows.

A *row* holds only `str`, `int` and `None`: times as integer milliseconds since the
Unix epoch (UTC), JSON objects as compact JSON text. Key/value stores (Redis hashes,
SQLite rows) keep rows as they are; drivers with richer types convert single fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Final, TypeAlias

from sessionjar._json import dumps, loads
from sessionjar.errors import StorageUnavailable
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = [
    "Row",
    "SESSION_FIELDS",
    "SIGNING_KEY_FIELDS",
    "to_millis",
    "from_millis",
    "session_to_row",
    "session_from_row",
    "patch_to_row",
    "signing_key_to_row",
    "signing_key_from_row",
]

Row: TypeAlias = dict[str, str | int | None]
"""A record flattened to text, integers and nulls."""

SESSION_FIELDS: Final = (
    "handle", "tenant", "user_id", "created_at", "expires_at", "absolute_deadline",
    "access_payload", "session_data", "refresh_hash", "prev_refresh_hash", "rotated_at",
    "version",
)  # fmt: skip
"""Field names of a session row, in `SessionRecord` order."""

SIGNING_KEY_FIELDS: Final = (
    "kid", "algorithm", "private_jwk", "created_at", "not_before", "expires_at",
)  # fmt: skip
"""Field names of a signing-key row, in `SigningKeyRecord` order."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TIMES: Final = frozenset(
    {"created_at", "expires_at", "absolute_deadline", "rotated_at", "not_before"}
)
_JSON: Final = frozenset({"access_payload", "session_data", "private_jwk"})


def to_millis(moment: datetime) -> int:
    """Return a timezone-aware `datetime` as integer milliseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: int) -> datetime:
    """Return the UTC `datetime` of integer milliseconds since the epoch."""
    return _EPOCH + timedelta(milliseconds=millis)


def _encode(name: str, value: object) -> str | int | None:
    if value is None:
        return None
    if name in _TIMES:
        assert isinstance(value, datetime)
        return to_millis(value)
    if name in _JSON:
        return dumps(value)  # type: ignore[arg-type]
    assert isinstance(value, str | int)
    return value


def _decode(name: str, value: str | int | bytes | None) -> object:
    if isinstance(value, bytes):
        value = value.decode()
    if value is None:
        return None
    if name in _TIMES:
        return from_millis(int(value))
    if name in _JSON:
        return loads(str(value))
    if name == "version":
        return int(value)
    return value


def session_to_row(record: SessionRecord) -> Row:
    """Flatten a session record to a row."""
    return {name: _encode(name, getattr(record, name)) for name in SESSION_FIELDS}


def patch_to_row(patch: SessionPatch) -> Row:
    """Flatten the fields a patch sets to a (partial) row."""
    return {name: _encode(name, value) for name, value in patch.changes().items()}


def session_from_row(row: Mapping[str, str | int | bytes | None]) -> SessionRecord:
    """Rebuild a session record from a row (bytes values are decoded as UTF-8).

    :raises StorageUnavailable: the row is missing fields or holds unreadable values.
    """
    try:
        fields = {name: _decode(name, row.get(name)) for name in SESSION_FIELDS}
        return SessionRecord(**fields)  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError) as exc:
        raise StorageUnavailable(
            f"the store returned an unreadable session record: {exc}"
        ) from exc


def signing_key_to_row(key: SigningKeyRecord) -> Row:
    """Flatten a signing-key record to a row."""
    return {name: _encode(name, getattr(key, name)) for name in SIGNING_KEY_FIELDS}


def signing_key_from_row(row: Mapping[str, str | int | bytes | None]) -> SigningKeyRecord:
    """Rebuild a signing-key record from a row.

    :raises StorageUnavailable: the row is missing fields or holds unreadable values.
    """
    try:
        fields = {name: _decode(name, row.get(name)) for name in SIGNING_KEY_FIELDS}
        return SigningKeyRecord(**fields)  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError) as exc:
        raise StorageUnavailable(f"the store returned an unreadable signing key: {exc}") from exc
