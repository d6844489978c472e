"""Hostile access tokens: each is refused with `InvalidTokenError` and reaches no store.

Every token here carries a valid signature of the manager's own key, so that the only
reason left to refuse it is what its header or payload holds.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import jwt
import pytest
from fix_manager import MakeSync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionjar import (
    ConfigurationError,
    InvalidTokenError,
    JSONObject,
    SessionManager,
    SigningKey,
    TryRefreshToken,
)
from sessionjar.testing import ManualClock
from sessionjar.tokens import MAX_TIME

KEY = SigningKey.hs256(b"0123456789abcdefghijklmnopqrstuvwxyz", kid="hs")
HEADER = b'{"alg":"HS256","kid":"hs","typ":"JWT"}'


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(header: bytes, payload: bytes) -> str:
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = jwt.get_algorithm_by_name("HS256").sign(signing_input.encode(), KEY.signer)
    return f"{signing_input}.{_b64(signature)}"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _payload(claims: dict[str, Any], extra: str = "") -> bytes:
    """The JSON text of ``claims`` with ``extra`` (raw JSON members) spliced in first."""
    text = json.dumps(claims, separators=(",", ":"))
    return ("{" + extra + ("," if extra else "") + text[1:]).encode()


@pytest.fixture
def keyed(make_manager: MakeSync) -> tuple[SessionManager, dict[str, Any], list[str]]:
    """A manager on `KEY` recording its store calls, the claims of a genuine token, the calls."""
    calls: list[str] = []
    manager = make_manager(keys=[KEY], calls=calls)
    claims = _claims(manager.create_session("alice", access_payload={"role": "user"}).access_token)
    calls.clear()
    return manager, claims, calls


HOSTILE_HEADERS = [
    b"[" * 1500 + b"]" * 1500,  # RecursionError in json
    b'{"a":' * 600 + b"1" + b"}" * 600,
    b"[" * 150 + b"]" * 150,  # parses, deeper than MAX_DEPTH
    b'{"alg":"HS256","kid":"hs","x":' + b"9" * 5000 + b"}",  # over int's digit limit
    b'{"alg":"HS256","kid":"hs","x":1e999}',
    b'{"alg":"HS256","kid":"hs","x":NaN}',
    b'{"alg":"HS256","kid":"hs","x":-Infinity}',
    b'{"alg":"HS256","kid":"h\xff"}',  # not UTF-8
    b'{"alg":"HS256","kid":"hs","x":"\\ud800"}',  # a lone surrogate
    b'{"alg":"HS256","kid":"hs","kid":"hs"}',
    b'{"alg":"none","kid":"hs","alg":"HS256"}',
    b'{"alg":"HS256","kid":"hs","b64":false}',
    b'\xef\xbb\xbf{"alg":"HS256","kid":"hs"}',  # a byte-order mark
    b'"HS256"',
    b"null",
    b"",
]


@pytest.mark.parametrize("header", HOSTILE_HEADERS, ids=lambda raw: repr(raw)[:40])
def test_hostile_headers_are_invalid_tokens(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], header: bytes
) -> None:
    manager, claims, calls = keyed
    token = _signed(header, _payload(claims))
    with pytest.raises(InvalidTokenError):
        manager.get_session(token, check_database=True)
    assert calls == []


HOSTILE_PAYLOADS = [
    '"x":' + "[" * 1500 + "]" * 1500,
    '"x":' + "[" * 150 + "]" * 150,
    '"x":' + "9" * 5000,
    '"sub":"admin"',  # "sub":"alice" follows: a repeated name
    '"x":{"a":1,"a":2}',
    '"x":1e999',
    '"x":NaN',
    '"x":"\\udc00"',
    '"exp":1e999',
    '"nbf":NaN',
    '"auth_time":1e308',
    f'"exp":{MAX_TIME}',
    '"iat":-1',
]


@pytest.mark.parametrize("extra", HOSTILE_PAYLOADS, ids=lambda extra: extra[:40])
def test_hostile_payloads_are_invalid_tokens(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], extra: str
) -> None:
    manager, claims, calls = keyed
    for name in ("exp", "nbf", "auth_time", "iat"):
        if extra.startswith(f'"{name}"'):
            claims.pop(name, None)
    with pytest.raises(InvalidTokenError):
        manager.get_session(_signed(HEADER, _payload(claims, extra)), check_database=True)
    assert calls == []


def test_escaped_text_that_reads_one_way_is_accepted(make_manager: MakeSync) -> None:
    manager = make_manager(keys=[KEY])
    payload: JSONObject = {
        "name": "Zoë \U0001f600",
        "deep": [[[{"a": None}]]],
        "n": -(2**63),
        "f": 0.5,
    }
    token = manager.create_session("alice", access_payload=payload).access_token
    assert "\\ud83d\\ude00" in base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    assert manager.get_session(token).get_jwt_payload() == payload


@pytest.mark.parametrize("payload", [b"[]", b'"alice"', b"\xff", b'{"sub":"a\xff"}', b""])
def test_a_payload_that_is_not_an_object_of_text_is_an_invalid_token(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], payload: bytes
) -> None:
    manager, _, _ = keyed
    with pytest.raises(InvalidTokenError):
        manager.get_session(_signed(HEADER, payload))


@pytest.mark.parametrize("aud", ["", None, [], "sessionjar", ["sessionjar"], {}])
def test_any_aud_is_refused_when_no_audience_is_set(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], aud: object
) -> None:
    manager, claims, _ = keyed
    with pytest.raises(InvalidTokenError, match="aud"):
        manager.get_session(_signed(HEADER, _payload({**claims, "aud": aud})))


def test_an_audience_is_minted_and_required(make_manager: MakeSync) -> None:
    manager = make_manager(keys=[KEY], audience="api")
    token = manager.create_session("alice").access_token
    claims = _claims(token)
    assert claims["aud"] == "api"
    assert manager.get_session(token).user_id == "alice"
    assert manager.get_session(_signed(HEADER, _payload({**claims, "aud": ["web", "api"]})))
    del claims["aud"]
    for aud in ("web", "", None, [], ["web"], ["api", 1], {"api": 1}, "API"):
        with pytest.raises(InvalidTokenError, match="audience"):
            manager.get_session(_signed(HEADER, _payload({**claims, "aud": aud})))
    with pytest.raises(InvalidTokenError, match="audience"):
        manager.get_session(_signed(HEADER, _payload(claims)))
    for other in (make_manager(keys=[KEY], audience="web"), make_manager(keys=[KEY])):
        with pytest.raises(InvalidTokenError):
            other.get_session(token)


@pytest.mark.parametrize("audience", ["", 7, "a\nb", "x" * 256])
def test_a_bad_audience_setting_is_refused(make_manager: MakeSync, audience: object) -> None:
    with pytest.raises(ConfigurationError, match="audience"):
        make_manager(keys=[KEY], audience=audience)


def test_time_claims_outside_datetimes_range_are_refused(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], clock: ManualClock
) -> None:
    manager, claims, _ = keyed
    for changes in ({"exp": 10**20}, {"exp": True}, {"nbf": "now"}, {"auth_time": -5}):
        with pytest.raises(InvalidTokenError):
            manager.get_session(_signed(HEADER, _payload({**claims, **changes})))
    assert manager.get_session(_signed(HEADER, _payload(claims))).user_id == "alice"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


_PYJWT_OPTIONS: Any = {
    "verify_exp": False,  # sessionjar checks times against the manager's clock
    "verify_iat": False,
    "verify_nbf": False,
    "require": ["iss", "sub", "sid", "tid", "iat", "exp"],
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(header=st.dictionaries(st.text(max_size=5), JSON, max_size=4), changes=JSON)
def test_signed_junk_only_raises_typed_errors_and_pyjwt_agrees_with_what_passes(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], header: dict[str, Any], changes: Any
) -> None:
    manager, claims, _ = keyed
    payload = {**claims, **changes} if isinstance(changes, dict) else changes
    for raw_header in (json.dumps(header).encode(), HEADER):
        token = _signed(raw_header, json.dumps(payload).encode())
        with contextlib.suppress(InvalidTokenError, TryRefreshToken):
            manager.get_session(token)
            # whatever sessionjar's own claims checks accept, PyJWT's accept too
            jwt.decode(
                token, KEY.verifier, algorithms=["HS256"], issuer="sessionjar",
                options=_PYJWT_OPTIONS,
            )  # fmt: skip


@pytest.mark.parametrize(
    "changes", [{"jti": 5}, {"sub": 5}, {"iss": ["sessionjar"]}, {"aud": []}, {"aud": ""}]
)
def test_claims_pyjwt_refuses_are_refused(
    keyed: tuple[SessionManager, dict[str, Any], list[str]], changes: dict[str, Any]
) -> None:
    manager, claims, _ = keyed
    with pytest.raises(InvalidTokenError):
        manager.get_session(_signed(HEADER, _payload({**claims, **changes})))
