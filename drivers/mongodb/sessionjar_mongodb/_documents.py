"""BSON documents of the storage records, and the filters and updates the stores send.

A document's top-level fields are fixed names chosen here; nothing from a record ever
becomes a field name or an operator. JSON objects are stored as JSON text, so keys that
start with ``$`` or contain ``.`` (which MongoDB treats specially) round-trip exactly,
and so do integers beyond BSON's 64 bits. Times are BSON dates (milliseconds, UTC),
which the TTL index needs; records' times are whole milliseconds already.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sessionjar import SessionPatch, SessionRecord, SigningKeyRecord, StorageUnavailable
from sessionjar.codec import from_millis, patch_to_row, session_to_row, signing_key_to_row

__all__ = [
    "session_document",
    "session_from_document",
    "patch_update",
    "signing_key_document",
    "signing_key_from_document",
    "update_filter",
]

Document = dict[str, Any]

_TIMES: Final = frozenset(
    {"created_at", "expires_at", "absolute_deadline", "rotated_at", "not_before"}
)


def _with_dates(row: Mapping[str, object]) -> Document:
    return {
        name: from_millis(value) if name in _TIMES and isinstance(value, int) else value
        for name, value in row.items()
    }


def session_document(record: SessionRecord) -> Document:
    """Return the document that stores ``record``, keyed by its handle."""
    document = _with_dates(session_to_row(record))
    document["_id"] = document.pop("handle")
    return document


def signing_key_document(key: SigningKeyRecord) -> Document:
    """Return the document that stores ``key``, keyed by its ``kid``."""
    document = _with_dates(signing_key_to_row(key))
    document["_id"] = document.pop("kid")
    return document


def patch_update(patch: SessionPatch) -> Document:
    """Return the update that applies ``patch`` and increments the version."""
    update: Document = {"$inc": {"version": 1}}
    changes = _with_dates(patch_to_row(patch))
    if changes:
        update["$set"] = changes
    return update


def update_filter(
    handle: str,
    patch: SessionPatch,
    *,
    now: datetime,
    expected_version: int | None,
    expected_refresh_hash: str | None,
) -> Document:
    """Return the filter matching the record ``handle`` when `AsyncStore.update` applies
    ``patch`` to it: live at ``now``, at ``expected_version``, holding
    ``expected_refresh_hash``, and with no ``absolute_deadline`` before the new expiry.
    """
    query: Document = {"_id": handle, "expires_at": {"$gt": now}}
    if expected_version is not None:
        query["version"] = expected_version
    if expected_refresh_hash is not None:
        query["refresh_hash"] = expected_refresh_hash
    if patch.expires_at is not None:
        # A null deadline is stored as a BSON null, which {"$gte": date} never matches.
        query["$or"] = [
            {"absolute_deadline": None},
            {"absolute_deadline": {"$gte": patch.expires_at}},
        ]
    return query


def session_from_document(document: Mapping[str, Any]) -> SessionRecord:
    """Rebuild a session record from its document.

    Raises:
        StorageUnavailable: the document is not one `session_document` wrote.
    """
    try:
        return SessionRecord(
            handle=_text(document, "_id"),
            tenant=_text(document, "tenant"),
            user_id=_text(document, "user_id"),
            created_at=_time(document, "created_at"),
            expires_at=_time(document, "expires_at"),
            absolute_deadline=_optional_time(document, "absolute_deadline"),
            access_payload=_json_object(document, "access_payload"),
            session_data=_json_object(document, "session_data"),
            refresh_hash=_text(document, "refresh_hash"),
            prev_refresh_hash=_optional_text(document, "prev_refresh_hash"),
            rotated_at=_optional_time(document, "rotated_at"),
            version=_int(document, "version"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageUnavailable(f"MongoDB returned an unreadable session: {exc!r}") from exc


def signing_key_from_document(document: Mapping[str, Any]) -> SigningKeyRecord:
    """Rebuild a signing-key record from its document.

    Raises:
        StorageUnavailable: the document is not one `signing_key_document` wrote.
    """
    try:
        return SigningKeyRecord(
            kid=_text(document, "_id"),
            algorithm=_text(document, "algorithm"),
            private_jwk=_json_object(document, "private_jwk"),
            created_at=_time(document, "created_at"),
            not_before=_time(document, "not_before"),
            expires_at=_time(document, "expires_at"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageUnavailable(f"MongoDB returned an unreadable signing key: {exc!r}") from exc


def _text(document: Mapping[str, Any], name: str) -> str:
    value = document[name]
    if type(value) is not str:
        raise TypeError(f"{name} is a {type(value).__name__}, not a str")
    return value


def _optional_text(document: Mapping[str, Any], name: str) -> str | None:
    return None if document[name] is None else _text(document, name)


def _int(document: Mapping[str, Any], name: str) -> int:
    value = document[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} is a {type(value).__name__}, not an int")
    return int(value)  # BSON's Int64 is an int subclass


def _time(document: Mapping[str, Any], name: str) -> datetime:
    value = document[name]
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TypeError(f"{name} is not a timezone-aware date: {value!r}")
    return value.astimezone(UTC)


def _optional_time(document: Mapping[str, Any], name: str) -> datetime | None:
    return None if document[name] is None else _time(document, name)


def _json_object(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = json.loads(_text(document, name))
    if type(value) is not dict:
        raise TypeError(f"{name} does not hold a JSON object")
    return value
