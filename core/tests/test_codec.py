"""Tests of codec.py: rows read back from storage are decoded strictly, never trusted."""

from __future__ import annotations

from typing import Any, Final

import pytest
from fix_stores import RecordFactory

from sessionjar import StorageUnavailable
from sessionjar.codec import (
    SESSION_FIELDS,
    session_from_row,
    session_from_values,
    session_to_values,
    signing_key_from_row,
)

HOSTILE_JSON: Final[dict[str, Any]] = {
    "deep_array": "[" * 100_000 + "]" * 100_000,
    "deep_object": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "past_max_depth": '{"a":' + "[" * 150 + "]" * 150 + "}",
    "huge_int": '{"n": ' + "9" * 10_000 + "}",
    "huge_float": '{"n": 1e400}',
    "nan": '{"n": NaN}',
    "surrogate": '{"a": "\\udc80"}',
    "surrogate_key": '{"\\ud800": 1}',
    "invalid_utf8": b'{"a": "\xff\xfe"}',
    "array": "[1, 2]",
    "string": '"text"',
    "null": "null",
    "not_json": "{'a': 1}",
    "not_text": 42,
}
"""JSON fields a tampered or broken store may hand back."""

BAD_INTEGERS: Final[dict[str, Any]] = {
    "text": "soon",
    "float": 1.7e12,
    "bool": True,
    "spaces": " 17 ",
    "underscores": "1_000",
    "unicode_digits": "١٢٣",
    "huge": 10**30,
    "huge_text": "9" * 30,
    "bytes_text": b"abc",
}
"""Time or version values that are no integer as a store keeps one."""


def values_with(record_values: tuple[Any, ...], name: str, value: object) -> list[object]:
    values = list(record_values)
    values[SESSION_FIELDS.index(name)] = value
    return values


@pytest.mark.parametrize("case", HOSTILE_JSON)
@pytest.mark.parametrize("field", ["access_payload", "session_data"])
def test_hostile_session_json_is_unreadable(
    new_record: RecordFactory, field: str, case: str
) -> None:
    values = values_with(session_to_values(new_record("h1")), field, HOSTILE_JSON[case])
    with pytest.raises(StorageUnavailable, match="unreadable session record"):
        session_from_values(values)


@pytest.mark.parametrize("case", BAD_INTEGERS)
@pytest.mark.parametrize("field", ["created_at", "expires_at", "rotated_at", "version"])
def test_values_that_are_not_integers_are_unreadable(
    new_record: RecordFactory, field: str, case: str
) -> None:
    values = values_with(session_to_values(new_record("h1")), field, BAD_INTEGERS[case])
    with pytest.raises(StorageUnavailable, match="unreadable session record"):
        session_from_values(values)


@pytest.mark.parametrize("field", ["handle", "tenant", "user_id", "refresh_hash"])
@pytest.mark.parametrize("value", [None, 7, ["a"]])
def test_text_fields_must_be_text(new_record: RecordFactory, field: str, value: object) -> None:
    values = values_with(session_to_values(new_record("h1")), field, value)
    with pytest.raises(StorageUnavailable):
        session_from_values(values)


def test_text_and_bytes_of_a_good_record_decode(new_record: RecordFactory) -> None:
    record = new_record("h1")
    values = session_to_values(record)
    as_text = [str(v) if isinstance(v, int) else v for v in values]
    as_bytes = [v.encode() if isinstance(v, str) else v for v in as_text]
    assert session_from_values(as_text) == record
    assert session_from_values(as_bytes) == record
    assert session_from_row(dict(zip(SESSION_FIELDS, values, strict=True))) == record


@pytest.mark.parametrize("case", HOSTILE_JSON)
def test_hostile_signing_key_json_is_unreadable(case: str) -> None:
    row = {
        "kid": "k1",
        "algorithm": "EdDSA",
        "private_jwk": HOSTILE_JSON[case],
        "created_at": 0,
        "not_before": 0,
        "expires_at": 1,
    }
    with pytest.raises(StorageUnavailable, match="unreadable signing key"):
        signing_key_from_row(row)
