"""The clock fixture: tests move time forward instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionjar.testing import ManualClock

__all__ = ["START", "clock"]

START = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
"""Where every test clock starts: a whole second, early in a key-rotation week."""


@pytest.fixture
def clock() -> ManualClock:
    """A `sessionjar.testing.ManualClock` standing still at `START`."""
    return ManualClock(START)
