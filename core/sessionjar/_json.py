"""Checks that a value round-trips exactly through JSON, before anything is written."""

from __future__ import annotations

import json
import math
from typing import Final, cast

from sessionjar._types import JSONObject
from sessionjar.errors import SerializationError

__all__ = ["MAX_DEPTH", "check_json_object", "dumps", "loads_object"]

MAX_DEPTH: Final = 100
"""Deepest nesting of objects and lists accepted: far beyond real session data, far
below the recursion limit, and a bound that turns a cyclic value into a clear error."""


def check_json_object(value: object, what: str) -> JSONObject:
    """Return ``value`` if it is a JSON object that round-trips exactly.

    Args:
        value: the candidate object.
        what: what the value is, for the error message ("session data", say).

    Raises:
        SerializationError: naming the path of the first value that would not
            come back equal: NaN and infinities, bytes, sets, tuples, non-string keys,
            strings that are not valid Unicode (lone surrogates), nesting deeper than
            `MAX_DEPTH` (a value that contains itself, say), anything not JSON.
    """
    if not isinstance(value, dict):
        raise SerializationError(f"{what} must be a JSON object, not {type(value).__name__}")
    _check(value, what, "$", 0)
    return cast(JSONObject, value)


def _check(value: object, what: str, path: str, depth: int) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SerializationError(f"{what} holds {value!r}, which JSON cannot hold", path)
        return
    if isinstance(value, str):
        _check_text(value, what, path)
        return
    if type(value) in (list, dict) and depth >= MAX_DEPTH:
        raise SerializationError(f"{what} is nested deeper than {MAX_DEPTH} levels", path)
    if type(value) is list:
        for index, item in enumerate(value):
            _check(item, what, f"{path}[{index}]", depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise SerializationError(f"{what} has a non-string key {key!r}", path)
            _check_text(key, what, path)
            _check(item, what, f"{path}.{key}", depth + 1)
        return
    raise SerializationError(f"{what} holds a {type(value).__name__}, which is not JSON", path)


def _check_text(text: str, what: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SerializationError(f"{what} holds text that is not valid Unicode", path) from exc


# One encoder for every call: json.dumps builds a new one whenever it is given options.
_ENCODER: Final = json.JSONEncoder(
    separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
)


def dumps(value: JSONObject) -> str:
    """Serialize a checked JSON object compactly (keys sorted, UTF-8 text kept as is)."""
    return _ENCODER.encode(value)


def loads_object(text: object) -> JSONObject:
    """Parse JSON text read back from storage into an object that round-trips exactly.

    Stored bytes are outside input: whatever they hold, the one error is `ValueError`.

    Raises:
        ValueError: ``text`` is not text, not valid UTF-8, not JSON, nested past
            the recursion limit or `MAX_DEPTH`, a number of more than 4300 digits, or a
            JSON value that is not an object or would not round-trip (lone surrogates,
            numbers too large for a float).
    """
    if not isinstance(text, str | bytes):
        raise ValueError(f"stored JSON must be text, not {type(text).__name__}")
    try:
        value = json.loads(text)
        return check_json_object(value, "stored JSON")
    except (ValueError, RecursionError, SerializationError) as exc:
        raise ValueError(f"unreadable JSON: {type(exc).__name__}: {exc}"[:200]) from None
