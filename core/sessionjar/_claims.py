"""Access-token claims: the protected ones core sets, and the user payload around them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from sessionjar._json import check_json_object
from sessionjar._types import JSONObject
from sessionjar.errors import ConfigurationError

__all__ = [
    "PROTECTED_CLAIMS",
    "MAX_PAYLOAD_LENGTH",
    "check_payload",
    "build_claims",
    "user_payload",
]

PROTECTED_CLAIMS: Final = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "tid", "auth_time"}
)
"""Claims core sets or validates; a user payload may not carry them."""

MAX_PAYLOAD_LENGTH: Final = 4096
"""Longest user payload, in characters of JSON as the token holds it (non-ASCII escaped):
with the protected claims, base64 and the signature, the token stays under 8 KB."""


def check_payload(payload: object) -> JSONObject:
    """Return ``payload`` if it may go into access tokens.

    Raises:
        SerializationError: it does not round-trip exactly through JSON.
        ConfigurationError: it sets a protected claim (`PROTECTED_CLAIMS`), or is
            over `MAX_PAYLOAD_LENGTH` characters of (ASCII-escaped) JSON.
    """
    checked = check_json_object(payload, "access-token payload")
    clash = PROTECTED_CLAIMS.intersection(checked)
    if clash:
        raise ConfigurationError(
            f"the access-token payload may not set the protected claims {sorted(clash)}"
        )
    if len(json.dumps(checked, separators=(",", ":"))) > MAX_PAYLOAD_LENGTH:
        raise ConfigurationError(
            f"the access-token payload is over {MAX_PAYLOAD_LENGTH} characters of JSON; "
            "keep large data in the session data"
        )
    return checked


def build_claims(
    *,
    issuer: str,
    handle: str,
    tenant: str,
    user_id: str,
    created_at: datetime,
    issued_at: int,
    expires_at: int,
    payload: JSONObject,
) -> dict[str, Any]:
    """Return the claims of an access token: the user payload plus the protected claims.

    ``issued_at`` and ``expires_at`` are whole seconds since the epoch, and so is
    ``auth_time`` (when the session was created, rounded down): a NumericDate that
    other services' JWT libraries compare as an integer (RFC 7519 §2, OIDC Core §2).
    """
    claims: dict[str, Any] = dict(payload)
    claims.update(
        iss=issuer,
        sub=user_id,
        sid=handle,
        tid=tenant,
        iat=issued_at,
        exp=expires_at,
        auth_time=int(created_at.timestamp()),
    )
    return claims


def user_payload(claims: dict[str, Any]) -> JSONObject:
    """Return the user payload of verified claims: everything but the protected claims."""
    return {name: value for name, value in claims.items() if name not in PROTECTED_CLAIMS}
