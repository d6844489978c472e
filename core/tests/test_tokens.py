"""Tests of the pure token logic: text checks, refresh secrets, rotation, access tokens."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from fix_stores import NOW, session_record
from hypothesis import given
from hypothesis import strategies as st

from sessionjar import InvalidHandle, InvalidTokenError, SigningKey, TryRefreshToken
from sessionjar._claims import PROTECTED_CLAIMS, user_payload
from sessionjar._handles import (
    check_handle,
    check_token_text,
    child_secret,
    hash_secret,
    new_handle,
    new_secret,
    secret_is_ours,
    split_refresh_token,
)
from sessionjar._rotation import Reuse, Rotate, Theft, decide, expiry
from sessionjar.storage import SessionRecord
from sessionjar.tokens import AccessTokens

KEY = b"0123456789abcdefghijklmnopqrstuvwxyz"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.one_of(st.text(), st.binary(), st.integers(), st.none(), st.lists(st.text())))
def test_token_text_is_base64url_and_dots_or_refused(value: Any) -> None:
    try:
        checked = check_token_text(value, "token")
    except InvalidTokenError:
        return
    assert checked is value
    assert 0 < len(checked) <= 8192
    assert set(checked) <= set(BASE64URL + ".")


@given(st.text(alphabet=BASE64URL + ".", min_size=1, max_size=200))
def test_token_shaped_text_passes_the_text_check(value: str) -> None:
    assert check_token_text(value, "token") == value


@given(st.one_of(st.text(), st.integers(), st.none(), st.dictionaries(st.text(), st.text())))
def test_handles_are_checked(value: Any) -> None:
    try:
        checked = check_handle(value)
    except InvalidHandle:
        return
    assert 22 <= len(checked) <= 128
    assert set(checked) <= set(BASE64URL)


@given(st.text(max_size=300))
def test_refresh_token_parsing_never_crashes(value: str) -> None:
    try:
        handle, secret = split_refresh_token(value)
    except InvalidTokenError:
        return
    assert f"{handle}.{secret}" == value


@given(st.text(max_size=500))
def test_access_token_verification_only_raises_typed_errors(value: str) -> None:
    key = SigningKey.hs256(KEY, kid="k")
    with pytest.raises(InvalidTokenError):
        AccessTokens("sessionjar").verify(value, {"k": key}, NOW.timestamp())


def test_handles_are_random_and_well_formed() -> None:
    handles = {new_handle() for _ in range(1000)}
    assert len(handles) == 1000
    for handle in handles:
        assert check_handle(handle) == handle


def test_secrets_are_sealed_per_handle_and_key() -> None:
    handle, other = new_handle(), new_handle()
    secret = new_secret(KEY, handle)
    assert secret_is_ours(KEY, handle, secret)
    assert not secret_is_ours(KEY, other, secret)
    assert not secret_is_ours(KEY[::-1], handle, secret)
    assert split_refresh_token(f"{handle}.{secret}") == (handle, secret)


def test_children_are_deterministic_sealed_and_distinct() -> None:
    handle = new_handle()
    parent = new_secret(KEY, handle)
    child = child_secret(KEY, handle, parent)
    assert child == child_secret(KEY, handle, parent)
    assert child != parent
    assert secret_is_ours(KEY, handle, child)
    assert child_secret(KEY, new_handle(), parent) != child
    assert child_secret(KEY[::-1], handle, parent) != child


def _record(secret: str, **fields: Any) -> SessionRecord:
    fields.setdefault("refresh_hash", hash_secret(secret))
    return session_record("h" * 22, ttl=timedelta(days=30), **fields)


def _decide(record: SessionRecord, secret: str, now: datetime) -> Rotate | Reuse | Theft:
    return decide(
        record,
        secret,
        key=KEY,
        now=now,
        grace_window=timedelta(seconds=30),
        refresh_validity=timedelta(days=30),
    )


def test_current_token_rotates() -> None:
    parent = new_secret(KEY, "h" * 22)
    later = NOW + timedelta(days=1)
    outcome = _decide(_record(parent), parent, later)
    assert isinstance(outcome, Rotate)
    assert outcome.child == child_secret(KEY, "h" * 22, parent)
    assert outcome.patch.refresh_hash == hash_secret(outcome.child)
    assert outcome.patch.prev_refresh_hash == hash_secret(parent)
    assert outcome.patch.rotated_at == later
    assert outcome.patch.expires_at == later + timedelta(days=30)


def test_previous_token_is_reused_only_within_the_grace_window() -> None:
    parent = new_secret(KEY, "h" * 22)
    child = child_secret(KEY, "h" * 22, parent)
    record = _record(child, prev_refresh_hash=hash_secret(parent), rotated_at=NOW)
    assert _decide(record, parent, NOW + timedelta(seconds=29, milliseconds=999)) == Reuse(child)
    assert _decide(record, parent, NOW + timedelta(seconds=30)) == Theft()


def test_unrelated_and_ancestor_tokens_are_theft() -> None:
    first = new_secret(KEY, "h" * 22)
    second = child_secret(KEY, "h" * 22, first)
    third = child_secret(KEY, "h" * 22, second)
    record = _record(third, prev_refresh_hash=hash_secret(second), rotated_at=NOW)
    assert _decide(record, first, NOW) == Theft()
    assert _decide(record, new_secret(KEY, "h" * 22), NOW) == Theft()


def test_expiry_is_capped_by_the_deadline() -> None:
    assert expiry(NOW, timedelta(days=30), None) == NOW + timedelta(days=30)
    assert expiry(NOW, timedelta(days=30), NOW + timedelta(days=2)) == NOW + timedelta(days=2)


def _mint(tokens: AccessTokens, key: SigningKey, expires_at: int) -> str:
    return tokens.mint(
        key,
        handle="h" * 22,
        tenant="acme",
        user_id="alice",
        created_at=NOW + timedelta(milliseconds=250),
        issued_at=int(NOW.timestamp()),
        expires_at=expires_at,
        payload={"role": "admin"},
    )


def test_access_tokens_round_trip() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate(kid="k")
    exp = int(NOW.timestamp()) + 900
    claims = tokens.verify(_mint(tokens, key, exp), {"k": key}, NOW.timestamp())
    assert (claims.handle, claims.tenant, claims.user_id) == ("h" * 22, "acme", "alice")
    assert claims.expires_at == exp
    assert claims.created_ms == int(NOW.timestamp()) * 1000  # auth_time: whole seconds
    assert user_payload(claims.claims) == {"role": "admin"}
    with pytest.raises(TryRefreshToken):
        tokens.verify(_mint(tokens, key, exp), {"k": key}, exp)


def test_auth_time_is_an_integer_numeric_date() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate(kid="k")
    token = _mint(tokens, key, int(NOW.timestamp()) + 900)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["auth_time"] == int(NOW.timestamp())
    assert type(claims["auth_time"]) is int


def test_a_fractional_auth_time_of_an_earlier_version_still_verifies() -> None:
    key = SigningKey.generate(kid="k")
    claims: dict[str, Any] = {"iss": "me", "sub": "alice", "sid": "h" * 22, "tid": "acme"}
    claims |= {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 900}
    token = jwt.encode(
        {**claims, "auth_time": NOW.timestamp() + 0.25}, key.signer, "EdDSA", {"kid": "k"}
    )
    verified = AccessTokens("me").verify(token, {"k": key}, NOW.timestamp())
    assert verified.created_ms == int(NOW.timestamp()) * 1000 + 250


def test_a_replaced_key_is_not_served_from_the_header_cache() -> None:
    tokens, old = AccessTokens("me"), SigningKey.generate(kid="k")
    token = _mint(tokens, old, int(NOW.timestamp()) + 900)
    tokens.verify(token, {"k": old}, NOW.timestamp())
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, {"k": SigningKey.generate(kid="k")}, NOW.timestamp())
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, {}, NOW.timestamp())


def test_forged_headers_never_enter_the_header_cache() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate(kid="k")
    genuine = _mint(tokens, key, int(NOW.timestamp()) + 900)
    _, payload, signature = genuine.split(".")
    for extra in range(100):
        header = base64.urlsafe_b64encode(
            json.dumps({"alg": "EdDSA", "kid": "k", "n": extra}).encode()
        ).rstrip(b"=")
        with pytest.raises(InvalidTokenError):
            tokens.verify(f"{header.decode()}.{payload}.{signature}", {"k": key}, NOW.timestamp())
    assert tokens._headers == {}
    tokens.verify(genuine, {"k": key}, NOW.timestamp())
    assert list(tokens._headers.values()) == [key]


def test_user_payload_drops_protected_claims() -> None:
    claims = dict.fromkeys(PROTECTED_CLAIMS, 1) | {"role": "x"}
    assert user_payload(claims) == {"role": "x"}
