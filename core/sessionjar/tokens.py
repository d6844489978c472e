"""Access tokens: signed JWTs minted and verified in-process, with no storage I/O.

Verification pins the algorithm to the key the ``kid`` header names (never to the
header's ``alg``), refuses ``none``, and refuses tokens carrying key-locating headers
(``jku``, ``x5u``, ``jwk``, ``x5c``) or ``crit``: nothing is ever fetched. Time claims
are checked against the manager's clock, not the wall clock.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import jwt

from sessionjar._claims import build_claims
from sessionjar._handles import MAX_TOKEN_LENGTH, check_token_text
from sessionjar._keys import SigningKey
from sessionjar._types import JSONObject
from sessionjar.errors import ConfigurationError, InvalidTokenError, TryRefreshToken

__all__ = ["AccessClaims", "AccessTokens", "CLOCK_SKEW_SECONDS"]

CLOCK_SKEW_SECONDS: Final = 5
"""How far in the future ``iat`` and ``nbf`` may be (clocks of two servers differ)."""

_FORBIDDEN_HEADERS: Final = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})
_REQUIRED: Final = ["iss", "sub", "sid", "tid", "iat", "exp"]
_OPTIONS: Final[Any] = {
    "verify_exp": False,  # checked below against the injectable clock
    "verify_iat": False,
    "verify_nbf": False,
    "require": _REQUIRED,
}
_HEADER_CACHE_SIZE: Final = 64


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The facts a verified access token states."""

    handle: str
    tenant: str
    user_id: str
    expires_at: int
    """Expiry, seconds since the epoch."""
    created_ms: int
    """Session creation time, milliseconds since the epoch."""
    claims: dict[str, Any]
    """Every claim of the token."""


class AccessTokens:
    """Mints and verifies the access tokens of one issuer."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        # header segment -> key: our tokens repeat one header per key, so the header is
        # parsed and checked once, not on every request.
        self._headers: dict[str, SigningKey] = {}

    def mint(
        self,
        key: SigningKey,
        *,
        handle: str,
        tenant: str,
        user_id: str,
        created_at: datetime,
        issued_at: int,
        expires_at: int,
        payload: JSONObject,
    ) -> str:
        """Return a signed access token; times are whole seconds since the epoch.

        Raises:
            ConfigurationError: the token would be too long to be accepted back.
        """
        claims = build_claims(
            issuer=self.issuer,
            handle=handle,
            tenant=tenant,
            user_id=user_id,
            created_at=created_at,
            issued_at=issued_at,
            expires_at=expires_at,
            payload=payload,
        )
        token = jwt.encode(claims, key.signer, algorithm=key.algorithm, headers={"kid": key.kid})
        if len(token) > MAX_TOKEN_LENGTH:
            raise ConfigurationError(
                f"the access token would be {len(token)} characters long, over the "
                f"{MAX_TOKEN_LENGTH} accepted back: shorten the payload or the names"
            )
        return token

    def verify(self, token: object, keys: Mapping[str, SigningKey], now: float) -> AccessClaims:
        """Return the claims of a valid access token.

        Args:
            keys: the keys that verify, by kid.
            now: the current time, seconds since the epoch.

        Raises:
            InvalidTokenError: malformed, forged, foreign, not yet valid, or signed
                with a key that is not in ``keys``.
            TryRefreshToken: the token is genuine but has expired.
        """
        text = check_token_text(token, "access token")
        segment = text.partition(".")[0]
        key = self._headers.get(segment)
        if key is None or keys.get(key.kid) is not key:
            key = _select_key(segment, keys)
        try:
            claims = jwt.decode(
                text, key.verifier, algorithms=[key.algorithm], issuer=self.issuer,
                options=_OPTIONS,
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"the access token is not valid: {exc}") from exc
        # cache only headers of genuine tokens, so forged ones cannot crowd ours out
        if len(self._headers) < _HEADER_CACHE_SIZE:
            self._headers[segment] = key
        return _check_claims(claims, now)


def _select_key(segment: str, keys: Mapping[str, SigningKey]) -> SigningKey:
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidTokenError("the access token's header is not base64url JSON") from exc
    if not isinstance(header, dict):
        raise InvalidTokenError("the access token's header is not a JSON object")
    forbidden = _FORBIDDEN_HEADERS.intersection(header)
    if forbidden:
        raise InvalidTokenError(f"the access token carries refused headers {sorted(forbidden)}")
    if header.get("typ", "JWT") != "JWT":
        raise InvalidTokenError("the access token's typ is not JWT")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidTokenError(f"the access token names an unknown key id {kid!r}")
    if header.get("alg") != key.algorithm:
        raise InvalidTokenError(f"the access token's alg does not match key {key.kid!r}")
    return key


def _check_claims(claims: dict[str, Any], now: float) -> AccessClaims:
    handle, tenant, user_id = claims["sid"], claims["tid"], claims["sub"]
    expires_at, issued_at = claims["exp"], claims["iat"]
    created = claims.get("auth_time", issued_at)
    if not (
        isinstance(handle, str) and isinstance(tenant, str) and isinstance(user_id, str)
        and type(expires_at) is int and type(issued_at) is int
        and isinstance(created, int | float) and not isinstance(created, bool)
    ):  # fmt: skip
        raise InvalidTokenError("the access token's claims have the wrong types")
    if issued_at > now + CLOCK_SKEW_SECONDS or _not_before(claims) > now + CLOCK_SKEW_SECONDS:
        raise InvalidTokenError("the access token is not valid yet")
    if expires_at <= now:
        raise TryRefreshToken("the access token has expired; refresh the session")
    return AccessClaims(handle, tenant, user_id, expires_at, round(created * 1000), claims)


def _not_before(claims: dict[str, Any]) -> float:
    nbf = claims.get("nbf", 0)
    if not isinstance(nbf, int | float) or isinstance(nbf, bool):
        raise InvalidTokenError("the access token's nbf is not a number")
    return nbf
