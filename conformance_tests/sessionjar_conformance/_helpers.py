"""Records, clocks and names the conformance tests build their cases from."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt

from sessionjar import JSONObject, SessionRecord, SigningKeyRecord
from sessionjar.testing import ManualClock

__all__ = [
    "FAR_FUTURE",
    "MutableClock",
    "new_namespace",
    "new_handle",
    "new_hash",
    "new_record",
    "new_signing_key",
    "millis",
    "header_kid",
    "canonical",
    "LOOKALIKES",
    "MANY",
]

FAR_FUTURE: Final = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
"""The last millisecond a store holds: every record and key of a test has expired then,
the refresh secret core keeps as a signing key (it expires in 9999) included."""


LOOKALIKES: Final = (
    ("case", "alice", "Alice"),
    ("trailing-space", "alice", "alice "),
    ("leading-space", "alice", " alice"),
    ("nfc-nfd", "jos\u00e9", "jose\u0301"),
    ("ligature", "file", "\ufb01le"),
    ("fullwidth", "bob", "\uff42ob"),
    ("cyrillic-a", "alice", "\u0430lice"),
    ("sharp-s", "strasse", "stra\u00dfe"),
)
"""Pairs of identifiers a collation, a trim or a normalisation confuses: ``(case, a, b)``.

A store must tell every pair apart: SQL collations fold case and ignore trailing spaces,
Unicode normalisation (NFC, NFKC) merges the combining and compatibility forms, and
confusable letters (a Cyrillic a) only look alike."""


MANY: Final = 300
"""Sessions of one user in the tests of users with many: past page sizes of 100 or 256."""


def millis(moment: datetime) -> datetime:
    """Return ``moment`` truncated to whole milliseconds, as core stores times."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class MutableClock(ManualClock):
    """`sessionjar.testing.ManualClock`, started at the real time in whole milliseconds.

    The real time keeps backends with native TTLs honest: nothing expires in the backend
    while the test moves this clock forward. Milliseconds (where `ManualClock` starts at
    a whole second) make a store that rounds times to seconds fail the boundary tests.
    """

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(millis(start or datetime.now(UTC)))


def new_namespace() -> str:
    """Return a fresh namespace: lowercase letters, digits and ``_``, safe for any backend."""
    return f"sjc_{secrets.token_hex(6)}"


def new_handle() -> str:
    """Return a fresh random session handle (URL-safe, 128 bits)."""
    return secrets.token_urlsafe(16)


def new_hash() -> str:
    """Return a random hex SHA-256-shaped digest."""
    return secrets.token_hex(32)


def new_record(
    now: datetime,
    *,
    user_id: str = "alice",
    tenant: str = "public",
    ttl: timedelta = timedelta(hours=1),
    **fields: Any,
) -> SessionRecord:
    """Return a new session record created at ``now`` that expires ``ttl`` later.

    Args:
        fields: any other `SessionRecord` field, to override its default.
    """
    record = SessionRecord(
        handle=new_handle(),
        tenant=tenant,
        user_id=user_id,
        created_at=now,
        expires_at=now + ttl,
        absolute_deadline=None,
        access_payload={"role": "reader"},
        session_data={"cart": [1, 2, 3]},
        refresh_hash=new_hash(),
        prev_refresh_hash=None,
        rotated_at=None,
    )
    return replace(record, **fields)


def new_signing_key(now: datetime, *, kid: str | None = None, **fields: Any) -> SigningKeyRecord:
    """Return a signing-key record created at ``now``, valid for a day."""
    jwk: JSONObject = {"kty": "OKP", "crv": "Ed25519", "x": secrets.token_urlsafe(32)}
    jwk["d"] = secrets.token_urlsafe(32)
    key = SigningKeyRecord(
        kid=kid or secrets.token_hex(8),
        algorithm="EdDSA",
        private_jwk=jwk,
        created_at=now,
        not_before=now,
        expires_at=now + timedelta(days=1),
    )
    return replace(key, **fields)


def header_kid(token: str) -> str:
    """Return the ``kid`` header of a JWT (unverified)."""
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


def canonical(value: object) -> str:
    """Return JSON text that tells apart values ``==`` confuses (``1`` and ``1.0``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
