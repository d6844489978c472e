"""A clock that moves only when a test moves it, and managers on a fresh ``memory://`` store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sessionjar import AsyncSessionManager, SessionManager, open_async_store, open_store
from sessionjar._clock import utc_now

__all__ = ["ManualClock", "memory_manager", "async_memory_manager"]


class ManualClock:
    """A `sessionjar.Clock` that stands still until a test moves it.

    Pass it as a manager's ``clock`` to test expiry without sleeping: access tokens,
    sessions and signing keys all expire by this clock.
    """

    def __init__(self, start: datetime | None = None) -> None:
        """Start at ``start`` (timezone-aware), or at the current second (UTC)."""
        self.now: datetime = start or datetime.now(UTC).replace(microsecond=0)
        """The time the clock tells; set it to jump."""

    def __call__(self) -> datetime:
        """Return the current time of the clock."""
        return self.now

    def advance(self, delta: timedelta | None = None, /, **units: float) -> datetime:
        """Move forward by ``delta`` and/or `timedelta` keywords (``minutes=16``); return now."""
        self.now += (delta or timedelta()) + timedelta(**units)
        return self.now


def memory_manager(*, clock: ManualClock | None = None, **options: Any) -> SessionManager:
    """Return a `SessionManager` on a fresh, private ``memory://`` store.

    Args:
        clock: the manager's clock, to move time in the test; default: the real time.
        **options: any other `SessionManager` option (``access_token_validity`` ...).

    Storage I/O: none (the store lives in this process and dies with the manager).
    """
    return SessionManager(open_store("memory://"), clock=clock or utc_now, **options)


def async_memory_manager(
    *, clock: ManualClock | None = None, **options: Any
) -> AsyncSessionManager:
    """Return an `AsyncSessionManager` on a fresh, private ``memory://`` store.

    Args:
        clock: the manager's clock, to move time in the test; default: the real time.
        **options: any other `AsyncSessionManager` option.

    Storage I/O: none.
    """
    return AsyncSessionManager(open_async_store("memory://"), clock=clock or utc_now, **options)
