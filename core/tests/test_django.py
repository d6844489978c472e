"""The Django middleware, decorators and built-in views, through Django's test clients."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

import pytest

pytest.importorskip("django", reason="Django is not installed (run `nox -s django`)")
import django_urls
from django.http import HttpResponseBase
from django.test import override_settings
from fix_django import (
    BOTH,
    REFRESH,
    AJar,
    Jar,
    aclient,
    client,
    set_cookies,
)

from sessionjar import ConfigurationError, TokenTheftDetected
from sessionjar.django._runtime import options_of, runtime
from sessionjar.testing import ManualClock


def body(response: Any) -> Any:
    return json.loads(response.content)


def signin(c: Any, user: str = "alice", **extra: Any) -> HttpResponseBase:
    response: HttpResponseBase = c.post(
        "/signin", {"user": user, **extra}, content_type="application/json"
    )
    assert response.status_code == 200, body(response)
    return response


def post(c: Any, path: str, data: Any = None, **headers: str) -> HttpResponseBase:
    response: HttpResponseBase = c.post(
        path, {} if data is None else data, content_type="application/json", headers=headers
    )
    return response


class TestCookies:
    def test_signin_sets_both_cookies_with_safe_flags(self, jar: Jar) -> None:
        with jar():
            response = signin(client(), payload={"role": "admin"})
        cookies = set_cookies(response)
        assert cookies["sAccessToken"]["path"] == "/"
        assert cookies["sRefreshToken"]["path"] == REFRESH
        for cookie in cookies.values():
            assert cookie["httponly"] is True
            assert cookie["secure"] is True
            assert cookie["samesite"] == "Lax"
            assert cookie["max-age"] == str(30 * 24 * 3600)
        assert response.headers["Cache-Control"] == "no-store"
        assert body(response) == {"user": "alice", "payload": {"role": "admin"}}

    def test_verified_request_writes_nothing(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c)
            response = c.get("/me")
        assert body(response) == {"user": "alice", "payload": {}}
        assert not response.cookies
        assert "Cache-Control" not in response.headers

    def test_payload_update_resets_only_the_access_cookie(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c)
            response = post(c, "/payload", {"theme": "dark"})
            assert set(set_cookies(response)) == {"sAccessToken"}
            assert body(c.get("/me")) == {"user": "alice", "payload": {"theme": "dark"}}

    def test_session_data_round_trips(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c, data={"cart": []})
            assert body(post(c, "/data", {"cart": [1]})) == {"cart": [1]}
            assert body(c.get("/data")) == {"cart": [1]}


class TestErrors:
    def test_no_token(self, jar: Jar) -> None:
        with jar():
            c = client()
            response = c.get("/me")
            assert response.status_code == 401
            assert body(response) == {"error": "unauthorised", "message": "no session"}
            assert not response.cookies
            assert body(c.get("/maybe")) == {"user": None}

    def test_expired_access_token_then_refresh(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            c = client()
            old = set_cookies(signin(c))
            clock.advance(minutes=16)
            expired = c.get("/me")
            assert expired.status_code == 401
            assert body(expired)["error"] == "try_refresh_token"
            assert not expired.cookies
            refreshed = c.post(REFRESH)
            assert body(refreshed) == {"status": "OK"}
            new = set_cookies(refreshed)
            assert set(new) == BOTH
            assert all(new[name]["value"] != old[name]["value"] for name in BOTH)
            assert new["sRefreshToken"]["path"] == REFRESH
            assert c.get("/me").status_code == 200

    def test_garbage_token_clears_cookies(self, jar: Jar) -> None:
        with jar(COOKIE_DOMAIN="example.com"):
            c = client()
            c.cookies["sAccessToken"] = "garbage"
            response = c.get("/me")
        assert response.status_code == 401
        cookies = set_cookies(response)
        assert set(cookies) == BOTH
        for cookie in cookies.values():
            assert cookie["max-age"] == "0"
            assert cookie["domain"] == "example.com"

    def test_check_database_per_view(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c)
            runtime().manager.revoke_all_sessions_for_user("alice")
            assert c.get("/me").status_code == 200
            response = c.get("/strict")
            assert response.status_code == 401
            assert set(set_cookies(response)) == BOTH

    def test_storage_down_is_503(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c)
            runtime().manager.close()
            response = c.get("/strict")
            assert response.status_code == 503
            assert body(response)["error"] == "storage_unavailable"
            assert not response.cookies


class TestRefreshAndSignout:
    def test_reused_refresh_token_is_theft(self, jar: Jar, clock: ManualClock) -> None:
        thefts: list[tuple[str, str]] = []

        def record(error: TokenTheftDetected) -> None:
            thefts.append((error.handle, error.user_id))

        with jar(ON_TOKEN_THEFT=record):
            c = client()
            stolen = set_cookies(signin(c))["sRefreshToken"]["value"]
            (handle,) = runtime().manager.get_all_session_handles_for_user("alice")
            assert c.post(REFRESH).status_code == 200
            clock.advance(minutes=1)
            thief = client()
            thief.cookies["sRefreshToken"] = str(stolen)
            response = thief.post(REFRESH)
            assert response.status_code == 401
            assert body(response)["error"] == "token_theft_detected"
            assert set(set_cookies(response)) == BOTH
            assert thefts == [(handle, "alice")]
            assert runtime().manager.get_session_information(handle) is None

    def test_script_prefix_scopes_the_refresh_cookie_below_it(
        self, jar: Jar, clock: ManualClock
    ) -> None:
        with jar(), override_settings(FORCE_SCRIPT_NAME="/app"):
            c = client()
            response = signin(c)
            assert set_cookies(response)["sRefreshToken"]["path"] == "/app" + REFRESH
            assert set_cookies(response)["sAccessToken"]["path"] == "/"
            clock.advance(minutes=16)
            refreshed = c.post(REFRESH)
            assert refreshed.status_code == 200, refreshed.content
            assert set_cookies(refreshed)["sRefreshToken"]["path"] == "/app" + REFRESH

    def test_refresh_cookie_follows_where_the_urls_are_included(
        self, jar: Jar, clock: ManualClock
    ) -> None:
        with override_settings(ROOT_URLCONF="django_urls_api"), jar():
            c = client()
            path = "/api/auth/session/refresh"
            assert set_cookies(signin(c))["sRefreshToken"]["path"] == path
            clock.advance(minutes=16)
            refreshed = c.post(path)
            assert refreshed.status_code == 200
            assert set_cookies(refreshed)["sRefreshToken"]["path"] == path
            assert c.get("/me").status_code == 200

    def test_signout_clears_cookies_as_they_were_set(self, jar: Jar) -> None:
        with jar(COOKIE_DOMAIN="example.com"):
            c = client()
            set_ = set_cookies(signin(c))
            response = c.post("/auth/signout")
            assert body(response) == {"status": "OK"}
            cleared = set_cookies(response)
            assert set(cleared) == BOTH
            flags = ("path", "domain", "secure", "httponly", "samesite")
            for name, cookie in cleared.items():
                assert (cookie["value"], cookie["max-age"]) == ("", "0")
                assert {k: cookie[k] for k in flags} == {k: set_[name][k] for k in flags}
            assert response.headers["Cache-Control"] == "no-store"
            assert runtime().manager.get_all_session_handles_for_user("alice") == []

    def test_session_revoked_directly_empties_the_token_headers(self, jar: Jar) -> None:
        with jar():
            c = client()
            signed = post(c, "/signin", {"user": "bob"}, **{"auth-mode": "header"})
            bearer = f"Bearer {signed.headers['access-token']}"
            response = post(c, "/quit", Authorization=bearer)
        assert body(response) == {"revoked": True}
        assert (response.headers["access-token"], response.headers["refresh-token"]) == ("", "")
        assert not response.cookies

    def test_revoke_in_a_view(self, jar: Jar) -> None:
        with jar():
            c = client()
            signin(c)
            assert set(set_cookies(c.post("/leave"))) == BOTH
            assert runtime().manager.get_all_session_handles_for_user("alice") == []

    def test_refresh_answers_post_only(self, jar: Jar) -> None:
        with jar():
            assert client().get(REFRESH).status_code == 405


class TestHeaderTransferAndCsrf:
    def test_header_mode(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            c = client()
            signed = post(c, "/signin", {"user": "bob"}, **{"auth-mode": "header"})
            assert not signed.cookies
            refresh = signed.headers["refresh-token"]
            bearer = f"Bearer {signed.headers['access-token']}"
            assert c.get("/me", headers={"Authorization": bearer}).status_code == 200
            clock.advance(minutes=16)
            rotated = c.post(REFRESH, headers={"Authorization": f"Bearer {refresh}"})
            assert rotated.status_code == 200
            assert rotated.headers["refresh-token"] not in ("", refresh)
            bearer = f"Bearer {rotated.headers['access-token']}"
            assert c.get("/me", headers={"Authorization": bearer}).status_code == 200

    def test_custom_header_check(self, jar: Jar) -> None:
        with jar(COOKIE_SAMESITE="none"):
            c = client()
            signin(c)
            assert c.get("/me").status_code == 200
            refused = post(c, "/payload", {})
            assert refused.status_code == 403
            assert body(refused)["error"] == "anti_csrf_check_failed"
            assert post(c, "/payload", {}, **{"anti-csrf": "1"}).status_code == 200
            assert c.post(REFRESH).status_code == 403

    def test_token_check(self, jar: Jar) -> None:
        with jar(ANTI_CSRF="token"):
            c = client()
            token = signin(c).headers["anti-csrf"]
            (handle,) = runtime().manager.get_all_session_handles_for_user("alice")
            assert token == runtime().manager.anti_csrf_token(handle)
            assert post(c, "/payload", {}, **{"anti-csrf": "x"}).status_code == 403
            assert post(c, "/payload", {}, **{"anti-csrf": token}).status_code == 200
            refreshed = post(c, REFRESH, **{"anti-csrf": token})
            assert refreshed.headers["anti-csrf"] == token


class TestClassBasedViews:
    def test_mixin_verifies_and_checks_the_database(self, jar: Jar) -> None:
        with jar():
            c = client()
            assert c.get("/profile").status_code == 401
            signin(c)
            assert body(c.get("/profile")) == {"user": "alice", "payload": {}}
            runtime().manager.revoke_all_sessions_for_user("alice")
            assert c.get("/profile").status_code == 401


class TestAsyncViews:
    async def test_async_views_use_the_async_manager(self, ajar: AJar, clock: ManualClock) -> None:
        async with ajar():
            c = aclient()
            signed = await c.post(
                "/async/signin", {"user": "carol"}, content_type="application/json"
            )
            assert set(set_cookies(signed)) == BOTH
            assert body(await c.get("/async/me")) == {"user": "carol", "payload": {}}
            assert body(await c.get("/async/profile"))["user"] == "carol"
            changed = await c.post("/async/payload", {"a": 1}, content_type="application/json")
            assert set(set_cookies(changed)) == {"sAccessToken"}
            clock.advance(minutes=16)
            assert body(await c.get("/async/me"))["error"] == "try_refresh_token"
            assert (await c.post(REFRESH)).status_code == 200
            assert set(set_cookies(await c.post("/async/leave"))) == BOTH
            assert (await c.get("/async/me")).status_code == 401

    async def test_async_storage_down_is_503(self, ajar: AJar) -> None:
        async with ajar():
            c = aclient()
            await c.post("/async/signin", {"user": "carol"}, content_type="application/json")
            await runtime().amanager.close()
            response = await c.get("/async/me")
            assert response.status_code == 503
            assert not response.cookies


class TestIsolation:
    def test_interleaved_threads_keep_their_users(self, jar: Jar) -> None:
        users = [f"user-{n}" for n in range(6)]
        seen: dict[str, Any] = {}
        with jar():
            clients = {user: client() for user in users}
            for user, c in clients.items():
                signin(c, user, payload={"name": user})
            django_urls.BARRIERS[:] = [threading.Barrier(len(users))]

            def call(user: str) -> None:
                response = clients[user].get("/held")
                seen[user] = (body(response), dict(response.cookies))

            threads = [threading.Thread(target=call, args=(user,)) for user in users]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
        assert seen == {u: ({"user": u, "payload": {"name": u}}, {}) for u in users}


class TestAnonymous:
    def test_anonymous_requests_write_nothing(self, jar: Jar) -> None:
        with jar():
            c = client()
            responses = [c.get(path) for path in ("/maybe", "/me", "/data", "/profile")]
            responses += [c.post(path) for path in (REFRESH, "/auth/signout", "/leave")]
            assert runtime().manager.get_all_session_handles_for_user("alice") == []
        for response in responses:
            assert not response.cookies
            assert "Cache-Control" not in response.headers


class TestJwks:
    def test_the_included_view_serves_the_jwks_with_cache_headers(self, jar: Jar) -> None:
        with jar():
            c = client()
            response = c.get("/.well-known/jwks.json")
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "application/jwk-set+json"
            assert response.headers["Cache-Control"] == "public, max-age=302400"
            served, published = body(response)["keys"], runtime().manager.get_jwks()["keys"]
            assert sorted(jwk["kid"] for jwk in served) == sorted(j["kid"] for j in published)
            etag = response.headers["ETag"]
            again = c.get("/.well-known/jwks.json", headers={"If-None-Match": etag})
            assert (again.status_code, again.content) == (304, b"")
            assert c.post("/.well-known/jwks.json").status_code == 405
            assert not response.cookies

    def test_storage_down_is_503(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            runtime().manager.close()
            clock.advance(days=7)  # a new rotation slot: its keys must be loaded
            response = client().get("/.well-known/jwks.json")
            assert response.status_code == 503

    def test_the_urlconf_places_it_not_a_setting(self, jar: Jar) -> None:
        with pytest.raises(ConfigurationError, match="SERVE_JWKS"):
            options_of({"SERVE_JWKS": True})


def test_django_layer_imports_no_rest_framework() -> None:
    code = (
        "import sys\n"
        "import sessionjar.django, sessionjar.django.middleware, sessionjar.django.urls\n"
        "assert 'rest_framework' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
