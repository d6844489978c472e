"""A fake clock: tests move time forward instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

__all__ = ["FakeClock", "clock"]

START = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
"""Where every fake clock starts: a whole second, early in a key-rotation week."""


class FakeClock:
    """A clock that stands still until a test advances it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a `timedelta` given as keywords; return the new time."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at `START`."""
    return FakeClock()
