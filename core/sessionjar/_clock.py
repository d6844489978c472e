"""The default clock: the current UTC time truncated to whole milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

from sessionjar._types import Clock
from sessionjar.errors import ConfigurationError

__all__ = ["utc_now", "truncate", "store_clock"]


def truncate(moment: datetime) -> datetime:
    """Return ``moment`` in UTC with its microseconds cut to whole milliseconds.

    Raises:
        ConfigurationError: ``moment`` is naive (its time zone is unknown).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ConfigurationError("the clock must return timezone-aware datetimes")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def store_clock(clock: Clock) -> Clock:
    """Return ``clock`` as core uses it: UTC, whole milliseconds, as the store expects."""
    if clock is utc_now:
        return clock
    return lambda: truncate(clock())


def utc_now() -> datetime:
    """Return the current UTC time with whole milliseconds; the default `Clock`."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
