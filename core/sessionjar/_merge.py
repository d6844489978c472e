"""Merge patches for session data and access-token payloads: what a merge writes, no I/O.

A merge changes only the top-level keys its patch names (a `None` value removes the key),
so two requests that change different keys both land. The manager applies the result
with the store's compare-and-set and retries when another write won in between.
"""

from __future__ import annotations

from sessionjar._claims import PROTECTED_CLAIMS, check_payload
from sessionjar._json import check_json_object
from sessionjar._types import JSONObject
from sessionjar.errors import ConfigurationError, UpdateConflict

__all__ = [
    "check_data_patch",
    "check_payload_patch",
    "merged",
    "merged_payload",
    "unchanged_since_read",
]


def check_data_patch(patch: object) -> JSONObject:
    """Return ``patch`` if it may be merged into session data.

    Raises:
        SerializationError: it does not round-trip exactly through JSON.
    """
    return check_json_object(patch, "session-data patch")


def check_payload_patch(patch: object) -> JSONObject:
    """Return ``patch`` if it may be merged into an access-token payload.

    Raises:
        SerializationError: it does not round-trip exactly through JSON.
        ConfigurationError: it names a protected claim, even to remove it.
    """
    checked = check_json_object(patch, "access-token payload patch")
    clash = PROTECTED_CLAIMS.intersection(checked)
    if clash:
        raise ConfigurationError(
            f"the access-token payload may not set the protected claims {sorted(clash)}"
        )
    return checked


def merged(base: JSONObject, patch: JSONObject) -> JSONObject:
    """Return a new object: ``base`` with the keys of ``patch`` set, or removed where `None`."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def merged_payload(base: JSONObject, patch: JSONObject) -> JSONObject:
    """Return `merged` of an access-token payload, checked as `check_payload` does."""
    return check_payload(merged(base, patch))


def unchanged_since_read(handle: str, current: JSONObject, expected: JSONObject) -> None:
    """Refuse a compare-and-set whose caller read data that has changed since.

    Raises:
        UpdateConflict: ``current`` is not ``expected``.
    """
    if current != expected:
        raise UpdateConflict(handle, "session_data", attempts=1)
