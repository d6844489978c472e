"""The response of the JWKS route: body, cache headers and ETag, decided without I/O.

Other services fetch the JWKS to verify our access tokens, and cache it. How long they
may cache it follows from when keys are published:

- Automatic keys: serving the JWKS loads the keys, which stores the next interval's key
  if it is missing, so every document served holds the key of the current interval and
  of the next one. The key after those starts signing more than one rotation interval
  after any moment the document was served. ``max-age`` is half the interval: a cache
  that keeps the document that long refetches before a key it lacks signs, with margin
  for clocks that disagree and for a second cache in front (a CDN) restarting the count.
- Explicit keys change when an operator deploys a new list: five minutes, and the
  production guide says to publish a new key (last in the list) that long before it
  signs (first in the list).

The body is the same bytes in every process (keys sorted by kid, keys of each JWK
sorted), so the ETag is too, and a conditional request answered by another worker
behind the same load balancer still gets its 304.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

__all__ = ["JWKS_CONTENT_TYPE", "JwksReply", "jwks_max_age", "jwks_reply"]

JWKS_CONTENT_TYPE: Final = "application/jwk-set+json"
"""The media type of a JWK Set (RFC 7517 §8.5.1)."""
EXPLICIT_KEYS_MAX_AGE: Final = timedelta(minutes=5)
"""How long other services may cache the JWKS of explicit keys."""


@dataclass(frozen=True, slots=True)
class JwksReply:
    """The JWKS route's response, before a framework renders it."""

    status: int
    """200, or 304 when the client's cached copy is current."""
    body: bytes
    """The JWK Set as JSON; empty with 304."""
    headers: tuple[tuple[str, str], ...]
    """``Cache-Control`` and ``ETag``, and with 200 ``Content-Type``."""


def jwks_max_age(rotation_interval: timedelta | None) -> int:
    """Return the seconds other services may cache the JWKS (see the module docstring).

    Args:
        rotation_interval: how long one automatic key signs; `None` for explicit keys.
    """
    if rotation_interval is None:
        return int(EXPLICIT_KEYS_MAX_AGE.total_seconds())
    return int(rotation_interval.total_seconds()) // 2


def jwks_reply(document: dict[str, Any], max_age: int, if_none_match: str | None) -> JwksReply:
    """Return the response serving ``document`` (the manager's `get_jwks`).

    Args:
        document: the JWK Set, ``{"keys": [...]}``.
        max_age: seconds other services may cache it (see `jwks_max_age`).
        if_none_match: the request's ``If-None-Match`` header: when it names the
            document's ETag (or ``*``), the reply is 304 without a body.
    """
    keys = sorted(document["keys"], key=lambda jwk: str(jwk.get("kid")))
    body = json.dumps({"keys": keys}, sort_keys=True, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = (("Cache-Control", f"public, max-age={max_age}"), ("ETag", etag))
    if if_none_match and _names(if_none_match, etag):
        return JwksReply(304, b"", headers)
    return JwksReply(200, body, (("Content-Type", JWKS_CONTENT_TYPE), *headers))


def _names(if_none_match: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): a W/ prefix still matches
    tags = (tag.strip() for tag in if_none_match.split(","))
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)
