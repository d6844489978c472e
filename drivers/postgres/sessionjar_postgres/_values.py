"""Values into PostgreSQL: what it cannot hold, and JSON it returns exactly.

Rows come back through `sessionjar.codec` (see `Statements`).
"""

from __future__ import annotations

import json
from typing import Any, Final

from sessionjar.drivers import check_record, check_signing_key
from sessionjar.errors import SerializationError
from sessionjar.storage import SessionPatch, SessionRecord, SigningKeyRecord

__all__ = [
    "storable_text",
    "check_storable_record",
    "check_storable_patch",
    "check_storable_key",
    "to_json",
]

# Larger integers make json.dumps fail (Python's int-to-text digit limit, 4300).
_MAX_INT_BITS: Final = 14_000


def storable_text(text: str) -> bool:
    """Tell whether PostgreSQL can hold ``text`` (no NUL character, valid Unicode)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable_record(record: SessionRecord) -> None:
    """Check a record as core's stores do, then for what PostgreSQL cannot hold.

    Raises:
        SerializationError: naming the first field that cannot be stored exactly.
    """
    check_record(record)
    for name in ("handle", "tenant", "user_id", "refresh_hash", "prev_refresh_hash"):
        _check_text(getattr(record, name), name)


def check_storable_patch(patch: SessionPatch) -> None:
    """Check the text a patch sets for what PostgreSQL cannot hold, after `check_update`.

    Raises:
        SerializationError: naming the first field that cannot be stored exactly.
    """
    for name in ("refresh_hash", "prev_refresh_hash"):
        _check_text(getattr(patch, name), name)


def check_storable_key(key: SigningKeyRecord) -> None:
    """Check a signing key as `check_storable_record` does.

    Raises:
        SerializationError: naming the first field that cannot be stored exactly.
    """
    check_signing_key(key)
    _check_text(key.kid, "kid")
    _check_text(key.algorithm, "algorithm")


def _check_text(text: str | None, name: str) -> None:
    if text is not None and "\x00" in text:
        raise SerializationError(f"{name} holds a NUL character, which PostgreSQL cannot hold")


def to_json(value: object, what: str) -> str:
    """Return a checked JSON object as the text of a jsonb value that comes back equal.

    jsonb keeps numbers as ``numeric`` and prints them without an exponent: the float
    ``1e+300`` would come back as the integer 10**300. Such floats are written as their
    exact integral value with a decimal point, which jsonb returns as the same float.

    Raises:
        SerializationError: the object holds a NUL character (in a key or a string)
            or an integer too large to write.
    """
    if _check_jsonb(value, what, "$"):
        return _exact_dumps(value)
    return json.dumps(value)


def _check_jsonb(value: object, what: str, path: str) -> bool:
    """Check what jsonb refuses; tell whether a float needs `_exact_dumps`."""
    if isinstance(value, str):
        if "\x00" in value:
            raise SerializationError(
                f"{what} holds a NUL character, which jsonb cannot hold", path
            )
        return False
    if isinstance(value, dict):
        needs = False
        for key, item in value.items():
            if "\x00" in key:
                raise SerializationError(f"{what} has a key with a NUL character", path)
            needs |= _check_jsonb(item, what, f"{path}.{key}")
        return needs
    if isinstance(value, list):
        needs = False
        for index, item in enumerate(value):
            needs |= _check_jsonb(item, what, f"{path}[{index}]")
        return needs
    if isinstance(value, float):
        return _written_as_integer(value)
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise SerializationError(f"{what} holds an integer too large to write as JSON", path)
    return False


def _written_as_integer(value: float) -> bool:
    return "e+" in repr(value)


def _exact_dumps(value: Any) -> str:
    """Serialize like `json.dumps`, but write exponent floats as integral decimals."""
    if isinstance(value, float) and _written_as_integer(value):
        return f"{int(value)}.0"
    if isinstance(value, dict):
        items = (f"{json.dumps(key)}:{_exact_dumps(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_exact_dumps, value)) + "]"
    return json.dumps(value)
