"""Checks a store runs before writing, so that bad input writes nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sessionjar._json import check_json_object
from sessionjar.codec import JSON_FIELDS, SESSION_FIELDS
from sessionjar.errors import ConfigurationError, SerializationError
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = [
    "check_namespace",
    "check_record",
    "check_patch",
    "check_update",
    "check_signing_key",
    "check_handles",
    "check_liveness_query",
    "check_user_query",
    "check_limit",
]

_NAMESPACE_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,48}")
_SESSION_TEXT = ("handle", "tenant", "user_id", "refresh_hash")
_JSON_FIELDS = tuple(name for name in SESSION_FIELDS if name in JSON_FIELDS)
_INT64_MAX: Final = 2**63 - 1


def check_namespace(namespace: str) -> str:
    """Return ``namespace`` if it is 1-48 characters of ``A-Z a-z 0-9 _ -``.

    Raises:
        ConfigurationError: it is not.
    """
    if not isinstance(namespace, str) or not _NAMESPACE_RE.fullmatch(namespace):
        raise ConfigurationError(
            f"invalid namespace {namespace!r}: use 1 to 48 letters, digits, '_' or '-'"
        )
    return namespace


def check_record(record: SessionRecord) -> None:
    """Check that every field of a session record can be stored and read back exactly.

    Raises:
        SerializationError: naming the first field that cannot.
    """
    for name in _SESSION_TEXT:
        _check_text(getattr(record, name), name)
    _check_optional_text(record.prev_refresh_hash, "prev_refresh_hash")
    for name in ("created_at", "expires_at"):
        _check_time(getattr(record, name), name)
    for name in ("absolute_deadline", "rotated_at"):
        if (moment := getattr(record, name)) is not None:
            _check_time(moment, name)
    for name in _JSON_FIELDS:
        check_json_object(getattr(record, name), name)
    if type(record.version) is not int:
        raise SerializationError("version must be an int", "version")


def check_patch(patch: SessionPatch) -> None:
    """Check the fields a patch sets, as `check_record` does.

    Raises:
        SerializationError: naming the first field that cannot be stored.
    """
    for name, value in patch.changes().items():
        if isinstance(value, datetime):
            _check_time(value, name)
        elif name in _JSON_FIELDS:
            check_json_object(value, name)
        else:
            _check_text(value, name)


def check_update(
    patch: SessionPatch, expected_version: object, expected_refresh_hash: object
) -> None:
    """Check the arguments of `AsyncStore.update` as every driver must, before any I/O.

    Raises:
        SerializationError: a field of the patch cannot be stored (see `check_patch`).
        ConfigurationError: ``expected_version`` is not an int or `None`, or
            ``expected_refresh_hash`` not a str or `None`; neither may act as an operator.
    """
    check_patch(patch)
    if expected_version is not None and type(expected_version) is not int:
        raise ConfigurationError("expected_version must be an int or None")
    if expected_refresh_hash is not None and not isinstance(expected_refresh_hash, str):
        raise ConfigurationError("expected_refresh_hash must be a str or None")


def check_signing_key(key: SigningKeyRecord) -> None:
    """Check that every field of a signing key can be stored and read back exactly.

    Raises:
        SerializationError: naming the first field that cannot.
    """
    _check_text(key.kid, "kid")
    _check_text(key.algorithm, "algorithm")
    check_json_object(key.private_jwk, "private_jwk")
    for name in ("created_at", "not_before", "expires_at"):
        _check_time(getattr(key, name), name)


def check_handles(handles: Sequence[str]) -> None:
    """Check that ``handles`` is a sequence of handles, not one handle.

    Raises:
        ConfigurationError: it is a single string, or holds something else than text.
    """
    if isinstance(handles, str) or not all(isinstance(h, str) for h in handles):
        raise ConfigurationError("handles must be a sequence of str (not a single str)")


def check_liveness_query(handle: object, tenant: object, user_id: object, now: object) -> None:
    """Check the arguments of `AsyncStore.is_live` as every driver must, before any I/O.

    Text that no handle, tenant or user id holds is fine: it is matched literally and
    is not live.

    Raises:
        ConfigurationError: ``handle``, ``tenant`` or ``user_id`` is not a str (it could
            act as an operator), or ``now`` is not a timezone-aware datetime.
    """
    _check_query_text("handle", handle)
    check_user_query(tenant, user_id, now)


def check_user_query(tenant: object, user_id: object, now: object) -> None:
    """Check the arguments of `AsyncStore.list_sessions_for_user` as every driver must,
    before any I/O.

    Text that no tenant or user id holds is fine: it is matched literally, and matches
    nothing.

    Raises:
        ConfigurationError: ``tenant`` or ``user_id`` is not a str (it could act as an
            operator), or ``now`` is not a timezone-aware datetime.
    """
    _check_query_text("tenant", tenant)
    _check_query_text("user_id", user_id)
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ConfigurationError("now must be a timezone-aware datetime")


def check_limit(limit: object) -> None:
    """Check the ``limit`` of `AsyncStore.delete_expired` as every driver must, before
    any I/O: `None` (no limit) or a positive int that fits a signed 64-bit integer,
    as every backend can take it.

    Raises:
        ConfigurationError: it is anything else (zero, negative, above ``2**63 - 1``, a
            bool, a float, text).
    """
    if limit is not None and (type(limit) is not int or not 1 <= limit <= _INT64_MAX):
        raise ConfigurationError(f"limit must be a positive int or None, not {limit!r}")


def _check_query_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a str, not {type(value).__name__}")


def _check_text(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise SerializationError(f"{name} must be a str, not {type(value).__name__}", name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SerializationError(f"{name} is not valid Unicode text", name) from exc


def _check_optional_text(value: object, name: str) -> None:
    if value is not None:
        _check_text(value, name)


def _check_time(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise SerializationError(f"{name} must be a timezone-aware datetime", name)
    if value.microsecond % 1000:
        raise SerializationError(f"{name} must have whole milliseconds", name)
