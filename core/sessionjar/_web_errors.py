"""The responses session errors become in the web layer.

Shared by the Flask and ASGI adapters, which render an `ErrorReply` as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessionjar._types import JSONObject
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ClaimValidationError,
    SessionjarError,
    SessionLimitReached,
    SessionRequired,
    StorageError,
    TokenTheftDetected,
    TryRefreshToken,
    UnauthorisedError,
)

__all__ = ["ErrorReply", "default_error_reply"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReply:
    """The response a session error becomes, before a framework renders it."""

    status: int
    """HTTP status code."""
    body: JSONObject
    """JSON body."""
    clear_tokens: bool = False
    """Whether the client's tokens are cleared (cookies expired, empty token headers)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers."""


def default_error_reply(error: SessionjarError) -> ErrorReply | None:
    """Map a session error to its response; `None` for errors that are not the client's.

    Expired access token → 401 ``try_refresh_token`` (tokens kept, so the client
    refreshes); no token → 401 ``unauthorised``; bad, revoked or expired session → 401
    ``unauthorised`` with tokens cleared; refresh-token reuse → 401
    ``token_theft_detected`` with tokens cleared; failed anti-CSRF check → 403; failed
    claim validators → 403 ``invalid_claim`` listing them in ``claim_validation_errors``
    (tokens kept); a sign-in refused by the session limit → 403
    ``session_limit_reached``; storage down → 503 (fail closed: nothing cleared, nobody
    let in). Configuration and serialization errors are the programmer's and return
    `None`, to surface as 500.
    """
    if isinstance(error, TryRefreshToken):
        return _reply(401, "try_refresh_token", "try refresh token")
    if isinstance(error, SessionRequired):
        return _reply(401, "unauthorised", "no session")
    if isinstance(error, TokenTheftDetected):
        return _reply(401, "token_theft_detected", "token theft detected", clear=True)
    if isinstance(error, UnauthorisedError):
        return _reply(401, "unauthorised", "unauthorised", clear=True)
    if isinstance(error, AntiCsrfCheckFailed):
        return _reply(403, "anti_csrf_check_failed", "anti-CSRF check failed")
    if isinstance(error, ClaimValidationError):
        failed = [failure.to_json() for failure in error.failures]
        body: JSONObject = {
            "error": "invalid_claim",
            "message": "invalid claim",
            "claim_validation_errors": failed,  # type: ignore[dict-item]
        }
        return ErrorReply(status=403, body=body)
    if isinstance(error, SessionLimitReached):
        return _reply(403, "session_limit_reached", "too many sessions: sign out elsewhere")
    if isinstance(error, StorageError):
        return _reply(503, "storage_unavailable", "session storage unavailable")
    return None


def _reply(status: int, code: str, message: str, *, clear: bool = False) -> ErrorReply:
    return ErrorReply(status=status, body={"error": code, "message": message}, clear_tokens=clear)
