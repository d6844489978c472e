"""Type aliases shared across sessionjar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeAlias

__all__ = ["JSONValue", "JSONObject", "Clock"]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""A value that JSON can hold exactly."""

JSONObject: TypeAlias = "dict[str, JSONValue]"
"""A JSON object: access-token payloads and session data are these."""

Clock: TypeAlias = Callable[[], datetime]
"""Returns the current time as a timezone-aware UTC `datetime`; injectable for tests."""
