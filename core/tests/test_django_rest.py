"""The Django REST framework authentication class, through DRF's APIClient."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("rest_framework", reason="Django REST framework is not installed")

from django.http import HttpResponseBase
from fix_django import BOTH, HTTPS, REFRESH, Jar, set_cookies
from rest_framework.test import APIClient

from sessionjar.django._runtime import runtime
from sessionjar.testing import ManualClock


def api() -> APIClient:
    """Return an APIClient speaking https, so that Secure cookies travel."""
    return APIClient(**HTTPS)


def signin(c: APIClient, user: str = "alice", **headers: str) -> HttpResponseBase:
    response: HttpResponseBase = c.post("/signin", {"user": user}, format="json", headers=headers)
    assert response.status_code == 200
    return response


def data(response: HttpResponseBase) -> Any:
    return response.json()  # type: ignore[attr-defined]


class TestAuthentication:
    def test_user_is_the_session_user_and_auth_the_session(self, jar: Jar) -> None:
        with jar():
            c = api()
            signin(c)
            (handle,) = runtime().manager.get_all_session_handles_for_user("alice")
            response = c.get("/api/me")
        assert data(response) == {"user": "alice", "handle": handle}
        assert not response.cookies

    def test_bearer_token(self, jar: Jar) -> None:
        with jar():
            c = api()
            signed = signin(c, "bob", **{"auth-mode": "header"})
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {signed.headers['access-token']}")
            assert data(c.get("/api/me"))["user"] == "bob"

    def test_payload_update_through_request_auth_resets_the_access_cookie(self, jar: Jar) -> None:
        with jar():
            c = api()
            signin(c)
            response = c.post("/api/me", {"plan": "pro"}, format="json")
        assert data(response) == {"payload": {"plan": "pro"}}
        assert set(set_cookies(response)) == {"sAccessToken"}


class TestRefusals:
    def test_anonymous_is_401_with_a_challenge_and_no_cookies(self, jar: Jar) -> None:
        with jar():
            response = api().get("/api/me")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
        assert not response.cookies

    def test_expired_token_is_401_try_refresh(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            c = api()
            signin(c)
            clock.advance(minutes=16)
            response = c.get("/api/me")
            assert response.status_code == 401
            assert data(response) == {"detail": "try refresh token", "error": "try_refresh_token"}
            assert not response.cookies
            assert c.post(REFRESH).status_code == 200
            assert c.get("/api/me").status_code == 200

    def test_bad_token_is_401_and_clears_cookies(self, jar: Jar) -> None:
        with jar():
            c = api()
            c.cookies["sAccessToken"] = "garbage"
            response = c.get("/api/me")
        assert response.status_code == 401
        assert data(response)["error"] == "unauthorised"
        assert set(set_cookies(response)) == BOTH

    def test_theft_is_401_and_clears_cookies(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            c = api()
            stolen = set_cookies(signin(c))["sRefreshToken"]["value"]
            assert c.post(REFRESH).status_code == 200
            clock.advance(minutes=1)
            thief = api()
            thief.cookies["sRefreshToken"] = str(stolen)
            assert data(thief.post(REFRESH))["error"] == "token_theft_detected"
            response = c.get("/api/me")
        assert response.status_code == 200  # the access token still verifies until it expires

    def test_anti_csrf_refusal_is_403(self, jar: Jar) -> None:
        with jar(COOKIE_SAMESITE="none"):
            c = api()
            signin(c)
            refused = c.post("/api/me", {}, format="json")
            assert refused.status_code == 403
            assert data(refused)["error"] == "anti_csrf_check_failed"
            allowed = c.post("/api/me", {}, format="json", headers={"anti-csrf": "1"})
            assert allowed.status_code == 200

    def test_storage_down_is_503(self, jar: Jar) -> None:
        with jar():
            c = api()
            signin(c)
            runtime().manager.revoke_all_sessions_for_user("alice")
            assert c.get("/api/strict").status_code == 401
            signin(c)
            runtime().manager.close()
            response = c.get("/api/strict")
        assert response.status_code == 503
        assert data(response)["error"] == "storage_unavailable"
        assert not response.cookies
