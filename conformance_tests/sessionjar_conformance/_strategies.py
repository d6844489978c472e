"""Hypothesis strategies for the values a driver must store exactly."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from sessionjar import JSONObject, JSONValue

__all__ = ["json_objects", "same_json"]

# Any Unicode scalar but NUL (which some backends may refuse with SerializationError).
_TEXT: Final = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
_SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUES: Final = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=24,
)

json_objects: Final[st.SearchStrategy[JSONObject]] = st.dictionaries(_TEXT, _VALUES, max_size=6)
"""JSON objects of any shape: nested, unicode keys, 64-bit ints, any finite float."""


def same_json(got: JSONValue, expected: JSONValue) -> bool:
    """Tell whether two JSON values are equal with the same types (``1`` is not ``1.0``)."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, dict):
        assert isinstance(got, dict)
        return got.keys() == expected.keys() and all(
            same_json(got[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        assert isinstance(got, list)
        return len(got) == len(expected) and all(map(same_json, got, expected))
    return got == expected
