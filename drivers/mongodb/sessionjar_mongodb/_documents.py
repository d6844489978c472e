"""BSON documents of the storage records, and the filters and updates the stores send.

A document's top-level fields are fixed names chosen here; nothing from a record ever
becomes a field name or an operator. JSON objects are stored as JSON text, so keys that
start with ``$`` or contain ``.`` (which MongoDB treats specially) round-trip exactly,
and so do integers beyond BSON's 64 bits. Times are BSON dates (milliseconds, UTC),
which the TTL index needs; records' times are whole milliseconds already.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sessionjar import SessionPatch, SessionRecord, SigningKeyRecord, StorageUnavailable
from sessionjar.codec import (
    JSON_FIELDS,
    SESSION_FIELDS,
    SIGNING_KEY_FIELDS,
    TIME_FIELDS,
    from_millis,
    patch_to_row,
    session_from_values,
    session_to_row,
    signing_key_from_row,
    signing_key_to_row,
    to_millis,
)

__all__ = [
    "session_document",
    "session_from_document",
    "patch_update",
    "signing_key_document",
    "signing_key_from_document",
    "update_filter",
    "unchanged",
]

Document = dict[str, Any]

# Fields a document written by an older driver lacks: the codec reads null as their default.
_ADDED_LATER: Final = frozenset({"device"})


def _with_dates(row: Mapping[str, object]) -> Document:
    return {
        name: from_millis(value) if name in TIME_FIELDS and isinstance(value, int) else value
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


def unchanged(document: Mapping[str, Any]) -> Document:
    """Return the filter conditions that a session document is still as read: its version
    (every write increments it) and its JSON text (which no filter could check)."""
    query: Document = {"version": document["version"]}
    for name in _SESSION_JSON:
        query[name] = document.get(name, {"$exists": False})
    return query


def session_from_document(document: Mapping[str, Any]) -> SessionRecord:
    """Rebuild a session record from its document, through `codec.session_from_values`.

    Raises:
        StorageUnavailable: the document is not one `session_document` wrote.
    """
    try:
        values = [_stored(document, name) for name in _SESSION_KEYS]
    except (KeyError, TypeError) as exc:
        raise StorageUnavailable(f"MongoDB returned an unreadable session: {exc!r}") from exc
    return session_from_values(values)


def signing_key_from_document(document: Mapping[str, Any]) -> SigningKeyRecord:
    """Rebuild a signing-key record from its document, through `codec.signing_key_from_row`.

    Raises:
        StorageUnavailable: the document is not one `signing_key_document` wrote.
    """
    try:
        row = {
            name: _stored(document, key)
            for name, key in zip(SIGNING_KEY_FIELDS, _KEY_KEYS, strict=True)
        }
    except (KeyError, TypeError) as exc:
        raise StorageUnavailable(f"MongoDB returned an unreadable signing key: {exc!r}") from exc
    return signing_key_from_row(row)


_SESSION_KEYS: Final = ("_id", *SESSION_FIELDS[1:])
_SESSION_JSON: Final = tuple(name for name in SESSION_FIELDS if name in JSON_FIELDS)
_KEY_KEYS: Final = ("_id", *SIGNING_KEY_FIELDS[1:])


def _stored(document: Mapping[str, Any], name: str) -> Any:
    """Return a field as the codec reads rows: dates as milliseconds, JSON as its text.

    Only the BSON types `session_document` writes pass: a date where a time was
    written (text that looks like a number does not), JSON text where an object was,
    and an ``Int64`` is read as the `int` it is. A ``device`` missing from a document
    written before protocol 4 is read as null, which the codec reads as ``{}``.
    """
    if name in _ADDED_LATER and name not in document:
        return None
    value = document[name]
    if name in TIME_FIELDS:
        if value is None or (isinstance(value, datetime) and value.utcoffset() is not None):
            return None if value is None else to_millis(value)
        raise TypeError(f"{name} is not a timezone-aware date: {value!r}")
    if name in JSON_FIELDS and type(value) is not str:
        raise TypeError(f"{name} is a {type(value).__name__}, not JSON text")
    if name == "version" and isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value
