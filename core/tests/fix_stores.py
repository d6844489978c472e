"""Fixtures of the built-in store tests: record factories at a fixed instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from sessionjar import SessionRecord, SigningKeyRecord

__all__ = [
    "NOW",
    "RecordFactory",
    "KeyFactory",
    "session_record",
    "key_record",
    "new_record",
    "new_key",
]

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
"""The instant store tests pass as ``now``; records are created at it."""


class RecordFactory(Protocol):
    def __call__(
        self,
        handle: str,
        *,
        tenant: str = "public",
        user_id: str = "alice",
        ttl: timedelta = ...,
        **fields: Any,
    ) -> SessionRecord: ...


class KeyFactory(Protocol):
    def __call__(self, kid: str, *, ttl: timedelta = ...) -> SigningKeyRecord: ...


def session_record(
    handle: str,
    *,
    tenant: str = "public",
    user_id: str = "alice",
    ttl: timedelta = timedelta(hours=1),
    **fields: Any,
) -> SessionRecord:
    """Return a session record created at `NOW`, living ``ttl``; ``fields`` override."""
    values: dict[str, Any] = {
        "handle": handle,
        "tenant": tenant,
        "user_id": user_id,
        "created_at": NOW,
        "expires_at": NOW + ttl,
        "absolute_deadline": None,
        "access_payload": {"role": "user"},
        "session_data": {"cart": [1, 2, {"sku": "é\u2603"}]},
        "refresh_hash": "a" * 64,
        "prev_refresh_hash": None,
        "rotated_at": None,
    }
    return SessionRecord(**(values | fields))


def key_record(kid: str, *, ttl: timedelta = timedelta(days=7)) -> SigningKeyRecord:
    """Return a signing key created at `NOW`, kept ``ttl``."""
    return SigningKeyRecord(
        kid=kid,
        algorithm="EdDSA",
        private_jwk={"kty": "OKP", "crv": "Ed25519", "x": "pub", "d": "secret"},
        created_at=NOW,
        not_before=NOW,
        expires_at=NOW + ttl,
    )


@pytest.fixture
def new_record() -> RecordFactory:
    """Make a session record created at `NOW`, living ``ttl`` (default one hour)."""
    return session_record


@pytest.fixture
def new_key() -> KeyFactory:
    """Make a signing key created at `NOW`, kept ``ttl`` (default seven days)."""
    return key_record
