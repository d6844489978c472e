r"""Anti-CSRF tokens: an HMAC of the session handle with the refresh key.

The refresh key also seals and derives refresh secrets (`sessionjar._handles`, whose
HMAC messages start with ``tag\0`` and ``child\0``). Anti-CSRF messages start with
``anti-csrf\0``, so the three uses never share an input: an anti-CSRF token tells
nothing about a refresh secret, and the reverse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["derive_anti_csrf_token"]


def derive_anti_csrf_token(key: bytes, handle: str) -> str:
    """Return the anti-CSRF token of ``handle``: the same for the session's whole life."""
    digest = hmac.new(key, b"anti-csrf\0" + handle.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
