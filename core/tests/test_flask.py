"""The Flask extension, decorator and helpers, through Flask's test client on real stores."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any, cast

import flask
import pytest
from fix_manager import MakeSync
from fix_web import RecordingStore
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import sessionjar
from sessionjar import (
    ConfigurationError,
    SessionManager,
    StorageUnavailable,
    Store,
    TokenTheftDetected,
)
from sessionjar.flask import (
    SessionExtension,
    create_new_session,
    get_session,
    revoke_session,
    verify_session,
)
from sessionjar.testing import ManualClock

REFRESH = "/auth/session/refresh"
BOTH = {"sAccessToken", "sRefreshToken"}


def set_cookies(response: TestResponse) -> dict[str, dict[str, str | bool]]:
    """Return the response's Set-Cookie headers by cookie name, attributes lower-cased."""
    parsed: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = header.split("; ")
        name, _, value = first.partition("=")
        cookie: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, eq, attr_value = attribute.partition("=")
            cookie[key.lower()] = attr_value if eq else True
        parsed[name] = cookie
    return parsed


def _json(session: sessionjar.Session | None) -> dict[str, Any]:
    if session is None:
        return {"user": None}
    return {"user": session.get_user_id(), "payload": session.get_jwt_payload()}


def flask_app(
    manager: SessionManager, barrier: threading.Barrier | None = None, **options: Any
) -> Flask:
    """Return a Flask app with the extension and routes that exercise each helper."""
    app = Flask(__name__)
    app.testing = True
    SessionExtension(app, manager=manager, **options)

    @app.post("/signin")
    def signin() -> Any:
        body = request.get_json()
        session = create_new_session(
            body["user"], access_payload=body.get("payload"), session_data=body.get("data")
        )
        # A cacheable response: sessionjar must replace this with no-store, and keep Vary.
        return _json(session), {"Cache-Control": "max-age=60", "Vary": "Accept-Encoding"}

    @app.get("/me")
    @verify_session()
    def me() -> Any:
        if barrier is not None:
            barrier.wait(timeout=10)
        return _json(get_session())

    @app.get("/maybe")
    @verify_session(session_required=False)
    def maybe() -> Any:
        return _json(get_session(session_required=False))

    @app.get("/strict")
    @verify_session(check_database=True)
    def strict() -> Any:
        return {"data": get_session().get_session_data()}

    @app.post("/payload")
    def payload() -> Any:
        session = get_session()
        session.update_jwt_payload(request.get_json())
        return _json(session)

    @app.route("/data", methods=["GET", "POST"])
    def data() -> Any:
        session = get_session()
        if request.method == "POST":
            session.update_session_data(request.get_json())
        return session.get_session_data()

    @app.post("/leave")
    def leave() -> Any:
        revoke_session()
        return {"left": True}

    @app.post("/quit")
    @verify_session()
    def quit_() -> Any:
        session = get_session()
        session.revoke_session()  # on the session itself, not through the helper
        return {"revoked": session.revoked}

    return app


def client_of(app: Flask) -> FlaskClient:
    """Return a test client speaking https, so that Secure cookies travel."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def signin(client: FlaskClient, user: str = "alice", **extra: Any) -> TestResponse:
    response = client.post("/signin", json={"user": user, **extra})
    assert response.status_code == 200, response.text
    return response


class TestCookies:
    def test_signin_sets_both_cookies_with_safe_flags(self, manager: SessionManager) -> None:
        response = signin(client_of(flask_app(manager)), payload={"role": "admin"})
        cookies = set_cookies(response)
        assert cookies["sAccessToken"]["path"] == "/"
        assert cookies["sRefreshToken"]["path"] == REFRESH
        for cookie in cookies.values():
            assert cookie["httponly"] is True
            assert cookie["secure"] is True
            assert cookie["samesite"] == "Lax"
            assert cookie["max-age"] == str(30 * 24 * 3600)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Vary"] == "Accept-Encoding, Cookie"
        assert response.json == {"user": "alice", "payload": {"role": "admin"}}

    def test_verified_request_writes_nothing(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client)
        response = client.get("/me")
        assert response.json == {"user": "alice", "payload": {}}
        assert "Set-Cookie" not in response.headers
        assert "Cache-Control" not in response.headers
        assert "Vary" not in response.headers

    def test_prefixed_cookie_names_work(self, manager: SessionManager) -> None:
        app = flask_app(manager, access_cookie_name="__Host-at", refresh_cookie_name="__Secure-rt")
        client = client_of(app)
        assert set(set_cookies(signin(client))) == {"__Host-at", "__Secure-rt"}
        assert client.get("/me").json == {"user": "alice", "payload": {}}

    def test_prefixed_cookie_names_browsers_drop_are_refused(
        self, manager: SessionManager
    ) -> None:
        with pytest.raises(ConfigurationError, match="refresh cookie is scoped"):
            SessionExtension(manager=manager, refresh_cookie_name="__Host-rt")

    def test_payload_update_resets_only_the_access_cookie(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client)
        response = client.post("/payload", json={"theme": "dark"})
        assert set(set_cookies(response)) == {"sAccessToken"}
        assert client.get("/me").json == {"user": "alice", "payload": {"theme": "dark"}}

    def test_session_data_round_trips(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client, data={"cart": []})
        assert client.post("/data", json={"cart": [1]}).json == {"cart": [1]}
        assert client.get("/data").json == {"cart": [1]}


class TestErrors:
    def test_no_token(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        response = client.get("/me")
        assert response.status_code == 401
        assert response.json == {"error": "unauthorised", "message": "no session"}
        assert "Set-Cookie" not in response.headers
        assert client.get("/maybe").json == {"user": None}

    def test_expired_access_token_then_refresh(
        self, manager: SessionManager, clock: ManualClock
    ) -> None:
        client = client_of(flask_app(manager))
        old = set_cookies(signin(client))
        clock.advance(minutes=16)
        expired = client.get("/me")
        assert expired.status_code == 401
        assert expired.json is not None
        assert expired.json["error"] == "try_refresh_token"
        assert "Set-Cookie" not in expired.headers
        refreshed = client.post(REFRESH)
        assert refreshed.json == {"status": "OK"}
        new = set_cookies(refreshed)
        assert set(new) == BOTH
        assert all(new[name]["value"] != old[name]["value"] for name in BOTH)
        assert new["sRefreshToken"]["path"] == REFRESH
        assert client.get("/me").status_code == 200

    def test_garbage_token_clears_cookies(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager, cookie_domain="example.com"))
        client.set_cookie("sAccessToken", "garbage", domain="localhost")
        response = client.get("/me")
        assert response.status_code == 401
        cookies = set_cookies(response)
        assert set(cookies) == BOTH
        for cookie in cookies.values():
            assert cookie["max-age"] == "0"
            assert cookie["domain"] == "example.com"

    def test_check_database_per_route(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client)
        manager.revoke_all_sessions_for_user("alice")
        assert client.get("/me").status_code == 200
        response = client.get("/strict")
        assert response.status_code == 401
        assert set(set_cookies(response)) == BOTH

    def test_storage_down_is_503(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client)
        manager.close()
        response = client.get("/strict")
        assert response.status_code == 503
        assert "Set-Cookie" not in response.headers

    def test_app_factory_with_init_app(self, manager: SessionManager) -> None:
        sessions = SessionExtension(manager=manager, refresh_path="/refresh")
        app = Flask(__name__)
        sessions.init_app(app)
        app.add_url_rule("/in", "in", lambda: {"user": create_new_session("e").user_id})
        client = client_of(app)
        assert set_cookies(client.get("/in"))["sRefreshToken"]["path"] == "/refresh"
        assert set(set_cookies(client.post("/refresh"))) == BOTH

    def test_init_app_loads_the_keys_for_the_first_request(
        self, manager: SessionManager, make_manager: MakeSync
    ) -> None:
        access = manager.create_session("alice").access_token
        fresh = make_manager()  # a new process: keys in the store, none loaded
        sessions = SessionExtension(manager=fresh)
        loaded_before_init = fresh.keys_loaded
        app = Flask(__name__)
        sessions.init_app(app)
        assert (loaded_before_init, fresh.keys_loaded) == (False, True)
        app.add_url_rule("/me", "me", lambda: {"user": get_session().user_id})
        client = client_of(app)
        client.set_cookie("sAccessToken", access, domain="localhost")
        assert client.get("/me").json == {"user": "alice"}

    def test_init_app_fails_when_the_keys_cannot_load(self, make_manager: MakeSync) -> None:
        down = make_manager()
        down.close()
        with pytest.raises(StorageUnavailable):
            SessionExtension(Flask(__name__), manager=down)

    def test_missing_extension_is_a_configuration_error(self) -> None:
        app = Flask(__name__)
        app.testing = True  # errors propagate instead of becoming a 500 page
        app.add_url_rule("/", "x", lambda: str(get_session()))
        with pytest.raises(ConfigurationError, match="SessionExtension"):
            app.test_client().get("/")


class TestRefreshAndSignout:
    def test_reused_refresh_token_is_theft(
        self, manager: SessionManager, clock: ManualClock
    ) -> None:
        thefts: list[tuple[str, str, str]] = []

        def record(error: TokenTheftDetected) -> None:
            thefts.append((flask.request.path, error.handle, error.user_id))

        app = flask_app(manager, on_token_theft=record)
        client = client_of(app)
        stolen = set_cookies(signin(client))["sRefreshToken"]["value"]
        (handle,) = manager.get_all_session_handles_for_user("alice")
        assert client.post(REFRESH).status_code == 200
        clock.advance(minutes=1)
        thief = client_of(app)
        thief.set_cookie("sRefreshToken", str(stolen), domain="localhost", path=REFRESH)
        response = thief.post(REFRESH)
        assert response.status_code == 401
        assert response.json is not None
        assert response.json["error"] == "token_theft_detected"
        assert set(set_cookies(response)) == BOTH
        assert thefts == [(REFRESH, handle, "alice")]
        assert manager.get_session_information(handle) is None

    def test_app_under_a_prefix_scopes_the_refresh_cookie_below_it(
        self, manager: SessionManager, clock: ManualClock
    ) -> None:
        client, base = client_of(flask_app(manager)), "https://localhost/app"
        response = client.post("/signin", json={"user": "alice"}, base_url=base)
        assert set_cookies(response)["sRefreshToken"]["path"] == "/app" + REFRESH
        assert set_cookies(response)["sAccessToken"]["path"] == "/"
        clock.advance(minutes=16)
        # the test client sends the refresh cookie only below its Path
        refreshed = client.post(REFRESH, base_url=base)
        assert refreshed.status_code == 200, refreshed.text
        assert set_cookies(refreshed)["sRefreshToken"]["path"] == "/app" + REFRESH

    def test_signout_clears_cookies_as_they_were_set(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager, cookie_domain="localhost", refresh_path="/r"))
        set_ = set_cookies(signin(client))
        response = client.post("/auth/signout")
        assert response.json == {"status": "OK"}
        cleared = set_cookies(response)
        assert set(cleared) == BOTH
        flags = ("path", "domain", "secure", "httponly", "samesite")
        for name, cookie in cleared.items():
            assert cookie["value"] == ""
            assert cookie["max-age"] == "0"
            assert {k: cookie[k] for k in flags} == {k: set_[name][k] for k in flags}
        assert response.headers["Cache-Control"] == "no-store"
        assert manager.get_all_session_handles_for_user("alice") == []

    def test_session_revoked_directly_clears_cookies_as_set(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager, cookie_domain="localhost", refresh_path="/r"))
        set_ = set_cookies(signin(client))
        response = client.post("/quit")
        assert response.json == {"revoked": True}
        cleared = set_cookies(response)
        assert set(cleared) == BOTH
        flags = ("path", "domain", "secure", "httponly", "samesite")
        for name, cookie in cleared.items():
            assert (cookie["value"], cookie["max-age"]) == ("", "0")
            assert {k: cookie[k] for k in flags} == {k: set_[name][k] for k in flags}
        assert response.headers["Cache-Control"] == "no-store"
        assert manager.get_all_session_handles_for_user("alice") == []

    def test_session_revoked_directly_empties_the_token_headers(
        self, manager: SessionManager
    ) -> None:
        client = client_of(flask_app(manager))
        signed = client.post("/signin", json={"user": "bob"}, headers={"auth-mode": "header"})
        bearer = {"Authorization": f"Bearer {signed.headers['access-token']}"}
        response = client.post("/quit", headers=bearer)
        assert (response.headers["access-token"], response.headers["refresh-token"]) == ("", "")
        assert "Set-Cookie" not in response.headers

    def test_revoke_in_a_view(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager))
        signin(client)
        assert set(set_cookies(client.post("/leave"))) == BOTH
        assert manager.get_all_session_handles_for_user("alice") == []


class TestHeaderTransferAndCsrf:
    def test_header_mode(self, manager: SessionManager, clock: ManualClock) -> None:
        client = client_of(flask_app(manager))
        signed = client.post("/signin", json={"user": "bob"}, headers={"auth-mode": "header"})
        assert "Set-Cookie" not in signed.headers
        refresh = signed.headers["refresh-token"]
        bearer = {"Authorization": f"Bearer {signed.headers['access-token']}"}
        assert client.get("/me", headers=bearer).status_code == 200
        clock.advance(minutes=16)
        rotated = client.post(REFRESH, headers={"Authorization": f"Bearer {refresh}"})
        assert rotated.status_code == 200
        assert rotated.headers["refresh-token"] not in ("", refresh)
        bearer = {"Authorization": f"Bearer {rotated.headers['access-token']}"}
        assert client.get("/me", headers=bearer).status_code == 200

    def test_custom_header_check(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager, cookie_samesite="none"))
        signin(client)
        assert client.get("/me").status_code == 200
        assert client.post("/payload", json={}).status_code == 403
        assert client.post("/payload", json={}, headers={"anti-csrf": "1"}).status_code == 200

    def test_token_check(self, manager: SessionManager) -> None:
        client = client_of(flask_app(manager, anti_csrf="token"))
        token = signin(client).headers["anti-csrf"]
        (handle,) = manager.get_all_session_handles_for_user("alice")
        assert token == manager.anti_csrf_token(handle)
        assert client.post("/payload", json={}, headers={"anti-csrf": "x"}).status_code == 403
        assert client.post("/payload", json={}, headers={"anti-csrf": token}).status_code == 200
        refreshed = client.post(REFRESH, headers={"anti-csrf": token})
        assert refreshed.headers["anti-csrf"] == token


class TestIsolation:
    def test_interleaved_threads_keep_their_users(self, manager: SessionManager) -> None:
        users = [f"user-{n}" for n in range(8)]
        barrier = threading.Barrier(len(users))
        app = flask_app(manager, barrier)
        clients = {user: client_of(app) for user in users}
        for user, client in clients.items():
            signin(client, user, payload={"name": user})
        seen: dict[str, Any] = {}

        def call(user: str) -> None:
            response = clients[user].get("/me")
            seen[user] = (response.json, response.headers.get("Set-Cookie"))

        threads = [threading.Thread(target=call, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert seen == {u: ({"user": u, "payload": {"name": u}}, None) for u in users}

    def test_anonymous_requests_touch_no_store(self, store_url: str, clock: ManualClock) -> None:
        store = RecordingStore(sessionjar.open_store(store_url))
        with SessionManager(cast(Store, store), clock=clock) as manager:
            store.calls.clear()
            client = client_of(flask_app(manager))
            responses = [client.get(path) for path in ("/maybe", "/me", "/data")]
            responses += [client.post(path) for path in (REFRESH, "/auth/signout", "/leave")]
            assert store.calls == []
            for response in responses:
                assert "Set-Cookie" not in response.headers, response.request.path
                assert "Cache-Control" not in response.headers, response.request.path


def test_flask_adapter_imports_no_asgi_framework() -> None:
    code = "import sys, sessionjar.flask\nassert not {'starlette', 'fastapi'} & set(sys.modules)\n"
    subprocess.run([sys.executable, "-c", code], check=True)
