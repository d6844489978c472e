"""The verified-token cache: a repeat access token costs a dictionary look-up.

A browser sends one access token with every request for the token's whole validity;
its signature and claims need checking once. The cache maps the exact token text to the
claims it was verified into, and the key that verified it. A hit is served only while
the token is within its time claims by the manager's clock and that very key is still
in the key ring: the cache never lets a token outlive its ``exp`` or its key. Only
successful verifications are stored, so forged tokens can neither be served nor evict
genuine ones (forging one needs the key). The least recently used entry makes room.

One lock guards the table; it is held for a few dictionary operations and never across
I/O, so threads and asyncio tasks share the cache safely.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    from sessionjar._keys import SigningKey
    from sessionjar.tokens import AccessClaims

__all__ = ["DEFAULT_TOKEN_CACHE_SIZE", "VerifiedTokens"]

DEFAULT_TOKEN_CACHE_SIZE: Final = 4096
"""Entries kept by default: a kilobyte or two each for typical tokens (the token and its
claims), a few megabytes in all."""


@final
class VerifiedTokens:
    """A bounded LRU table from access-token text to its verified claims.

    Args:
        size: the most entries kept; 0 keeps none (every token is verified in full).
    """

    __slots__ = ("_entries", "_lock", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[AccessClaims, SigningKey, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, keys: Mapping[str, SigningKey], now: float) -> AccessClaims | None:
        """Return the claims ``token`` was verified into, if they may still be served.

        Args:
            keys: the key ring now, by kid; the verifying key must still be in it.
            now: the manager's clock, seconds since the epoch.

        An entry whose key left the ring, or that is outside its time claims at ``now``,
        is dropped: the caller then verifies in full and gets the precise error.
        """
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            claims, key, valid_from = entry
            if keys.get(key.kid) is not key or not valid_from <= now < claims.expires_at:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return claims

    def put(self, token: str, claims: AccessClaims, key: SigningKey, valid_from: float) -> None:
        """Remember a token ``key`` verified, valid from ``valid_from`` to its ``exp``."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[token] = (claims, key, valid_from)
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
