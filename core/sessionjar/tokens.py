"""Access tokens: signed JWTs minted and verified in-process, with no storage I/O.

Verification pins the algorithm to the key the ``kid`` header names (never to the
header's ``alg``), refuses ``none``, and refuses tokens carrying key-locating headers
(``jku``, ``x5u``, ``jwk``, ``x5c``), ``crit`` or ``b64``: nothing is ever fetched. Time
claims are checked against the manager's clock, not the wall clock.

Tokens come from outside, so every parse is strict: exactly three segments, JSON
objects with unique member names, no ``NaN``/``Infinity``, valid Unicode, nesting within
`sessionjar._json.MAX_DEPTH`; whatever fails is an `InvalidTokenError`, never another
exception. The header is parsed once per distinct header (ours repeat one per key), the
payload only after the signature checked out. The signature is PyJWT's; the claims
checks are ours, since PyJWT would parse the payload a second time, leniently.
A verified token is remembered (see `sessionjar._token_cache`), so a repeat costs a
look-up.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NoReturn

import jwt

from sessionjar._claims import build_claims
from sessionjar._handles import MAX_TOKEN_LENGTH, check_token_text
from sessionjar._json import check_json_object
from sessionjar._keys import SigningKey
from sessionjar._token_cache import DEFAULT_TOKEN_CACHE_SIZE, VerifiedTokens
from sessionjar._types import JSONObject
from sessionjar.errors import (
    ConfigurationError,
    InvalidTokenError,
    SerializationError,
    TryRefreshToken,
)

__all__ = ["AccessClaims", "AccessTokens", "CLOCK_SKEW_SECONDS", "MAX_TIME"]

CLOCK_SKEW_SECONDS: Final = 5
"""How far in the future ``iat`` and ``nbf`` may be (clocks of two servers differ)."""

MAX_TIME: Final = 253402300800
"""Time claims must be below this (year 10000): later times have no `datetime`."""

_FORBIDDEN_HEADERS: Final = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "b64"})
_REQUIRED: Final = ("iss", "sub", "sid", "tid", "iat", "exp")
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
    """Session creation time, milliseconds since the epoch: the ``auth_time`` claim, whole
    seconds in the tokens we mint (fractions, as earlier versions minted, are read too)."""
    claims: dict[str, Any]
    """Every claim of the token."""


class AccessTokens:
    """Mints and verifies the access tokens of one issuer.

    Args:
        issuer: the ``iss`` of every token.
        audience: the ``aud`` of every token; `None` mints none and refuses any.
        cache_size: verified tokens remembered (see `VerifiedTokens`); 0 for none.
    """

    def __init__(
        self,
        issuer: str,
        *,
        audience: str | None = None,
        cache_size: int = DEFAULT_TOKEN_CACHE_SIZE,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.verified = VerifiedTokens(cache_size)
        # header segment -> key: our tokens repeat one header per key, so the header is
        # parsed and checked once, not on every new token.
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
        if self.audience is not None:
            claims["aud"] = self.audience
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
        if type(token) is str:
            cached = self.verified.get(token, keys, now)
            if cached is not None:
                return cached
        text = check_token_text(token, "access token")
        if text.count(".") != 2:
            raise InvalidTokenError("the access token is not three dot-separated segments")
        segment, payload, signature = text.split(".")
        key = self._headers.get(segment)
        if key is None or keys.get(key.kid) is not key:
            key = _select_key(segment, keys)
        signing_input = text[: len(segment) + len(payload) + 1].encode("ascii")
        if not key.verifies(signing_input, _decode(signature, "signature")):
            raise InvalidTokenError("the access token's signature is not valid")
        # cache only headers of genuine tokens, so forged ones cannot crowd ours out
        if len(self._headers) < _HEADER_CACHE_SIZE:
            self._headers[segment] = key
        claims = _parse_object(payload, "payload")
        checked, valid_from = _check_claims(claims, now, self.issuer, self.audience)
        self.verified.put(text, checked, key, valid_from)
        return checked


def _refuse(reason: str) -> NoReturn:
    raise ValueError(reason)


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # other verifiers may read the first of two equal names where json keeps the last
    members = dict(pairs)
    if len(members) != len(pairs):
        _refuse("it repeats a member name")
    return members


def _decode(segment: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError as exc:
        raise InvalidTokenError(f"the access token's {what} is not base64url") from exc


# One decoder for every call: json.loads builds a new one whenever it is given options.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_unique_members,
    parse_constant=lambda name: _refuse(f"{name} is not JSON"),
)


def _parse_object(segment: str, what: str) -> dict[str, Any]:
    """Return the JSON object a token segment holds, parsed strictly (see the module)."""
    raw = _decode(segment, what)
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        # ValueError: bad JSON, bad UTF-8, a repeated name, an integer of over 4300 digits
        raise InvalidTokenError(f"the access token's {what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidTokenError(f"the access token's {what} is not a JSON object")
    try:
        return check_json_object(value, f"the access token's {what}")
    except SerializationError as exc:
        raise InvalidTokenError(str(exc)) from exc


def _select_key(segment: str, keys: Mapping[str, SigningKey]) -> SigningKey:
    header = _parse_object(segment, "header")
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


def _check_claims(
    claims: dict[str, Any], now: float, issuer: str, audience: str | None
) -> tuple[AccessClaims, float]:
    """Return the checked claims and the time from which they are valid."""
    missing = [name for name in _REQUIRED if name not in claims]
    if missing:
        raise InvalidTokenError(f"the access token lacks the claims {missing}")
    if claims["iss"] != issuer:
        raise InvalidTokenError("the access token was issued by another issuer")
    _check_audience(claims, audience)
    handle, tenant, user_id = claims["sid"], claims["tid"], claims["sub"]
    expires_at, issued_at = claims["exp"], claims["iat"]
    if not (
        isinstance(handle, str) and isinstance(tenant, str) and isinstance(user_id, str)
        and type(expires_at) is int and type(issued_at) is int
        and isinstance(claims.get("jti", ""), str)
    ):  # fmt: skip
        raise InvalidTokenError("the access token's claims have the wrong types")
    valid_from = max(_time(claims, "iat", 0), _time(claims, "nbf", 0)) - CLOCK_SKEW_SECONDS
    if valid_from > now:
        raise InvalidTokenError("the access token is not valid yet")
    if _time(claims, "exp", 0) <= now:
        raise TryRefreshToken("the access token has expired; refresh the session")
    created_ms = round(_time(claims, "auth_time", issued_at) * 1000)
    return AccessClaims(handle, tenant, user_id, expires_at, created_ms, claims), valid_from


def _time(claims: dict[str, Any], name: str, default: float) -> float:
    value = claims.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < MAX_TIME:
        raise InvalidTokenError(f"the access token's {name} is not a time")
    return value


def _check_audience(claims: dict[str, Any], audience: str | None) -> None:
    if "aud" not in claims:
        if audience is not None:
            raise InvalidTokenError(f"the access token is not for audience {audience!r}")
        return
    if audience is None:
        raise InvalidTokenError("the access token has an aud claim and no audience is set")
    aud = claims["aud"]
    listed = type(aud) is list and audience in aud and all(type(item) is str for item in aud)
    if aud != audience and not listed:
        raise InvalidTokenError(f"the access token is not for audience {audience!r}")
