"""Tests of signing keys: explicit keys, automatic rotation through the store, JWKS."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fix_manager import MakeAsync, aparallel_calls

from sessionjar import (
    AutomaticKeys,
    ConfigurationError,
    InvalidTokenError,
    SigningKey,
    SigningKeyRecord,
)
from sessionjar._acompat import asleep
from sessionjar.testing import ManualClock

WEAK_RSA_BITS = 1024
STRONG = b"k9#Lq2@vX7!pR4$zM8&nW3*tY6^bH1(e"


@pytest.mark.parametrize(
    "secret",
    [
        b"",
        b"short",
        "secret",
        b"changeme",
        b"a" * 64,
        b"secret" * 8,
        b"ab" * 32,
        b"your-256-bit-secret",
        b"a-string-secret-at-least-256-bits-long",
    ],
)
def test_weak_hs256_secrets_are_refused(secret: bytes | str) -> None:
    with pytest.raises(ConfigurationError):
        SigningKey.hs256(secret, kid="k")


def test_weak_key_pairs_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="2048"):
        SigningKey.from_private_key(rsa.generate_private_key(65537, WEAK_RSA_BITS), kid="k")
    with pytest.raises(ConfigurationError, match="P-256"):
        SigningKey.from_private_key(ec.generate_private_key(ec.SECP384R1()), kid="k")
    with pytest.raises(ConfigurationError):
        SigningKey.from_pem(
            b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", kid="k"
        )
    with pytest.raises(ConfigurationError):
        SigningKey.generate("HS512")
    with pytest.raises(ConfigurationError):
        AutomaticKeys(algorithm="HS256")
    with pytest.raises(ConfigurationError):
        AutomaticKeys(rotation_interval=timedelta(seconds=1))


def test_the_constructor_checks_key_and_kid() -> None:
    assert SigningKey(STRONG, kid="h").algorithm == "HS256"
    assert SigningKey(ed25519.Ed25519PrivateKey.generate(), kid="e").algorithm == "EdDSA"
    with pytest.raises(ConfigurationError):
        SigningKey(b"short", kid="h")
    for kid in ("", "a\nb", "x" * 201, "sessionjar.refresh-secret"):
        with pytest.raises(ConfigurationError):
            SigningKey(STRONG, kid=kid)


def test_keys_load_from_pem_with_their_algorithm() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = SigningKey.from_pem(pem, kid="ec-1")
    assert (key.kid, key.algorithm) == ("ec-1", "ES256")
    assert SigningKey.generate("RS256").algorithm == "RS256"
    assert SigningKey.hs256(STRONG, kid="h").algorithm == "HS256"


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256", "EdDSA"])
async def test_explicit_keys_sign_and_verify(make_amanager: MakeAsync, algorithm: str) -> None:
    key = SigningKey.generate(algorithm, kid="main")
    manager = make_amanager(keys=[key])
    created = await manager.create_session("alice")
    header = jwt.get_unverified_header(created.access_token)
    assert (header["kid"], header["alg"]) == ("main", algorithm)
    assert (await manager.get_session(created.access_token)).user_id == "alice"
    jwks = await manager.get_jwks()
    if algorithm == "HS256":
        assert jwks == {"keys": []}
    else:
        (published,) = jwks["keys"]
        assert (published["kid"], published["alg"], published["use"]) == ("main", algorithm, "sig")
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & published.keys()
        assert "key_ops" not in published  # RFC 7517 §4.3: "use" alone
        public = jwt.PyJWK(published).key
        # the fake clock is not the wall clock: no exp check here
        claims = jwt.decode(
            created.access_token, public, [algorithm], {"verify_exp": False}, issuer="sessionjar"
        )
        assert claims["sub"] == "alice"


async def test_explicit_keys_first_signs_all_verify(make_amanager: MakeAsync) -> None:
    old, new = SigningKey.generate(kid="old"), SigningKey.generate(kid="new")
    before = make_amanager(keys=[old])
    token = (await before.create_session("alice")).access_token
    after = make_amanager(keys=[new, old])
    assert (await after.get_session(token)).user_id == "alice"
    fresh = (await after.create_session("alice")).access_token
    assert jwt.get_unverified_header(fresh)["kid"] == "new"
    with pytest.raises(InvalidTokenError):
        await make_amanager(keys=[new]).get_session(token)


def test_explicit_keys_need_distinct_kids(make_amanager: MakeAsync) -> None:
    with pytest.raises(ConfigurationError):
        make_amanager(keys=[SigningKey.generate(kid="a"), SigningKey.generate(kid="a")])


async def test_racing_processes_converge_on_one_key(make_amanager: MakeAsync) -> None:
    first, second = make_amanager(), make_amanager()
    await first.load_keys()
    await second.load_keys()
    assert await first.get_jwks() == await second.get_jwks()
    a = await first.create_session("alice")
    b = await second.create_session("bob")
    assert jwt.get_unverified_header(a.access_token) == jwt.get_unverified_header(b.access_token)
    assert (await second.get_session(a.access_token)).user_id == "alice"


async def test_processes_racing_to_create_keys_converge(
    make_amanager: MakeAsync, monkeypatch: pytest.MonkeyPatch
) -> None:
    managers = [make_amanager() for _ in range(4)]
    listed: list[int] = []
    inserted: list[bool] = []
    for manager in managers:
        _insert_after_every_list(manager._store, 4, listed, inserted, monkeypatch)
    await aparallel_calls([manager.load_keys for manager in managers])
    # each process found no keys and offered its own three; only the first of each stayed
    assert (len(inserted), inserted.count(True)) == (12, 3)
    documents = await aparallel_calls([manager.get_jwks for manager in managers])
    assert documents == [documents[0]] * len(managers)
    assert len(documents[0]["keys"]) == 2
    sessions = await aparallel_calls(
        [partial(manager.create_session, "alice") for manager in managers]
    )
    refresh_tokens = [session.refresh_token for session in sessions]
    for manager, token in zip(reversed(managers), refresh_tokens, strict=True):
        assert token is not None
        assert (await manager.refresh_session(token)).user_id == "alice"


def _insert_after_every_list(
    store: Any,
    processes: int,
    listed: list[int],
    inserted: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hold the store's key inserts back until ``processes`` lists have happened."""
    list_keys, add_key = store.list_signing_keys, store.add_signing_key

    async def counted_list() -> list[SigningKeyRecord]:
        keys: list[SigningKeyRecord] = await list_keys()
        listed.append(len(keys))
        return keys

    async def held_add(record: SigningKeyRecord) -> bool:
        for _ in range(10_000):  # bounded: a process that never lists fails, not hangs
            if len(listed) >= processes:
                break
            await asleep(0.001)
        added: bool = await add_key(record)
        inserted.append(added)
        return added

    monkeypatch.setattr(store, "list_signing_keys", counted_list)
    monkeypatch.setattr(store, "add_signing_key", held_add)


async def test_next_key_is_published_before_it_signs(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    manager = make_amanager(keys=AutomaticKeys(rotation_interval=timedelta(days=1)))
    first = await manager.create_session("alice")
    kids = {key["kid"] for key in (await manager.get_jwks())["keys"]}
    assert len(kids) == 2
    clock.advance(days=1)
    second = await manager.create_session("alice")
    new_kid = jwt.get_unverified_header(second.access_token)["kid"]
    assert new_kid != jwt.get_unverified_header(first.access_token)["kid"]
    assert new_kid in kids


async def test_rotation_keeps_old_keys_until_their_tokens_expire(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    options = {
        "keys": AutomaticKeys(rotation_interval=timedelta(hours=1)),
        "access_token_validity": timedelta(minutes=30),
    }
    signer = make_amanager(**options)
    clock.advance(minutes=59)
    old = await signer.create_session("alice")
    clock.advance(minutes=2)
    new = await signer.create_session("alice")
    assert jwt.get_unverified_header(old.access_token) != jwt.get_unverified_header(
        new.access_token
    )
    verifier = make_amanager(**options)
    await verifier.load_keys()
    assert (await verifier.get_session(old.access_token)).user_id == "alice"
    old_kid = jwt.get_unverified_header(old.access_token)["kid"]
    clock.advance(hours=3)
    await signer.delete_expired_sessions()
    assert old_kid not in {key["kid"] for key in (await signer.get_jwks())["keys"]}


async def test_verify_only_process_sees_new_keys_after_load_keys(
    make_amanager: MakeAsync, clock: ManualClock
) -> None:
    options = {"keys": AutomaticKeys(rotation_interval=timedelta(hours=1))}
    signer, verifier = make_amanager(**options), make_amanager(**options)
    await verifier.load_keys()
    clock.advance(hours=2)
    token = (await signer.create_session("alice")).access_token
    with pytest.raises(InvalidTokenError):
        await verifier.get_session(token)
    await verifier.load_keys()
    assert (await verifier.get_session(token)).user_id == "alice"


async def test_refresh_secret_is_never_published(make_amanager: MakeAsync) -> None:
    manager = make_amanager()
    await manager.create_session("alice")
    for key in (await manager.get_jwks())["keys"]:
        assert key["kty"] != "oct"
        assert "refresh" not in key["kid"]


async def test_explicit_refresh_secret_must_match(make_amanager: MakeAsync) -> None:
    first = make_amanager(refresh_secret=STRONG)
    session = await first.create_session("alice")
    assert session.refresh_token is not None
    other = make_amanager(refresh_secret=STRONG[::-1])
    with pytest.raises(InvalidTokenError):
        await other.refresh_session(session.refresh_token)
    same = make_amanager(refresh_secret=STRONG)
    assert (await same.refresh_session(session.refresh_token)).user_id == "alice"
