"""Checks of a manager's settings and of the names (user ids, tenants) it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sessionjar._keys import check_secret
from sessionjar.errors import ConfigurationError

__all__ = ["Settings", "check_name", "MAX_NAME_LENGTH"]

MAX_NAME_LENGTH: Final = 255
"""Longest user id or tenant accepted, in characters."""


def check_name(value: object, what: str) -> str:
    """Return ``value`` if it can be a user id or a tenant.

    Raises:
        ConfigurationError: not a string, empty, longer than `MAX_NAME_LENGTH`, or
            holding control characters (NUL, CR/LF …) or text that is not valid Unicode.
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"the {what} must be a string, not {type(value).__name__}")
    if not value or len(value) > MAX_NAME_LENGTH:
        raise ConfigurationError(f"the {what} must be 1 to {MAX_NAME_LENGTH} characters long")
    if not value.isprintable():
        raise ConfigurationError(f"the {what} holds control or invalid characters")
    return value


def _positive(value: object, what: str) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(f"the {what} must be a positive timedelta")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The checked settings of a session manager."""

    access_token_validity: timedelta
    refresh_token_validity: timedelta
    absolute_lifetime: timedelta | None
    grace_window: timedelta
    issuer: str
    audience: str | None
    refresh_secret: bytes | str | None
    """Checked and turned into bytes (text is encoded as UTF-8)."""
    token_cache_size: int

    def __post_init__(self) -> None:
        _positive(self.access_token_validity, "access-token validity")
        _positive(self.refresh_token_validity, "refresh-token validity")
        if self.absolute_lifetime is not None:
            _positive(self.absolute_lifetime, "absolute lifetime")
        if not isinstance(self.grace_window, timedelta) or self.grace_window < timedelta(0):
            raise ConfigurationError("the grace window must be a timedelta >= 0")
        if self.access_token_validity.total_seconds() < 1:
            raise ConfigurationError("the access-token validity must be at least one second")
        check_name(self.issuer, "issuer")
        if self.audience is not None:
            check_name(self.audience, "audience")
        size = self.token_cache_size
        if type(size) is not int or size < 0:
            raise ConfigurationError("the token cache size must be an int >= 0 (0 turns it off)")
        if self.refresh_secret is not None:
            secret = check_secret(self.refresh_secret, "refresh secret")
            object.__setattr__(self, "refresh_secret", secret)

    @property
    def refresh_key(self) -> bytes | None:
        """The configured refresh secret as bytes, or `None` to keep one in the store."""
        assert not isinstance(self.refresh_secret, str)
        return self.refresh_secret

    @property
    def access_seconds(self) -> int:
        """The access-token validity in whole seconds."""
        return int(self.access_token_validity.total_seconds())
