"""Refresh-token rotation: what a presented refresh token means for its session.

After SuperTokens core 12.1 and RFC 9700 §4.14. The current token rotates (previous :=
current, current := child, expiry slides). The previous token stays usable for a grace
window and yields the same child, so parallel tabs and lost responses converge without
a write. Any other token of the session — an older ancestor, or the previous one after
the window — is reuse: the session is revoked.

Core first tries `rotation` blind: one update conditioned on the presented token being
the current one (and on the new expiry not passing the deadline). Only when that updates
nothing does it read the record and `decide`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sessionjar._handles import child_secret, hash_secret
from sessionjar.storage import SessionPatch, SessionRecord

__all__ = ["Rotate", "Reuse", "Theft", "Outcome", "rotation", "decide", "is_live", "expiry"]


@dataclass(frozen=True, slots=True)
class Rotate:
    """The current token was presented: write ``patch``, hand out ``child``.

    ``presented`` is the hash of the presented secret: the ``refresh_hash`` an update
    conditioned on the presented token being the current one expects.
    """

    patch: SessionPatch
    child: str
    presented: str


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


def rotation(
    handle: str,
    secret: str,
    *,
    key: bytes,
    now: datetime,
    refresh_validity: timedelta,
    deadline: datetime | None,
) -> Rotate:
    """Return the rotation of the current refresh ``secret`` of session ``handle``.

    Args:
        key: the refresh key children are derived with.
        deadline: the session's absolute deadline, which the new expiry never passes.
    """
    child = child_secret(key, handle, secret)
    presented = hash_secret(secret)
    patch = SessionPatch(
        expires_at=expiry(now, refresh_validity, deadline),
        refresh_hash=hash_secret(child),
        prev_refresh_hash=presented,
        rotated_at=now,
    )
    return Rotate(patch, child, presented)


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

    Args:
        key: the refresh key children are derived with.
    """
    rotate = rotation(
        record.handle,
        secret,
        key=key,
        now=now,
        refresh_validity=refresh_validity,
        deadline=record.absolute_deadline,
    )
    presented = rotate.presented
    if _same(presented, record.refresh_hash):
        return rotate
    if (
        record.prev_refresh_hash is not None
        and _same(presented, record.prev_refresh_hash)
        and record.rotated_at is not None
        and now < record.rotated_at + grace_window
        and _same(hash_secret(rotate.child), record.refresh_hash)
    ):
        return Reuse(rotate.child)
    return Theft()
