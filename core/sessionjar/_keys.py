"""Signing keys: explicit keys, automatic keys, and the key ring both flavours share.

No I/O here: `keys_async.AsyncKeyRing` (and its sync twin) load the stored keys and
hand them to `KeyRingState`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from sessionjar._types import JSONObject
from sessionjar.errors import ConfigurationError
from sessionjar.storage import SigningKeyRecord

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "REFRESH_SECRET_KID",
    "SigningKey",
    "AutomaticKeys",
    "KeyRingState",
    "check_secret",
    "refresh_secret_record",
]

ASYMMETRIC_ALGORITHMS: Final = ("EdDSA", "ES256", "RS256")
"""Algorithms of key pairs; their public keys are published in the JWKS."""

REFRESH_SECRET_KID: Final = "sessionjar.refresh-secret"  # noqa: S105 (a key id)
"""Reserved kid of the stored refresh key; never a signing key, never published."""

_MIN_SECRET_BYTES: Final = 32
_MIN_RSA_BITS: Final = 2048
_WELL_KNOWN: Final = frozenset(
    {
        b"secret", b"changeme", b"change-me", b"password", b"default", b"test", b"key",
        b"jwt-secret", b"your-256-bit-secret", b"a-string-secret-at-least-256-bits-long",
        b"supersecret", b"mysecret", b"secretkey", b"secret-key", b"your-secret-key",
    }
)  # fmt: skip
_NEVER_EXPIRES: Final = datetime(9999, 1, 1, tzinfo=UTC)

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)


def check_secret(secret: bytes | str, what: str) -> bytes:
    """Return ``secret`` as bytes if it is strong enough to sign with.

    Raises:
        ConfigurationError: shorter than 32 bytes, with fewer than 8 distinct bytes
            (all one byte, a short pattern repeated), or a well-known example secret
            (repeated or not).
    """
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes):
        raise ConfigurationError(f"the {what} must be bytes or str, not {type(raw).__name__}")
    if len(raw) < _MIN_SECRET_BYTES:
        raise ConfigurationError(f"the {what} must be at least {_MIN_SECRET_BYTES} bytes long")
    if len(set(raw)) < 8:
        raise ConfigurationError(f"the {what} is too repetitive to be a secret")
    folded = raw.strip().lower()
    if any(folded == word * (len(folded) // len(word)) for word in _WELL_KNOWN):
        raise ConfigurationError(f"the {what} is a well-known example secret")
    return raw


def _algorithm_of(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < _MIN_RSA_BITS:
            raise ConfigurationError(f"RSA signing keys need at least {_MIN_RSA_BITS} bits")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ConfigurationError("ES256 signing keys must be on curve P-256")
        return "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return "EdDSA"
    raise ConfigurationError(
        f"a signing key must be an RSA, P-256 or Ed25519/Ed448 private key, "
        f"not {type(key).__name__}"
    )


@final
class SigningKey:
    """A key that signs access tokens, with its ``kid`` and its pinned algorithm.

    Build one from a shared secret (bytes: HS256) or a `cryptography` private key (RS256,
    ES256 or EdDSA, following from the key), or with `hs256`, `from_pem` or `generate`.
    Tokens are verified only with the algorithm of the key their ``kid`` names, never
    with the algorithm their header claims.

    Raises:
        ConfigurationError: a weak secret (see `hs256`), an unsupported or weak key
            (see `from_private_key`), or a kid that is empty, over 200 characters, not
            printable, or reserved.
    """

    __module__ = "sessionjar"
    __slots__ = ("_check", "algorithm", "kid", "signer", "verifier")

    kid: str
    """The key id: the ``kid`` header of the tokens the key signs."""
    algorithm: str
    """The JWS algorithm pinned to the key: ``HS256``, ``RS256``, ``ES256`` or ``EdDSA``."""
    signer: bytes | PrivateKey
    """The secret or the private key that signs."""
    verifier: Any
    """The secret or the public key that verifies."""

    def __init__(self, key: bytes | PrivateKey, *, kid: str) -> None:
        if not isinstance(kid, str) or not kid or len(kid) > 200 or not kid.isprintable():
            raise ConfigurationError("a signing key needs a kid of 1 to 200 printable characters")
        if kid == REFRESH_SECRET_KID:
            raise ConfigurationError(f"the kid {kid!r} is reserved")
        self.kid = kid
        if isinstance(key, bytes):
            self.algorithm = "HS256"
            self.signer = self.verifier = check_secret(key, "HS256 secret")
        else:
            self.algorithm = _algorithm_of(key)
            self.signer = key
            self.verifier = key.public_key()
        # PyJWT's algorithm and prepared key, built once rather than on every verify
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        self._check = (algorithm, algorithm.prepare_key(self.verifier))

    def __repr__(self) -> str:
        return f"<SigningKey kid={self.kid!r} algorithm={self.algorithm}>"

    def verifies(self, signing_input: bytes, signature: bytes) -> bool:
        """Tell whether ``signature`` is this key's signature of ``signing_input``.

        The check is PyJWT's, with this key's pinned algorithm.
        """
        algorithm, prepared = self._check
        return bool(algorithm.verify(signing_input, prepared, signature))

    @classmethod
    def hs256(cls, secret: bytes | str, *, kid: str) -> SigningKey:
        """Return an HS256 key for a shared secret of at least 32 bytes.

        Raises:
            ConfigurationError: the secret is short, empty, repetitive or well known.
        """
        return cls(secret.encode() if isinstance(secret, str) else secret, kid=kid)

    @classmethod
    def from_private_key(cls, key: PrivateKey, *, kid: str) -> SigningKey:
        """Return a key for a `cryptography` private key: RSA (≥2048 bits), P-256 or EdDSA.

        The algorithm follows from the key: RS256, ES256 or EdDSA.
        """
        return cls(key, kid=kid)

    @classmethod
    def from_pem(cls, pem: bytes | str, *, kid: str, password: bytes | None = None) -> SigningKey:
        """Return a key for a PEM-encoded private key (see `from_private_key`).

        Raises:
            ConfigurationError: the PEM is not a supported private key.
        """
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"cannot load the PEM private key: {exc}") from exc
        return cls.from_private_key(key, kid=kid)  # type: ignore[arg-type]

    @classmethod
    def generate(cls, algorithm: str = "EdDSA", *, kid: str | None = None) -> SigningKey:
        """Return a new random key for ``algorithm`` (EdDSA, ES256, RS256 or HS256)."""
        kid = kid or secrets.token_urlsafe(12)
        if algorithm == "HS256":
            return cls.hs256(secrets.token_bytes(32), kid=kid)
        if algorithm == "EdDSA":
            return cls.from_private_key(ed25519.Ed25519PrivateKey.generate(), kid=kid)
        if algorithm == "ES256":
            return cls.from_private_key(ec.generate_private_key(ec.SECP256R1()), kid=kid)
        if algorithm == "RS256":
            return cls.from_private_key(rsa.generate_private_key(65537, 2048), kid=kid)
        raise ConfigurationError(f"unsupported signing algorithm {algorithm!r}")

    @classmethod
    def from_record(cls, record: SigningKeyRecord) -> SigningKey:
        """Return the key a stored record holds."""
        if record.algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ConfigurationError(f"stored key {record.kid!r} has algorithm {record.algorithm}")
        key = jwt.get_algorithm_by_name(record.algorithm).from_jwk(dict(record.private_jwk))
        return cls.from_private_key(key, kid=record.kid)

    def private_jwk(self) -> JSONObject:
        """Return the key, private part included, as a JWK object (to store it)."""
        jwk = jwt.get_algorithm_by_name(self.algorithm).to_jwk(self.signer, as_dict=True)
        return dict(jwk)

    def public_jwk(self) -> dict[str, Any] | None:
        """Return the public key as a JWK for the JWKS, or `None` for a shared secret."""
        if self.algorithm == "HS256":
            return None
        jwk = jwt.get_algorithm_by_name(self.algorithm).to_jwk(self.verifier, as_dict=True)
        # RFC 7517 §4.3: not both "use" and "key_ops" (PyJWT adds key_ops to RSA keys).
        jwk.pop("key_ops", None)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@final
@dataclass(frozen=True, slots=True)
class AutomaticKeys:
    """Signing keys kept in the store, shared by every process, rotated on an interval.

    The key of each interval ("slot") has a kid derived from the slot, so racing
    processes converge on one key; the next slot's key is stored (and published in the
    JWKS) before it signs; a key stays until every token it signed has expired.
    """

    __module__ = "sessionjar"

    algorithm: str = "EdDSA"
    """Algorithm of the generated key pairs: EdDSA, ES256 or RS256."""
    rotation_interval: timedelta = timedelta(days=7)
    """How long one key signs; whole seconds, at least one minute."""

    def __post_init__(self) -> None:
        if self.algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ConfigurationError(
                f"automatic keys use one of {ASYMMETRIC_ALGORITHMS}, not {self.algorithm!r}"
            )
        seconds = self.rotation_interval.total_seconds()
        if seconds < 60 or seconds != int(seconds):
            raise ConfigurationError("the rotation interval must be whole seconds, >= 1 minute")

    def slot(self, now: datetime) -> int:
        """Return the number of the interval ``now`` falls in."""
        return int(now.timestamp()) // int(self.rotation_interval.total_seconds())

    def kid(self, slot: int) -> str:
        """Return the kid of a slot's key: the same in every process."""
        return f"sj-{self.algorithm}-{int(self.rotation_interval.total_seconds())}-{slot}"

    def new_record(self, slot: int, now: datetime, token_validity: timedelta) -> SigningKeyRecord:
        """Return a new random key for ``slot``, kept until its tokens have all expired."""
        start = datetime.fromtimestamp(slot * self.rotation_interval.total_seconds(), UTC)
        key = SigningKey.generate(self.algorithm, kid=self.kid(slot))
        return SigningKeyRecord(
            kid=key.kid,
            algorithm=key.algorithm,
            private_jwk=key.private_jwk(),
            created_at=now,
            not_before=start,
            expires_at=start + 2 * self.rotation_interval + token_validity,
        )


def refresh_secret_record(now: datetime) -> SigningKeyRecord:
    """Return a new random refresh key record, stored under the reserved kid."""
    secret = secrets.token_bytes(32)
    jwk = jwt.get_algorithm_by_name("HS256").to_jwk(secret, as_dict=True)
    return SigningKeyRecord(
        kid=REFRESH_SECRET_KID,
        algorithm="HS256",
        private_jwk=dict(jwk),
        created_at=now,
        not_before=now,
        expires_at=_NEVER_EXPIRES,
    )


def _secret_of(record: SigningKeyRecord) -> bytes:
    secret = jwt.get_algorithm_by_name("HS256").from_jwk(dict(record.private_jwk))
    assert isinstance(secret, bytes)
    return secret


class KeyRingState:
    """The keys a manager signs and verifies with; loaded keys are installed here.

    Explicit keys: the first signs, all verify. Automatic keys: the current slot's key
    signs; every stored, unexpired key pair verifies.
    """

    def __init__(self, keys: Iterable[SigningKey] | AutomaticKeys) -> None:
        self.automatic = keys if isinstance(keys, AutomaticKeys) else None
        self.explicit = [] if isinstance(keys, AutomaticKeys) else list(keys)
        if self.automatic is None and not self.explicit:
            raise ConfigurationError("give at least one signing key, or AutomaticKeys()")
        kids = [key.kid for key in self.explicit]
        if len(set(kids)) != len(kids):
            raise ConfigurationError(f"two signing keys share a kid: {kids}")
        self.by_kid: dict[str, SigningKey] = {key.kid: key for key in self.explicit}
        self.loaded_slot: int | None = None
        self.refresh_key: bytes | None = None
        self._stored: dict[str, tuple[dict[str, Any], SigningKey]] = {}

    def needs_load(self, now: datetime) -> bool:
        """Tell whether automatic keys must be (re)loaded to sign at ``now``."""
        return self.automatic is not None and self.loaded_slot != self.automatic.slot(now)

    def install(self, records: Iterable[SigningKeyRecord], now: datetime) -> None:
        """Replace the stored keys with ``records`` (unexpired ones) and the refresh key.

        A key whose record is unchanged keeps its `SigningKey` object: the verified-token
        cache serves a token only while the very key that verified it is in the ring.
        """
        by_kid = {key.kid: key for key in self.explicit}
        stored = {}
        for record in records:
            if record.kid == REFRESH_SECRET_KID:
                self.refresh_key = _secret_of(record)
            elif (
                self.automatic is not None
                and record.kid.startswith("sj-")
                and record.expires_at > now
            ):
                jwk = dict(record.private_jwk)
                known = self._stored.get(record.kid)
                key = known[1] if known and known[0] == jwk else SigningKey.from_record(record)
                stored[record.kid] = (jwk, key)
                by_kid[record.kid] = key
        self.by_kid, self._stored = by_kid, stored
        if self.automatic is not None:
            self.loaded_slot = self.automatic.slot(now)

    def signing_key(self, now: datetime) -> SigningKey | None:
        """Return the key that signs at ``now``, or `None` if it is not loaded."""
        if self.automatic is None:
            return self.explicit[0]
        return self.by_kid.get(self.automatic.kid(self.automatic.slot(now)))

    def jwks(self) -> dict[str, Any]:
        """Return the JWKS document: the public keys of every key pair that verifies."""
        keys = [jwk for key in self.by_kid.values() if (jwk := key.public_jwk()) is not None]
        return {"keys": keys}
