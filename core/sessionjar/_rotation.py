"""Refresh-token rotation: what a presented refresh token means for its session.

After SuperTokens core 12.1 and RFC 9700 §4.14. The current token rotates (previous :=
current, current := child, expiry slides). The previous token stays usable for a grace
window and yields the same child, so parallel tabs and lost responses converge without
a write. Any other token of the session — an older ancestor, or the previous one after
the window — is reuse: the session is revoked.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sessionjar._handles import child_secret, hash_secret
from sessionjar.storage import SessionPatch, SessionRecord

__all__ = ["Rotate", "Reuse", "Theft", "Outcome", "decide", "is_live", "expiry"]


@dataclass(frozen=True, slots=True)
class Rotate:
    """The current token was presented: write ``patch`` (compare-and-set), hand out ``child``."""

    patch: SessionPatch
    child: str


@dataclass(frozen=True, slots=True)
class Reuse:
    """The previous token was presented within the grace window: hand out ``child`` again."""

    child: str


@dataclass(frozen=True, slots=True)
class Theft:
    """Any other token of the session was presented: revoke the session."""


Outcome = Rotate | Reuse | Theft


def is_live(record: SessionRecord, now: datetime) -> bool:
    """Tell whether a record is not expired at ``now`` (``expires_at <= now`` is expired)."""
    return record.expires_at > now


def expiry(now: datetime, validity: timedelta, deadline: datetime | None) -> datetime:
    """Return ``now + validity``, never past the absolute ``deadline``."""
    end = now + validity
    return end if deadline is None or end < deadline else deadline


def _same(presented: str, stored: str) -> bool:
    # constant time: no timing tells how much of a stored hash a guess matched
    return hmac.compare_digest(presented.encode(), stored.encode())


def decide(
    record: SessionRecord,
    secret: str,
    *,
    key: bytes,
    now: datetime,
    grace_window: timedelta,
    refresh_validity: timedelta,
) -> Outcome:
    """Decide what presenting the refresh ``secret`` of a live ``record`` does.

    :param key: the refresh key children are derived with.
    """
    presented = hash_secret(secret)
    child = child_secret(key, record.handle, secret)
    if _same(presented, record.refresh_hash):
        patch = SessionPatch(
            expires_at=expiry(now, refresh_validity, record.absolute_deadline),
            refresh_hash=hash_secret(child),
            prev_refresh_hash=presented,
            rotated_at=now,
        )
        return Rotate(patch, child)
    if (
        record.prev_refresh_hash is not None
        and _same(presented, record.prev_refresh_hash)
        and record.rotated_at is not None
        and now < record.rotated_at + grace_window
        and _same(hash_secret(child), record.refresh_hash)
    ):
        return Reuse(child)
    return Theft()
