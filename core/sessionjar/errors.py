"""The exceptions sessionjar raises, grouped by who has to act.

::

    SessionjarError
     ├── ClientError                 the client must act (refresh, log in, prove intent)
     │    ├── TryRefreshToken        access token expired: call refresh
     │    ├── AntiCsrfCheckFailed    an unsafe cookie-borne request failed the CSRF check
     │    ├── ClaimValidationError   the session's claims fail a route's validators
     │    ├── SessionLimitReached    the user has as many sessions as allowed: sign one out
     │    └── UnauthorisedError      no valid session: log in again
     │         ├── InvalidTokenError     malformed, forged or foreign token
     │         ├── SessionNotFound       revoked, expired or never existed
     │         ├── TokenTheftDetected    a refresh token was reused; session revoked
     │         └── SessionRequired       the request carries no session token at all
     ├── StorageError                the operator must act
     │    ├── StorageUnavailable     backend down, timed out, or answered nonsense
     │    └── DuplicateHandle        create() met an existing handle
     ├── UpdateConflict              the application must act: re-read, then decide
     └── ConfigurationError          the programmer must act
          ├── DriverNotFound         no installed driver for a URL scheme
          ├── DriverConflict         two drivers claim one scheme
          ├── InvalidHandle          a handle argument is not a well-formed handle
          ├── SerializationError     a value cannot round-trip through JSON exactly
          └── SessionDataTooLarge    session data larger than the manager allows

Every error keeps its facts in attributes as well as in its message, and pickles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sessionjar.claims import ClaimFailure
    from sessionjar.session import Session
    from sessionjar.session_async import AsyncSession

__all__ = [
    "SessionjarError",
    "ClientError",
    "TryRefreshToken",
    "UnauthorisedError",
    "InvalidTokenError",
    "SessionNotFound",
    "TokenTheftDetected",
    "SessionRequired",
    "AntiCsrfCheckFailed",
    "ClaimValidationError",
    "SessionLimitReached",
    "StorageError",
    "StorageUnavailable",
    "DuplicateHandle",
    "UpdateConflict",
    "ConfigurationError",
    "DriverNotFound",
    "DriverConflict",
    "InvalidHandle",
    "SerializationError",
    "SessionDataTooLarge",
]


class SessionjarError(Exception):
    """Raised for every error of sessionjar; the base of the whole tree."""

    __module__ = "sessionjar"


class ClientError(SessionjarError):
    """Raised when the client has to act: refresh its tokens, log in again, or send the
    anti-CSRF header.

    Parent: `SessionjarError`.
    """

    __module__ = "sessionjar"


class TryRefreshToken(ClientError):
    """Raised when an access token has expired but may be refreshed.

    Parent: `ClientError`.
    """

    __module__ = "sessionjar"


class UnauthorisedError(ClientError):
    """Raised when there is no valid session: the user has to log in again.

    Parent: `ClientError`.
    """

    __module__ = "sessionjar"


class InvalidTokenError(UnauthorisedError):
    """Raised when a token is malformed, forged, foreign or otherwise not ours.

    Parent: `UnauthorisedError`.
    """

    __module__ = "sessionjar"


class SessionNotFound(UnauthorisedError):
    """Raised when a session was revoked, has expired or never existed.

    Parent: `UnauthorisedError`.
    """

    __module__ = "sessionjar"

    def __init__(self, handle: str, message: str | None = None) -> None:
        self.handle = handle
        super().__init__(message or f"session {handle!r} does not exist or has expired")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.handle, str(self)))


class TokenTheftDetected(UnauthorisedError):
    """Raised when a refresh token is reused; the session has been revoked.

    Parent: `UnauthorisedError`.
    """

    __module__ = "sessionjar"

    def __init__(self, handle: str, user_id: str) -> None:
        self.handle = handle
        self.user_id = user_id
        super().__init__(
            f"refresh token reuse detected on session {handle!r} of user {user_id!r}; "
            "the session has been revoked"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.handle, self.user_id))


class SessionRequired(UnauthorisedError):
    """Raised when a route needs a session and the request carries no token at all.

    Parent: `UnauthorisedError`. Unlike a bad token, it clears nothing: the web layer
    answers 401 and leaves the client's cookies alone.
    """

    __module__ = "sessionjar"


class AntiCsrfCheckFailed(ClientError):
    """Raised when a cookie-borne request that changes state fails the anti-CSRF check.

    Parent: `ClientError`. The session is untouched; the web layer answers 403.
    """

    __module__ = "sessionjar"


class ClaimValidationError(ClientError):
    """Raised when a session's claims fail validators (a missing role, an unverified
    e-mail …): the user may not do this, though the session is valid.

    Parent: `ClientError`. ``failures`` lists each failed claim's key and reason;
    ``session`` is the checked session (with a new access token when values were fetched
    again), or `None` once unpickled. The web layer answers 403 and keeps the tokens.
    """

    __module__ = "sessionjar"

    def __init__(
        self, failures: list[ClaimFailure], session: AsyncSession | Session | None = None
    ) -> None:
        self.failures = failures
        self.session = session
        keys = ", ".join(dict.fromkeys(failure.key for failure in failures))
        super().__init__(f"the session's claims fail validation: {keys}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.failures,))


class SessionLimitReached(ClientError):
    """Raised when a user already has as many live sessions as the manager's
    `SessionLimit` allows, under its ``"refuse"`` policy: the new session is not kept.

    Parent: `ClientError`. The user signs out elsewhere (see `list_devices`), then
    signs in again; the web layer answers 403 ``session_limit_reached``.
    """

    __module__ = "sessionjar"

    def __init__(self, user_id: str, tenant: str, limit: int) -> None:
        self.user_id = user_id
        self.tenant = tenant
        self.limit = limit
        super().__init__(
            f"user {user_id!r} of tenant {tenant!r} already has {limit} live "
            f"session{'s' if limit != 1 else ''}, the most allowed"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.user_id, self.tenant, self.limit))


class StorageError(SessionjarError):
    """Raised when the storage backend fails; the operator has to act.

    Parent: `SessionjarError`.
    """

    __module__ = "sessionjar"


class StorageUnavailable(StorageError):
    """Raised when the backend is down, times out or answers something unusable.

    Parent: `StorageError`. Drivers raise it ``from`` the backend's own exception.
    """

    __module__ = "sessionjar"


class DuplicateHandle(StorageError):
    """Raised when `create` meets a record that already has the handle.

    Parent: `StorageError`.
    """

    __module__ = "sessionjar"

    def __init__(self, handle: str) -> None:
        self.handle = handle
        super().__init__(f"a session with handle {handle!r} already exists")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.handle,))


class UpdateConflict(SessionjarError):
    """Raised when a conditional update lost to another write: the session data is no
    longer what the caller read, or a merge kept losing the race for ``attempts`` tries.

    The application acts: re-read and decide again (or back off). Nothing was written.
    Parent: `SessionjarError`.
    """

    __module__ = "sessionjar"

    def __init__(self, handle: str, field: str, *, attempts: int) -> None:
        self.handle = handle
        self.field = field
        self.attempts = attempts
        super().__init__(
            f"the {field} of session {handle!r} changed under the update "
            f"({attempts} attempt{'s' if attempts != 1 else ''}); nothing was written"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_update_conflict, (self.handle, self.field, self.attempts))


def _rebuild_update_conflict(handle: str, field: str, attempts: int) -> UpdateConflict:
    return UpdateConflict(handle, field, attempts=attempts)


class ConfigurationError(SessionjarError):
    """Raised when sessionjar is configured or called wrongly; the programmer has to act.

    Parent: `SessionjarError`.
    """

    __module__ = "sessionjar"


class DriverNotFound(ConfigurationError):
    """Raised when no installed driver handles a URL scheme.

    Parent: `ConfigurationError`. ``install_hint`` says what to ``pip install``;
    ``cause`` describes why a matching plugin failed to load, if one did.
    """

    __module__ = "sessionjar"

    def __init__(self, scheme: str, install_hint: str | None, cause: str | None = None) -> None:
        self.scheme = scheme
        self.install_hint = install_hint
        self.cause = cause
        message = f"no sessionjar driver for URL scheme {scheme!r}"
        if cause:
            message += f" (a plugin for it failed to load: {cause})"
        if install_hint:
            message += f"; install it with: {install_hint}"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.scheme, self.install_hint, self.cause))


class DriverConflict(ConfigurationError):
    """Raised when two drivers claim the same URL scheme.

    Parent: `ConfigurationError`.
    """

    __module__ = "sessionjar"

    def __init__(self, scheme: str, first: str, second: str) -> None:
        self.scheme = scheme
        self.drivers = (first, second)
        super().__init__(
            f"URL scheme {scheme!r} is claimed by two drivers: {first!r} and {second!r}; "
            "uninstall one of them"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.scheme, *self.drivers))


class InvalidHandle(ConfigurationError, ValueError):
    """Raised when a handle argument is not a well-formed session handle.

    Parent: `ConfigurationError` (and `ValueError`). Nothing is read or written.
    """

    __module__ = "sessionjar"


class SerializationError(ConfigurationError, ValueError):
    """Raised when a value cannot round-trip exactly through JSON; nothing is written.

    Parent: `ConfigurationError` (and `ValueError`). ``path`` locates the bad value.
    """

    __module__ = "sessionjar"

    def __init__(self, message: str, path: str = "$") -> None:
        self.reason = message
        self.path = path
        super().__init__(f"{message} (at {path})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.path))


class SessionDataTooLarge(ConfigurationError, ValueError):
    """Raised when session data, as stored (compact JSON in UTF-8), is larger than the
    manager's ``max_session_data_size``; nothing is written.

    Parent: `ConfigurationError` (and `ValueError`). ``size`` and ``limit`` are in bytes.
    """

    __module__ = "sessionjar"

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"session data takes {size} bytes as stored, more than the {limit} allowed; "
            "keep large values elsewhere and store their key"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.size, self.limit))
