"""Per-user session limits and the session-data size limit: the decisions, no I/O.

Why ranking and not counting: two sign-ins at once in two processes each see the other's
session or not, depending on timing, so a count decides differently in each. A ranking of
the user's live sessions by (``created_at``, ``handle``) is the same in every process
that reads the same records, so each one deletes the same sessions, and whichever
process reads last (it sees every insert before its read) leaves the user at the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, final

from sessionjar._json import dumps
from sessionjar._rotation import is_live
from sessionjar._types import JSONObject
from sessionjar.errors import ConfigurationError, SessionDataTooLarge
from sessionjar.storage import SessionRecord

__all__ = [
    "DEFAULT_MAX_SESSION_DATA_SIZE",
    "LimitPolicy",
    "SessionLimit",
    "UserLimits",
    "beyond_limit",
    "check_data_size",
]

DEFAULT_MAX_SESSION_DATA_SIZE: Final = 64 * 1024
"""Default largest session data, in bytes of JSON as stored (64 KiB)."""

LimitPolicy = Literal["refuse", "revoke_oldest"]
"""What a sign-in past the limit does: refuse the new session, or revoke the oldest."""


@final
@dataclass(frozen=True, slots=True)
class SessionLimit:
    """The most live sessions a user may have in a tenant, and what happens past it.

    Args:
        max_sessions: the most live sessions per user and tenant (>= 1).
        policy: ``"revoke_oldest"`` (the default) keeps the newest ``max_sessions``
            and revokes the others; ``"refuse"`` keeps the oldest and refuses a new
            session with `SessionLimitReached`.

    Raises:
        ConfigurationError: ``max_sessions`` is not an int >= 1, or an unknown policy.
    """

    __module__ = "sessionjar"

    max_sessions: int
    policy: LimitPolicy = "revoke_oldest"

    def __post_init__(self) -> None:
        if type(self.max_sessions) is not int or self.max_sessions < 1:
            raise ConfigurationError("max_sessions must be an int >= 1")
        if self.policy not in ("refuse", "revoke_oldest"):
            raise ConfigurationError(
                f"the session-limit policy must be 'refuse' or 'revoke_oldest', "
                f"not {self.policy!r}"
            )


@dataclass(frozen=True, slots=True)
class UserLimits:
    """A manager's checked limits and device options."""

    max_data_size: int | None
    """Largest session data in bytes of JSON as stored, or `None`."""
    session_limit: SessionLimit | None
    """Most live sessions per user and tenant, or `None`."""
    truncate_ips: bool
    """Whether device records keep only the network of an IP address."""

    @classmethod
    def checked(
        cls, max_data_size: object, session_limit: object, truncate_ips: object
    ) -> UserLimits:
        """Return the limits after checking each one.

        Raises:
            ConfigurationError: a size that is not a positive int (or `None`), a limit
                that is not a `SessionLimit` (or `None`), a flag that is not a bool.
        """
        if max_data_size is not None and (type(max_data_size) is not int or max_data_size < 2):
            raise ConfigurationError("max_session_data_size must be an int >= 2, or None")
        if session_limit is not None and not isinstance(session_limit, SessionLimit):
            raise ConfigurationError("session_limit must be a SessionLimit, or None")
        if not isinstance(truncate_ips, bool):
            raise ConfigurationError("truncate_ips must be a bool")
        return cls(max_data_size, session_limit, truncate_ips)


def beyond_limit(
    records: Iterable[SessionRecord], limit: SessionLimit, now: datetime
) -> list[str]:
    """Return the handles of the live sessions that the limit does not keep.

    The live sessions are ranked by (``created_at``, ``handle``): ``"revoke_oldest"``
    keeps the last ``max_sessions`` of them, ``"refuse"`` the first.
    """
    ranked = sorted(
        (record for record in records if is_live(record, now)),
        key=lambda record: (record.created_at, record.handle),
    )
    excess = len(ranked) - limit.max_sessions
    if excess <= 0:
        return []
    kept_out = ranked[limit.max_sessions :] if limit.policy == "refuse" else ranked[:excess]
    return [record.handle for record in kept_out]


def check_data_size(data: JSONObject, limit: int | None) -> JSONObject:
    """Return checked session ``data`` if its stored form fits in ``limit`` bytes.

    The stored form is the compact JSON every driver writes (through
    `sessionjar.codec`), in UTF-8. `None` means no limit.

    Raises:
        SessionDataTooLarge: the data is larger; nothing is written.
    """
    if limit is None:
        return data
    text = dumps(data)
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes: skip the encoding
        return data
    size = len(text.encode("utf-8"))
    if size > limit:
        raise SessionDataTooLarge(size, limit)
    return data
