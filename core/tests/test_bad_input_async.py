"""Bad input: each is refused with a clear typed error, before anything is written."""

from __future__ import annotations

import base64
import hmac
import json
import math
import socket
import urllib.request
from collections.abc import Callable
from functools import partial
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fix_manager import MakeAsync

from sessionjar import (
    AsyncSessionManager,
    ConfigurationError,
    InvalidHandle,
    InvalidTokenError,
    JSONObject,
    SerializationError,
    SigningKey,
    TryRefreshToken,
)
from sessionjar._json import MAX_DEPTH
from sessionjar.testing import ManualClock

NOT_TEXT: list[object] = [{"$ne": None}, ["a"], 42, None, b"token", 1.5]
BAD_TEXT = [
    "",
    "a" * 8193,
    "abc\x00def",
    "abc\r\ndef",
    "abc\ndef",
    "abc def",
    "abc\tdef",
    "abc*",
    "ab?c",
    "a[bc]",
    "abcdé",
    "ab\u200bc",
    chr(0x430) + "bc",  # Cyrillic a
]
BAD_VALUES = NOT_TEXT + BAD_TEXT
HANDLE_SHAPED = ["A" * 21, "A" * 129, "AAAAAAAAAAAAAAAAAAAAAA.b"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def rsa_key() -> SigningKey:
    return SigningKey.generate("RS256", kid="rsa-1")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to fetch a key over the network."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a key was fetched over the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
async def test_bad_tokens_never_reach_the_store(make_amanager: MakeAsync, value: Any) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    await manager.load_keys()
    calls.clear()
    with pytest.raises(InvalidTokenError):
        await manager.get_session(value)
    with pytest.raises(InvalidTokenError):
        await manager.get_session(value, check_database=True)
    with pytest.raises(InvalidTokenError):
        await manager.refresh_session(value)
    assert calls == []


@pytest.mark.parametrize("value", BAD_VALUES + HANDLE_SHAPED, ids=repr)
async def test_bad_handles_never_reach_the_store(make_amanager: MakeAsync, value: Any) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    with pytest.raises(InvalidHandle):
        await manager.revoke_session(value)
    with pytest.raises(InvalidHandle):
        await manager.get_session_information(value)
    with pytest.raises(InvalidHandle):
        await manager.update_session_data(value, {"a": 1})
    with pytest.raises(InvalidHandle):
        await manager.update_jwt_payload(value, {"a": 1})
    assert calls == []


@pytest.mark.parametrize("value", [*NOT_TEXT, "", "a" * 256, "a\x00b", "a\nb", "\ud800"], ids=repr)
async def test_bad_user_ids_and_tenants_write_nothing(
    make_amanager: MakeAsync, value: Any
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    with pytest.raises(ConfigurationError):
        await manager.create_session(value)
    with pytest.raises(ConfigurationError):
        await manager.create_session("alice", tenant=value)
    with pytest.raises(ConfigurationError):
        await manager.revoke_all_sessions_for_user(value)
    with pytest.raises(ConfigurationError):
        await manager.get_all_session_handles_for_user("alice", tenant=value)
    assert calls == []


@pytest.mark.parametrize(
    "refresh_token",
    [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.",
        "AAAAAAAAAAAAAAAAAAAAAA.short",
        "AAAAAAAAAAAAAAAAAAAAAA." + "A" * 43 + ".extra",
        "short." + "A" * 43,
        "eyJhbGciOiJub25lIn0.e30.",
    ],
)
async def test_malformed_refresh_tokens_never_reach_the_store(
    make_amanager: MakeAsync, refresh_token: str
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    with pytest.raises(InvalidTokenError):
        await manager.refresh_session(refresh_token)
    assert calls == []


async def test_alg_none_is_refused(amanager: AsyncSessionManager) -> None:
    genuine = await amanager.create_session("alice")
    kid = jwt.get_unverified_header(genuine.access_token)["kid"]
    for alg in ("none", "None", "NONE"):
        header = {"alg": alg, "kid": kid, "typ": "JWT"}
        forged = _forge(header, _claims(genuine.access_token), lambda _: b"")
        with pytest.raises(InvalidTokenError):
            await amanager.get_session(forged)
        with pytest.raises(InvalidTokenError):
            await amanager.get_session(forged.rstrip("."))


async def test_hs256_signed_with_our_public_key_is_refused(
    make_amanager: MakeAsync, rsa_key: SigningKey
) -> None:
    manager = make_amanager(keys=[rsa_key])
    genuine = await manager.create_session("alice")
    claims = _claims(genuine.access_token)
    pem = rsa_key.verifier.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwks = await manager.get_jwks()
    public_jwk = json.dumps(jwks["keys"][0]).encode()
    for secret in (pem, pem.strip(), public_jwk):
        header = {"alg": "HS256", "kid": rsa_key.kid, "typ": "JWT"}
        forged = _forge(header, claims, partial(hmac.digest, secret, digest="sha256"))
        with pytest.raises(InvalidTokenError):
            await manager.get_session(forged)


@pytest.mark.parametrize(
    "kid",
    ["unknown", "../../../../dev/null", "' OR '1'='1", "sessionjar.refresh-secret", "", 7, None],
)
async def test_unknown_or_malicious_kid_is_refused(
    make_amanager: MakeAsync, rsa_key: SigningKey, kid: object
) -> None:
    manager = make_amanager(keys=[rsa_key])
    genuine = await manager.create_session("alice")
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    rs256 = jwt.get_algorithm_by_name("RS256")
    forged = _forge(header, _claims(genuine.access_token), lambda d: rs256.sign(d, rsa_key.signer))
    with pytest.raises(InvalidTokenError):
        await manager.get_session(forged)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("extra", ["jku", "x5u", "jwk", "x5c", "crit"])
async def test_key_locating_headers_are_refused_and_never_fetched(
    make_amanager: MakeAsync, rsa_key: SigningKey, extra: str
) -> None:
    manager = make_amanager(keys=[rsa_key])
    genuine = await manager.create_session("alice")
    values = {
        "jku": "http://127.0.0.1:9/jwks.json",
        "x5u": "http://127.0.0.1:9/cert.pem",
        "jwk": {"kty": "oct", "k": "AAAA"},
        "x5c": ["MIIB"],
        "crit": ["exp"],
    }
    header = {"kid": rsa_key.kid, extra: values[extra]}
    signed = jwt.encode(_claims(genuine.access_token), rsa_key.signer, "RS256", header)
    with pytest.raises(InvalidTokenError, match="refused headers"):
        await manager.get_session(signed)


async def test_tampered_tokens_are_refused(amanager: AsyncSessionManager) -> None:
    token = (await amanager.create_session("alice", access_payload={"role": "user"})).access_token
    header, payload, signature = token.split(".")
    claims = _claims(token)
    claims["role"] = "admin"
    elevated = _b64(json.dumps(claims).encode())
    flipped_char = "A" if payload[5] != "A" else "B"
    flipped = payload[:5] + flipped_char + payload[6:]
    for bad in (
        f"{header}.{elevated}.{signature}",
        f"{header}.{flipped}.{signature}",
        f"{header}.{payload}.{signature[:-4]}",
        f"{header}.{payload}.",
        f"{header}.{payload}",
        f"{header}.{payload}.{signature}.{signature}",
    ):
        with pytest.raises(InvalidTokenError):
            await amanager.get_session(bad)
    assert (await amanager.get_session(token)).get_jwt_payload() == {"role": "user"}


async def test_time_claims_follow_the_clock(
    make_amanager: MakeAsync, rsa_key: SigningKey, clock: ManualClock
) -> None:
    manager = make_amanager(keys=[rsa_key])
    genuine = await manager.create_session("alice")
    claims = _claims(genuine.access_token)
    now = int(clock.now.timestamp())
    header = {"kid": rsa_key.kid}

    def signed(**changes: Any) -> str:
        return jwt.encode({**claims, **changes}, rsa_key.signer, "RS256", header)

    with pytest.raises(TryRefreshToken):
        await manager.get_session(signed(exp=now))
    with pytest.raises(InvalidTokenError, match="not valid yet"):
        await manager.get_session(signed(iat=now + 3600))
    with pytest.raises(InvalidTokenError, match="not valid yet"):
        await manager.get_session(signed(nbf=now + 3600))
    assert (await manager.get_session(signed(nbf=now))).user_id == "alice"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"iss": None},
        {"aud": "another-service"},
        {"sub": 42},
        {"exp": "tomorrow"},
        {"exp": 1e20},
        {"sid": ["x"]},
        {"auth_time": "yesterday"},
    ],
    ids=repr,
)
async def test_foreign_or_malformed_claims_are_refused(
    make_amanager: MakeAsync, rsa_key: SigningKey, changes: dict[str, Any]
) -> None:
    manager = make_amanager(keys=[rsa_key])
    genuine = await manager.create_session("alice")
    claims = {**_claims(genuine.access_token), **changes}
    header = {"alg": "RS256", "kid": rsa_key.kid}
    rs256 = jwt.get_algorithm_by_name("RS256")
    forged = _forge(header, claims, lambda d: rs256.sign(d, rsa_key.signer))
    with pytest.raises(InvalidTokenError):
        await manager.get_session(forged)


@pytest.mark.parametrize("missing", ["iss", "sub", "sid", "tid", "iat", "exp"])
async def test_missing_claims_are_refused(
    make_amanager: MakeAsync, rsa_key: SigningKey, missing: str
) -> None:
    manager = make_amanager(keys=[rsa_key])
    claims = _claims((await manager.create_session("alice")).access_token)
    del claims[missing]
    forged = jwt.encode(claims, rsa_key.signer, "RS256", {"kid": rsa_key.kid})
    with pytest.raises(InvalidTokenError):
        await manager.get_session(forged)


@pytest.mark.parametrize("claim", ["sub", "sid", "tid", "iss", "exp", "iat", "nbf", "aud", "jti"])
async def test_payload_may_not_set_protected_claims(make_amanager: MakeAsync, claim: str) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    session = await manager.create_session("alice", access_payload={"ok": 1})
    calls.clear()
    with pytest.raises(ConfigurationError, match=claim):
        await manager.create_session("alice", access_payload={claim: "x"})
    with pytest.raises(ConfigurationError, match=claim):
        await manager.update_jwt_payload(session.handle, {claim: "x"})
    with pytest.raises(ConfigurationError, match=claim):
        await session.update_jwt_payload({claim: "x"})
    assert calls == []
    assert session.get_jwt_payload() == {"ok": 1}


async def test_payload_too_large_for_a_token_is_refused(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    session = await manager.create_session("alice", access_payload={"ok": 1})
    calls.clear()
    large: JSONObject = {"blob": "x" * 4096}
    with pytest.raises(ConfigurationError, match="4096"):
        await manager.create_session("alice", access_payload=large)
    with pytest.raises(ConfigurationError, match="4096"):
        await manager.update_jwt_payload(session.handle, large)
    with pytest.raises(ConfigurationError, match="4096"):
        await session.update_jwt_payload(large)
    assert calls == []
    wide = chr(0x1F600) * 255
    with pytest.raises(ConfigurationError, match="8192"):
        await manager.create_session(wide, tenant=wide, access_payload={"blob": "x" * 4000})
    assert "create" not in calls
    assert await manager.get_all_session_handles_for_user(wide, tenant=wide) == []


class _Unserializable:
    def __repr__(self) -> str:  # a stable test id, the same in every process
        return "_Unserializable()"


def _nested(depth: int) -> JSONObject:
    """An object holding ``depth`` objects and lists in all, one inside the other."""
    value: Any = {"leaf": True}
    for level in range(depth - 2, -1, -1):  # objects at even levels, lists at odd ones
        value = [value] if level % 2 else {"object": value}
    assert isinstance(value, dict)
    return value


def _cyclic() -> dict[str, Any]:
    value: dict[str, Any] = {"ok": 1}
    value["self"] = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"x": math.nan},
        {"x": math.inf},
        {"x": -math.inf},
        {"x": b"bytes"},
        {"x": {1, 2}},
        {"x": (1, 2)},
        {"x": "\ud800"},
        {"\udfff": 1},
        {1: "int key"},
        {None: "null key"},
        {"x": {"deep": [1, {2: 3}]}},
        {"x": _Unserializable()},
        _cyclic(),
        _nested(MAX_DEPTH + 1),
        ["not", "an", "object"],
        "text",
    ],
    ids=lambda value: repr(value)[:60],
)
async def test_values_that_cannot_round_trip_write_nothing(
    make_amanager: MakeAsync, value: Any
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    session = await manager.create_session("alice", session_data={"kept": True})
    calls.clear()
    with pytest.raises(SerializationError):
        await manager.create_session("alice", session_data=value)
    with pytest.raises(SerializationError):
        await manager.create_session("alice", access_payload=value)
    with pytest.raises(SerializationError):
        await manager.update_session_data(session.handle, value)
    with pytest.raises(SerializationError):
        await session.update_session_data(value)
    with pytest.raises(SerializationError):
        await session.update_jwt_payload(value)
    assert calls == []
    assert await manager.get_all_session_handles_for_user("alice") == [session.handle]
    assert await session.get_session_data() == {"kept": True}


async def test_data_nested_up_to_the_limit_round_trips(amanager: AsyncSessionManager) -> None:
    deep = _nested(MAX_DEPTH)
    session = await amanager.create_session("alice", session_data=deep)
    assert await session.get_session_data() == deep


async def test_an_access_token_is_not_a_refresh_token(make_amanager: MakeAsync) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    session = await manager.create_session("alice")
    assert session.refresh_token is not None
    calls.clear()
    with pytest.raises(InvalidTokenError):
        await manager.refresh_session(session.access_token)
    with pytest.raises(InvalidTokenError):
        await manager.get_session(session.refresh_token)
    assert calls == []
