"""The default clock: the current UTC time truncated to whole milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now", "truncate"]


def truncate(moment: datetime) -> datetime:
    """Return ``moment`` in UTC with its microseconds cut to whole milliseconds."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    """Return the current UTC time with whole milliseconds; the default `Clock`."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
