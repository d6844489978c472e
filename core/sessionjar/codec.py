"""Flat encodings of the storage records, shared by drivers whose backends hold rows.

A *row* holds only `str`, `int` and `None`: times as integer milliseconds since the
Unix epoch (UTC), JSON objects as compact JSON text. Key/value stores (Redis hashes,
SQLite rows) keep rows as they are; drivers with richer types convert single fields.

Reading back is strict: stored bytes may have been tampered with. A value of the wrong
type (text where a time belongs, a JSON array where an object belongs, a float, a bool),
malformed or hostile JSON (deep nesting, huge numbers, invalid UTF-8, lone surrogates)
makes the whole record unreadable: `StorageUnavailable`, never a record that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeAlias

from sessionjar._json import check_json_object, dumps, loads_object
from sessionjar._types import JSONObject
from sessionjar.errors import StorageUnavailable
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = [
    "Row",
    "SESSION_FIELDS",
    "SIGNING_KEY_FIELDS",
    "TIME_FIELDS",
    "JSON_FIELDS",
    "OPTIONAL_SESSION_FIELDS",
    "to_millis",
    "from_millis",
    "session_to_row",
    "session_to_values",
    "session_from_row",
    "session_from_values",
    "patch_to_row",
    "signing_key_to_row",
    "signing_key_from_row",
]

Row: TypeAlias = dict[str, str | int | None]
"""A record flattened to text, integers and nulls."""

Value: TypeAlias = str | int | None
"""One value of a row."""

SESSION_FIELDS: Final = (
    "handle", "tenant", "user_id", "created_at", "expires_at", "absolute_deadline",
    "access_payload", "session_data", "refresh_hash", "prev_refresh_hash", "rotated_at",
    "device", "version",
)  # fmt: skip
"""Field names of a session row, in `SessionRecord` order. A row written before
protocol 4 has no ``device``: it reads as ``{}``."""

SIGNING_KEY_FIELDS: Final = (
    "kid", "algorithm", "private_jwk", "created_at", "not_before", "expires_at",
)  # fmt: skip
"""Field names of a signing-key row, in `SigningKeyRecord` order."""

TIME_FIELDS: Final = frozenset(
    {"created_at", "expires_at", "absolute_deadline", "rotated_at", "not_before"}
)
"""The fields of either row that hold a time (integer milliseconds in a row)."""

JSON_FIELDS: Final = frozenset({"access_payload", "session_data", "device", "private_jwk"})
"""The fields of either row that hold a JSON object (its compact text in a row)."""

OPTIONAL_SESSION_FIELDS: Final = frozenset(
    {"absolute_deadline", "prev_refresh_hash", "rotated_at", "device"}
)
"""The fields of a session row that may be null; every other one is required."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_INTEGER: Final = re.compile(r"-?[0-9]{1,18}")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# what a record that cannot be read back exactly raises, whatever is wrong with it
_UNREADABLE: Final = (TypeError, ValueError, OverflowError, KeyError)


def to_millis(moment: datetime) -> int:
    """Return a timezone-aware `datetime` as integer milliseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: int) -> datetime:
    """Return the UTC `datetime` of integer milliseconds since the epoch."""
    return _EPOCH + timedelta(milliseconds=millis)


def _optional_millis(moment: datetime | None) -> int | None:
    return None if moment is None else to_millis(moment)


def _integer(value: object) -> int:
    # an int as stored: a 64-bit int (never a bool or a float), or its digits (Redis
    # keeps text)
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    if type(value) is str and _INTEGER.fullmatch(value):
        return int(value)
    raise ValueError(f"expected a 64-bit integer, found {type(value).__name__}")


def _time(value: object) -> datetime:
    return from_millis(_integer(value))


def _optional_time(value: object) -> datetime | None:
    return None if value is None else _time(value)


def _text(value: object, name: str) -> str:
    if type(value) is not str:
        raise ValueError(f"{name} must be text, found {type(value).__name__}")
    return value


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _device(value: object) -> JSONObject:
    # rows written before protocol 4 have no device; the client told us nothing then
    return {} if value is None else _json_object(value)


def _json_object(value: object) -> JSONObject:
    # a backend that keeps JSON natively hands back the object already parsed
    return check_json_object(value, "stored JSON") if type(value) is dict else loads_object(value)


def _encode(name: str, value: object) -> str | int | None:
    if value is None:
        return None
    if name in TIME_FIELDS:
        assert isinstance(value, datetime)
        return to_millis(value)
    if name in JSON_FIELDS:
        return dumps(value)  # type: ignore[arg-type]
    assert isinstance(value, str | int)
    return value


def _decode(name: str, value: object) -> object:
    if type(value) is bytes:
        value = value.decode()
    if name in TIME_FIELDS:
        return _time(value)
    if name in JSON_FIELDS:
        return _json_object(value)
    return _text(value, name)


def session_to_row(record: SessionRecord) -> Row:
    """Flatten a session record to a row."""
    return dict(zip(SESSION_FIELDS, session_to_values(record), strict=True))


def session_to_values(record: SessionRecord) -> tuple[Value, ...]:
    """Flatten a session record to the values of its row, in `SESSION_FIELDS` order."""
    return (
        record.handle,
        record.tenant,
        record.user_id,
        to_millis(record.created_at),
        to_millis(record.expires_at),
        _optional_millis(record.absolute_deadline),
        dumps(record.access_payload),
        dumps(record.session_data),
        record.refresh_hash,
        record.prev_refresh_hash,
        _optional_millis(record.rotated_at),
        dumps(record.device),
        record.version,
    )


def patch_to_row(patch: SessionPatch) -> Row:
    """Flatten the fields a patch sets to a (partial) row."""
    return {name: _encode(name, value) for name, value in patch.changes().items()}


def session_from_row(row: Mapping[str, str | int | bytes | None]) -> SessionRecord:
    """Rebuild a session record from a row (bytes values are decoded as UTF-8).

    Raises:
        StorageUnavailable: the row is missing fields or holds unreadable values.
    """
    return session_from_values([row.get(name) for name in SESSION_FIELDS])


def session_from_values(values: Sequence[object]) -> SessionRecord:
    """Rebuild a session record from the values of its row, in `SESSION_FIELDS` order.

    The fast path for backends that return a row's values without their names. Bytes
    values are decoded as UTF-8. A JSON field may also hold the object already parsed,
    for a backend that sends JSON as JSON. A null ``device`` (a row written before
    protocol 4) reads as ``{}``.

    Raises:
        StorageUnavailable: there is not one value per field, a field that cannot
            be null is, or a value is unreadable.
    """
    try:
        decoded: list[Any] = [
            value.decode() if type(value) is bytes else value for value in values
        ]
        (handle, tenant, user_id, created_at, expires_at, absolute_deadline, access_payload,
         session_data, refresh_hash, prev_refresh_hash, rotated_at, device,
         version) = decoded  # fmt: skip
        return SessionRecord(
            handle=_text(handle, "handle"),
            tenant=_text(tenant, "tenant"),
            user_id=_text(user_id, "user_id"),
            created_at=_time(created_at),
            expires_at=_time(expires_at),
            absolute_deadline=_optional_time(absolute_deadline),
            access_payload=_json_object(access_payload),
            session_data=_json_object(session_data),
            refresh_hash=_text(refresh_hash, "refresh_hash"),
            prev_refresh_hash=_optional_text(prev_refresh_hash, "prev_refresh_hash"),
            rotated_at=_optional_time(rotated_at),
            device=_device(device),
            version=_integer(version),
        )
    except _UNREADABLE as exc:
        raise StorageUnavailable(
            f"the store returned an unreadable session record: {exc}"
        ) from exc


def signing_key_to_row(key: SigningKeyRecord) -> Row:
    """Flatten a signing-key record to a row."""
    return {name: _encode(name, getattr(key, name)) for name in SIGNING_KEY_FIELDS}


def signing_key_from_row(row: Mapping[str, str | int | bytes | None]) -> SigningKeyRecord:
    """Rebuild a signing-key record from a row.

    Raises:
        StorageUnavailable: the row is missing fields or holds unreadable values.
    """
    try:
        fields = {name: _decode(name, row.get(name)) for name in SIGNING_KEY_FIELDS}
        return SigningKeyRecord(**fields)  # type: ignore[arg-type]
    except _UNREADABLE as exc:
        raise StorageUnavailable(f"the store returned an unreadable signing key: {exc}") from exc
