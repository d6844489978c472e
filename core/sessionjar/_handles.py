"""Session handles and opaque refresh tokens: minting, checking and parsing.

A refresh token is ``handle + "." + secret``. The secret is 16 random (or derived)
bytes followed by a 16-byte HMAC tag over the handle and those bytes, base64url-encoded:
core finds the record by handle without a hash index, and a secret that core never
minted is refused before the store is asked (knowing a handle — it is in every access
token — is not enough to trigger theft detection and log a user out). A child secret is
derived from its parent with the refresh key, so every refresh racing on one parent
gets the same child.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import Final

from sessionjar.errors import InvalidHandle, InvalidTokenError

__all__ = [
    "MAX_TOKEN_LENGTH",
    "new_handle",
    "check_handle",
    "check_token_text",
    "split_refresh_token",
    "new_secret",
    "child_secret",
    "secret_is_ours",
    "hash_secret",
]

MAX_TOKEN_LENGTH: Final = 8192
"""Longest token text accepted, in characters."""

_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_\-.]+")
_HANDLE: Final = re.compile(r"[A-Za-z0-9_\-]{22,128}")
_NONCE_BYTES: Final = 16
_TAG_BYTES: Final = 16


def _why_bad(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not value:
        return "is empty"
    if len(value) > MAX_TOKEN_LENGTH:
        return f"is longer than {MAX_TOKEN_LENGTH} characters"
    if not _TOKEN_CHARS.fullmatch(value):
        return "holds characters outside the base64url alphabet and '.'"
    return None


def check_token_text(token: object, what: str) -> str:
    """Return ``token`` if it is text a token of ours could be, before any storage call.

    Raises:
        InvalidTokenError: not a string, empty, over `MAX_TOKEN_LENGTH`, or holding
            anything but base64url characters and dots (NUL, CR/LF, whitespace, glob
            characters, non-ASCII).
    """
    reason = _why_bad(token)
    if reason is not None:
        raise InvalidTokenError(f"the {what} {reason}")
    assert isinstance(token, str)
    return token


def check_handle(handle: object) -> str:
    """Return ``handle`` if it is a well-formed session handle.

    Raises:
        InvalidHandle: not a string, or not 22 to 128 base64url characters.
    """
    reason = _why_bad(handle)
    if reason is None and not (isinstance(handle, str) and _HANDLE.fullmatch(handle)):
        reason = "is not 22 to 128 base64url characters"
    if reason is not None:
        raise InvalidHandle(f"the session handle {reason}")
    assert isinstance(handle, str)
    return handle


def new_handle() -> str:
    """Return a new random handle: 128 bits, base64url (22 characters)."""
    return secrets.token_urlsafe(16)


def split_refresh_token(token: object) -> tuple[str, str]:
    """Return the handle and the secret of a refresh token.

    Raises:
        InvalidTokenError: the token is not ``handle.secret`` of well-formed parts.
    """
    text = check_token_text(token, "refresh token")
    handle, dot, secret = text.partition(".")
    if not dot or not _HANDLE.fullmatch(handle) or not _decode_secret(secret):
        raise InvalidTokenError("the refresh token is not a sessionjar refresh token")
    return handle, secret


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_secret(secret: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _NONCE_BYTES + _TAG_BYTES or _b64(raw) != secret:
        return None
    return raw


def _tag(key: bytes, handle: str, nonce: bytes) -> bytes:
    message = b"tag\0" + handle.encode("ascii") + b"\0" + nonce
    return hmac.new(key, message, hashlib.sha256).digest()[:_TAG_BYTES]


def new_secret(key: bytes, handle: str) -> str:
    """Return a new random refresh secret for ``handle``, sealed with ``key``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _b64(nonce + _tag(key, handle, nonce))


def child_secret(key: bytes, handle: str, parent: str) -> str:
    """Return the secret that replaces ``parent`` on rotation; the same for every caller."""
    message = b"child\0" + handle.encode("ascii") + b"\0" + parent.encode("ascii")
    nonce = hmac.new(key, message, hashlib.sha256).digest()[:_NONCE_BYTES]
    return _b64(nonce + _tag(key, handle, nonce))


def secret_is_ours(key: bytes, handle: str, secret: str) -> bool:
    """Tell whether ``secret`` was minted for ``handle`` with ``key``."""
    raw = _decode_secret(secret)
    if raw is None:
        return False
    nonce, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    return hmac.compare_digest(tag, _tag(key, handle, nonce))


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 of a refresh secret, as the store keeps it."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()
