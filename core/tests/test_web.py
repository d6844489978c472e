"""The framework-neutral web layer: its decisions (sessionjar._web) and its request flow."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import timedelta

import pytest

import sessionjar.fastapi
import sessionjar.flask
import sessionjar.starlette
from sessionjar import (
    AntiCsrfCheckFailed,
    ClientError,
    ConfigurationError,
    DriverNotFound,
    InvalidTokenError,
    SerializationError,
    SessionjarError,
    SessionManager,
    SessionNotFound,
    SessionRequired,
    StorageUnavailable,
    TokenTheftDetected,
    TryRefreshToken,
    UnauthorisedError,
)
from sessionjar._web import (
    RequestState,
    WebConfig,
    access_token_to_verify,
    anti_csrf_token_needed,
    check_anti_csrf,
    check_anti_csrf_token,
    default_error_reply,
    read_refresh_token,
    read_request,
    response_headers,
    session_cookies,
)
from sessionjar._web_flow import WebFlow, WebRequest

HANDLE = "A" * 22
DAY = timedelta(days=1)


@dataclass
class FakeSession:
    """The three facts the web layer reads of a session."""

    access_token: str = "new-access"
    refresh_token: str | None = None
    revoked: bool = False


class TestConfig:
    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"refresh_path": "refresh"}, "refresh_path"),
            ({"access_cookie_path": "/a;b"}, "access_cookie_path"),
            ({"access_cookie_name": "a b"}, "access_cookie_name"),
            ({"access_cookie_name": "s", "refresh_cookie_name": "s"}, "refresh_cookie_name"),
            ({"cookie_domain": "x;Secure"}, "cookie_domain"),
            ({"cookie_samesite": "none", "cookie_secure": False}, "cookie_secure"),
        ],
    )
    def test_refuses_what_cannot_be_safe(self, options: dict[str, object], message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            WebConfig(**options)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"refresh_cookie_name": "__Host-rt"}, "refresh cookie is scoped to refresh_path"),
            ({"access_cookie_name": "__Host-at", "cookie_secure": False}, "without Secure"),
            ({"access_cookie_name": "__host-at", "cookie_domain": "a.example"}, "with a Domain"),
            ({"access_cookie_name": "__Host-at", "access_cookie_path": "/api"}, "Path is not"),
            ({"access_cookie_name": "__Secure-at", "cookie_secure": False}, "without Secure"),
            ({"refresh_cookie_name": "__SECURE-rt", "cookie_secure": False}, "without Secure"),
        ],
    )
    def test_refuses_prefixed_names_browsers_would_drop(
        self, options: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=f"browsers refuse.*{message}"):
            WebConfig(**options)  # type: ignore[arg-type]

    def test_accepts_prefixed_names_browsers_keep(self) -> None:
        config = WebConfig(
            access_cookie_name="__Host-at",
            refresh_cookie_name="__Secure-rt",
            access_cookie_path="/",
        )
        state = RequestState("cookie", None, session=FakeSession(refresh_token="r"))
        cookies = [v for k, v in response_headers(config, state, DAY) if k == "Set-Cookie"]
        assert cookies[0].startswith("__Host-at=new-access; Path=/; ")
        assert "Domain" not in cookies[0]
        assert "Secure" in cookies[0]
        assert cookies[1].startswith("__Secure-rt=r; Path=/auth/session/refresh; ")

    @pytest.mark.parametrize(
        ("samesite", "expected"), [("lax", "none"), ("strict", "none"), ("none", "custom_header")]
    )
    def test_anti_csrf_default_follows_samesite(self, samesite: str, expected: str) -> None:
        assert WebConfig(cookie_samesite=samesite).anti_csrf == expected  # type: ignore[arg-type]

    def test_explicit_anti_csrf_wins(self) -> None:
        assert WebConfig(cookie_samesite="none", anti_csrf="none").anti_csrf == "none"


class TestErrorMapping:
    @pytest.mark.parametrize(
        ("error", "status", "code", "clear"),
        [
            (TryRefreshToken("expired"), 401, "try_refresh_token", False),
            (SessionRequired("none"), 401, "unauthorised", False),
            (InvalidTokenError("bad"), 401, "unauthorised", True),
            (SessionNotFound(HANDLE), 401, "unauthorised", True),
            (TokenTheftDetected(HANDLE, "alice"), 401, "token_theft_detected", True),
            (AntiCsrfCheckFailed("no header"), 403, "anti_csrf_check_failed", False),
            (StorageUnavailable("down"), 503, "storage_unavailable", False),
        ],
    )
    def test_client_and_storage_errors_have_responses(
        self, error: SessionjarError, status: int, code: str, clear: bool
    ) -> None:
        reply = default_error_reply(error)
        assert reply is not None
        assert (reply.status, reply.body["error"], reply.clear_tokens) == (status, code, clear)

    @pytest.mark.parametrize("error", [SessionRequired("none"), AntiCsrfCheckFailed("no")])
    def test_web_errors_pickle(self, error: SessionjarError) -> None:
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
        assert (type(copy), str(copy)) == (type(error), str(error))
        assert f"{type(error).__module__}.{type(error).__name__}" in {
            "sessionjar.SessionRequired",
            "sessionjar.AntiCsrfCheckFailed",
        }

    def test_web_errors_sit_in_the_tree_and_in_every_adapter(self) -> None:
        assert SessionRequired.__mro__[1] is UnauthorisedError
        assert AntiCsrfCheckFailed.__mro__[1] is ClientError
        for adapter in (sessionjar.starlette, sessionjar.fastapi, sessionjar.flask):
            assert adapter.SessionRequired is SessionRequired
            assert adapter.AntiCsrfCheckFailed is AntiCsrfCheckFailed

    @pytest.mark.parametrize(
        "error", [SerializationError("nan"), DriverNotFound("x", None), ConfigurationError("c")]
    )
    def test_programmer_errors_have_none(self, error: SessionjarError) -> None:
        assert default_error_reply(error) is None


class TestTransfer:
    def test_bearer_wins_over_cookie(self) -> None:
        state: RequestState[FakeSession] = read_request(
            WebConfig(), {"authorization": "Bearer tok"}, {"sAccessToken": "cookie"}
        )
        assert (state.transfer, state.token, state.had_cookies) == ("header", "tok", True)

    def test_cookie_only_ignores_bearer(self) -> None:
        state: RequestState[FakeSession] = read_request(
            WebConfig(transfer="cookie"), {"authorization": "Bearer tok"}, {"sAccessToken": "c"}
        )
        assert (state.transfer, state.token) == ("cookie", "c")

    def test_header_only_ignores_cookies(self) -> None:
        state: RequestState[FakeSession] = read_request(
            WebConfig(transfer="header"), {}, {"sAccessToken": "c"}
        )
        assert (state.transfer, state.token, state.had_cookies) == ("header", None, False)

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [({}, "cookie"), ({"auth-mode": "header"}, "header"), ({"auth-mode": "cookie"}, "cookie")],
    )
    def test_new_sessions_follow_auth_mode(self, headers: dict[str, str], expected: str) -> None:
        state: RequestState[FakeSession] = read_request(WebConfig(), headers, {})
        assert (state.transfer, state.token) == (expected, None)

    def test_refresh_reads_the_refresh_cookie(self) -> None:
        cookies = {"sAccessToken": "a", "sRefreshToken": "r"}
        state: RequestState[FakeSession] = read_refresh_token(WebConfig(), {}, cookies)
        assert (state.transfer, state.token) == ("cookie", "r")

    def test_non_bearer_authorization_is_ignored(self) -> None:
        state: RequestState[FakeSession] = read_request(
            WebConfig(), {"authorization": "Basic x"}, {}
        )
        assert state.token is None


class TestSessionCookies:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, {}),
            ("", {}),
            ("theme=dark", {}),
            ("sAccessToken=a; sRefreshToken=r", {"sAccessToken": "a", "sRefreshToken": "r"}),
            ("x=1;sAccessToken=a ; other=2", {"sAccessToken": "a"}),
            ("sAccessToken=first; sAccessToken=second", {"sAccessToken": "first"}),
            ("xsAccessToken=forged; a=sAccessToken=no", {}),
            ("xsAccessToken=forged; sAccessToken=real", {"sAccessToken": "real"}),
            ("sAccessToken=", {"sAccessToken": ""}),
        ],
    )
    def test_reads_only_our_cookies_first_one_wins(
        self, header: str | None, expected: dict[str, str]
    ) -> None:
        assert session_cookies(WebConfig(), header) == expected

    def test_header_transfer_reads_no_cookie(self) -> None:
        assert session_cookies(WebConfig(transfer="header"), "sAccessToken=a") == {}

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("sAccessToken=a; sRefreshToken=r", {"sAccessToken": "a"}),
            ("sRefreshToken=r", {"sRefreshToken": "r"}),
            ("theme=dark", {}),
        ],
    )
    def test_away_from_refresh_the_refresh_cookie_is_read_only_without_access(
        self, header: str, expected: dict[str, str]
    ) -> None:
        assert session_cookies(WebConfig(), header, refresh=False) == expected


class TestTokenToVerify:
    def test_request_token_is_verified_first(self) -> None:
        state: RequestState[FakeSession] = RequestState("cookie", "sent")
        token = access_token_to_verify(
            WebConfig(), state, "GET", {}, required=True, check_database=False
        )
        assert token == "sent"

    def test_absent_optional_session_needs_nothing(self) -> None:
        state: RequestState[FakeSession] = RequestState("cookie", None)
        token = access_token_to_verify(
            WebConfig(), state, "GET", {}, required=False, check_database=True
        )
        assert token is None

    @pytest.mark.parametrize(
        ("checked", "check_database", "expected"),
        [(False, False, None), (True, True, None), (True, False, None),
         (False, True, "new-access")],
    )  # fmt: skip
    def test_verified_session_is_verified_again_only_to_check_the_database(
        self, checked: bool, check_database: bool, expected: str | None
    ) -> None:
        state = RequestState("cookie", "sent", session=FakeSession(), database_checked=checked)
        token = access_token_to_verify(
            WebConfig(), state, "GET", {}, required=True, check_database=check_database
        )
        assert token == expected


class TestAntiCsrf:
    @pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE"])
    def test_safe_methods_are_not_checked(self, method: str) -> None:
        state: RequestState[FakeSession] = RequestState("cookie", "t")
        check_anti_csrf(WebConfig(anti_csrf="custom_header"), state, method, {})
        assert not anti_csrf_token_needed(WebConfig(anti_csrf="token"), state, method)

    def test_unsafe_methods_are_checked(self) -> None:
        config = WebConfig(anti_csrf="custom_header")
        state: RequestState[FakeSession] = RequestState("cookie", "t")
        with pytest.raises(AntiCsrfCheckFailed):
            check_anti_csrf(config, state, "DELETE", {})
        check_anti_csrf(config, state, "DELETE", {"anti-csrf": "x"})

    @pytest.mark.parametrize(
        ("mode", "transfer", "needed"),
        [
            ("token", "cookie", True),
            ("token", "header", False),
            ("custom_header", "cookie", False),
        ],
    )
    def test_token_is_needed_on_unsafe_cookie_requests_in_token_mode(
        self, mode: str, transfer: str, needed: bool
    ) -> None:
        config = WebConfig(anti_csrf=mode)  # type: ignore[arg-type]
        state: RequestState[FakeSession] = RequestState(transfer, "t")  # type: ignore[arg-type]
        assert anti_csrf_token_needed(config, state, "post") is needed

    @pytest.mark.parametrize("headers", [{}, {"anti-csrf": ""}, {"anti-csrf": "other"}])
    def test_token_must_match(self, headers: dict[str, str]) -> None:
        config = WebConfig(anti_csrf="token")
        with pytest.raises(AntiCsrfCheckFailed):
            check_anti_csrf_token(config, headers, "expected")
        check_anti_csrf_token(config, {"anti-csrf": "expected"}, "expected")

    def test_new_cookies_carry_the_anti_csrf_token(self) -> None:
        state = RequestState("cookie", None, session=FakeSession(refresh_token="r"))
        state.anti_csrf_token = "tok"
        headers = response_headers(WebConfig(anti_csrf="token"), state, DAY)
        assert ("anti-csrf", "tok") in headers
        assert ("Access-Control-Expose-Headers", "anti-csrf") in headers


class TestResponseHeaders:
    def test_nothing_changed_writes_nothing(self) -> None:
        state = RequestState("cookie", "new-access", session=FakeSession())
        assert response_headers(WebConfig(), state, DAY) == []

    def test_revoked_session_clears_the_tokens(self) -> None:
        state = RequestState("cookie", "new-access", True, session=FakeSession(revoked=True))
        written = response_headers(WebConfig(), state, DAY)
        cookies = [v for k, v in written if k == "Set-Cookie"]
        assert [c.split(";")[0] for c in cookies] == ["sAccessToken=", "sRefreshToken="]
        assert all("Max-Age=0" in c for c in cookies)
        assert ("Cache-Control", "no-store") in written
        assert ("Vary", "Cookie") in written

    def test_new_cookies_vary_on_cookie(self) -> None:
        state = RequestState("cookie", None, session=FakeSession(refresh_token="r"))
        assert ("Vary", "Cookie") in response_headers(WebConfig(), state, DAY)

    def test_clearing_without_cookies_or_headers_writes_nothing(self) -> None:
        state: RequestState[FakeSession] = RequestState("cookie", None, clear=True)
        assert response_headers(WebConfig(), state, DAY) == []

    def test_new_session_in_header_mode(self) -> None:
        state = RequestState("header", None, session=FakeSession(refresh_token="r"))
        headers = dict(response_headers(WebConfig(), state, DAY))
        assert headers["access-token"] == "new-access"
        assert headers["refresh-token"] == "r"
        assert headers["Cache-Control"] == "no-store"
        assert "access-token" in headers["Access-Control-Expose-Headers"]
        assert "Vary" not in headers  # no cookie written: nothing varies on Cookie

    @pytest.mark.parametrize(
        ("mount", "expected"),
        [("/app", "/app/r"), ("/app/", "/app/r"), ("", "/r"), ("/a;Domain=evil", "/r"),
         ("app", "/r")],
    )  # fmt: skip
    def test_refresh_cookie_lives_below_the_mount_path(self, mount: str, expected: str) -> None:
        state = RequestState("cookie", None, session=FakeSession(refresh_token="r"))
        state.mounted_at(mount)
        written = response_headers(WebConfig(refresh_path="/r"), state, DAY)
        paths = [v.split("; ")[1] for k, v in written if k == "Set-Cookie"]
        assert paths == ["Path=/", f"Path={expected}"]

    def test_cookie_attributes(self) -> None:
        config = WebConfig(cookie_domain="example.com", cookie_samesite="strict")
        state = RequestState("cookie", None, session=FakeSession(refresh_token="r"))
        cookies = [v for k, v in response_headers(config, state, DAY) if k == "Set-Cookie"]
        assert cookies == [
            "sAccessToken=new-access; Path=/; Domain=example.com; Max-Age=86400; HttpOnly; "
            "Secure; SameSite=Strict",
            "sRefreshToken=r; Path=/auth/session/refresh; Domain=example.com; Max-Age=86400; "
            "HttpOnly; Secure; SameSite=Strict",
        ]


def _cookies_of(headers: list[tuple[str, str]]) -> str:
    """Return the Cookie header a browser sends back after these response headers."""
    pairs = [value.split(";")[0] for name, value in headers if name == "Set-Cookie"]
    return "; ".join(pairs)


class TestFlow:
    """The request flow as a third adapter drives it (sync flavour; the async one runs
    under the Starlette tests)."""

    def _signed_in(self, flow: WebFlow) -> str:
        web = flow.begin("POST", "/signin", {}, None)
        web.create_session("alice")
        return _cookies_of(web.response_headers())

    def _request(self, flow: WebFlow, cookie: str, path: str = "/me") -> WebRequest:
        method = "POST" if flow.builtin_route("POST", path) else "GET"
        return flow.begin(method, path, {"cookie": cookie}, None)

    def test_created_session_writes_cookies_that_vary(self, manager: SessionManager) -> None:
        web = WebFlow(manager, WebConfig()).begin("POST", "/signin", {}, None)
        web.create_session("alice")
        written = web.response_headers()
        assert [name for name, _ in written].count("Set-Cookie") == 2
        assert ("Cache-Control", "no-store") in written
        assert ("Vary", "Cookie") in written

    def test_a_request_verifies_once_and_writes_nothing(self, manager: SessionManager) -> None:
        flow = WebFlow(manager, WebConfig())
        web = self._request(flow, self._signed_in(flow))
        session = web.get_session()
        assert web.get_session(required=False) is session
        assert session.get_user_id() == "alice"
        assert web.response_headers() == []

    def test_anonymous_optional_session_is_none(self, manager: SessionManager) -> None:
        web = WebFlow(manager, WebConfig()).begin("GET", "/me", {}, None)
        assert web.get_session(required=False) is None
        with pytest.raises(SessionRequired):
            web.get_session()
        assert web.response_headers() == []

    def test_builtin_routes_are_post_only(self, manager: SessionManager) -> None:
        flow = WebFlow(manager, WebConfig(refresh_path="/r", signout_path="/s"))
        assert flow.builtin_route("POST", "/r") == "refresh"
        assert flow.builtin_route("POST", "/s") == "signout"
        assert flow.builtin_route("GET", "/r") is None

    def test_refresh_rotates_and_signout_clears(self, manager: SessionManager) -> None:
        flow = WebFlow(manager, WebConfig())
        cookie = self._signed_in(flow)
        refreshed = self._request(flow, cookie, "/auth/session/refresh")
        assert refreshed.serve("refresh") == {"status": "OK"}
        new_cookie = _cookies_of(refreshed.response_headers())
        assert new_cookie.split("; ") != cookie.split("; ")
        out = self._request(flow, new_cookie, "/auth/signout")
        assert out.serve("signout") == {"status": "OK"}
        cleared = [v for k, v in out.response_headers() if k == "Set-Cookie"]
        assert all("Max-Age=0" in value for value in cleared)
        with pytest.raises(UnauthorisedError):  # the access token alone verifies until exp
            self._request(flow, new_cookie).get_session(check_database=True)

    def test_errors_become_replies(self, manager: SessionManager) -> None:
        web = self._request(WebFlow(manager, WebConfig()), "sAccessToken=garbage")
        with pytest.raises(UnauthorisedError) as caught:
            web.get_session()
        reply = web.reply_to(caught.value)
        assert reply is not None
        assert (reply.status, reply.clear_tokens) == (401, True)
        assert ("Vary", "Cookie") in web.response_headers()
        assert web.reply_to(ValueError("not ours")) is None
