"""sessionjar.testing, used as an app's tests use it: Flask's and Starlette's test clients."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import sessionjar
from sessionjar import AsyncSessionManager, ConfigurationError, SessionManager, TryRefreshToken
from sessionjar.flask import SessionExtension
from sessionjar.flask import get_session as flask_session
from sessionjar.starlette import SessionMiddleware
from sessionjar.starlette import get_session as starlette_session
from sessionjar.testing import (
    ManualClock,
    async_memory_manager,
    memory_manager,
    sign_in,
    sign_in_as,
    sign_out,
)

with warnings.catch_warnings():
    # Recent Starlette announces that its TestClient moves from httpx to httpx2.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(START)
    assert clock() == START
    assert clock.advance(timedelta(minutes=1), seconds=30) == START + timedelta(seconds=90)
    assert clock() == START + timedelta(seconds=90)


def test_memory_manager_tells_expiry_by_the_manual_clock() -> None:
    clock = ManualClock(START)
    with memory_manager(clock=clock, access_token_validity=timedelta(minutes=5)) as manager:
        created = manager.create_session("alice")
        assert manager.get_session(created.access_token).get_user_id() == "alice"
        clock.advance(minutes=5, seconds=1)
        with pytest.raises(TryRefreshToken):
            manager.get_session(created.access_token)


def test_memory_managers_do_not_share_sessions() -> None:
    with memory_manager() as first, memory_manager() as second:
        created = first.create_session("alice")
        assert second.get_all_session_handles_for_user("alice") == []
        assert first.get_all_session_handles_for_user("alice") == [created.handle]


# -- Flask ---------------------------------------------------------------------------------


def flask_app(manager: SessionManager) -> Flask:
    app = Flask(__name__)
    SessionExtension(app, manager=manager)

    @app.get("/me")
    def me() -> dict[str, Any]:
        session = flask_session()
        return {"user": session.get_user_id(), "payload": session.get_jwt_payload()}

    @app.post("/promote")
    def promote() -> dict[str, str]:
        flask_session().update_jwt_payload({"role": "admin"})
        return {"status": "OK"}

    return app


@pytest.mark.parametrize("transfer", ["cookie", "header"])
def test_flask_client_signed_in_as_a_user(transfer: str) -> None:
    with memory_manager() as manager:
        client = flask_app(manager).test_client()
        assert client.get("/me").status_code == 401
        sign_in_as(client, manager, "alice", access_payload={"role": "user"}, transfer=transfer)
        assert client.get("/me").json == {"user": "alice", "payload": {"role": "user"}}
        sign_out(client)
        assert client.get("/me").status_code == 401


def test_flask_app_cookies_replace_the_signed_in_ones() -> None:
    with memory_manager() as manager:
        client = flask_app(manager).test_client()
        sign_in_as(client, manager, "alice", access_payload={"role": "user"})
        assert client.post("/promote").status_code == 200
        assert client.get("/me").json == {"user": "alice", "payload": {"role": "admin"}}


# -- Starlette -----------------------------------------------------------------------------


async def me(request: Request) -> JSONResponse:
    session = await starlette_session(request)
    return JSONResponse({"user": session.get_user_id(), "payload": session.get_jwt_payload()})


async def promote(request: Request) -> JSONResponse:
    session = await starlette_session(request)
    await session.update_jwt_payload({"role": "admin"})
    return JSONResponse({"status": "OK"})


def create_app(manager: AsyncSessionManager | None = None) -> Starlette:
    """The factory of docs/testing.md: the lifespan closes only a manager it made."""
    owned = manager is None
    used = manager or AsyncSessionManager(sessionjar.open_async_store("memory://"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            await used.close()

    app = Starlette(
        routes=[Route("/me", me), Route("/promote", promote, methods=["POST"])],
        lifespan=lifespan,
    )
    app.add_middleware(SessionMiddleware, manager=used)
    return app


@pytest.mark.parametrize("transfer", ["cookie", "header"])
def test_starlette_client_signed_in_as_a_user(transfer: str) -> None:
    manager = async_memory_manager()
    with TestClient(create_app(manager), base_url="https://testserver") as client:
        assert client.get("/me").status_code == 401
        sign_in_as(client, manager, "alice", access_payload={"role": "user"}, transfer=transfer)
        assert client.get("/me").json() == {"user": "alice", "payload": {"role": "user"}}
        sign_out(client)
        assert client.get("/me").status_code == 401


def test_starlette_app_cookies_replace_the_signed_in_ones() -> None:
    manager = async_memory_manager()
    with TestClient(create_app(manager), base_url="https://testserver") as client:
        sign_in_as(client, manager, "alice", access_payload={"role": "user"})
        assert client.post("/promote").status_code == 200
        assert client.get("/me").json() == {"user": "alice", "payload": {"role": "admin"}}


def test_the_signed_in_refresh_cookie_reaches_the_refresh_route() -> None:
    clock = ManualClock()
    manager = async_memory_manager(clock=clock, access_token_validity=timedelta(minutes=15))
    with TestClient(create_app(manager), base_url="https://testserver") as client:
        sign_in_as(client, manager, "alice")
        clock.advance(minutes=16)
        assert client.get("/me").json()["error"] == "try_refresh_token"
        assert client.post("/auth/session/refresh").status_code == 200
        assert client.get("/me").json()["user"] == "alice"


def test_signing_in_outside_the_clients_context_uses_a_loop_of_its_own() -> None:
    manager = async_memory_manager()
    client = TestClient(create_app(manager), base_url="https://testserver")
    sign_in_as(client, manager, "alice")
    assert client.get("/me").json()["user"] == "alice"


def test_secure_cookies_on_plain_http_are_refused_with_the_fix() -> None:
    manager = async_memory_manager()
    client = TestClient(create_app(manager))  # http://testserver
    with pytest.raises(ConfigurationError, match='base_url="https://testserver"'):
        sign_in_as(client, manager, "alice")
    sign_in_as(client, manager, "bob", secure=False)  # an app with cookie_secure=False
    assert client.cookies.get("sAccessToken") is not None


def test_sign_in_puts_an_existing_sessions_tokens_on_the_client() -> None:
    with memory_manager() as manager:
        client = flask_app(manager).test_client()
        sign_in(client, manager.create_session("carol"))
        assert client.get("/me").json == {"user": "carol", "payload": {}}


def test_the_factory_app_serves_a_second_test_client_in_the_same_process() -> None:
    for _ in range(2):  # as one fixture per test does
        with TestClient(create_app(), base_url="https://testserver") as client:
            assert client.get("/me").status_code == 401  # not 503: the store is open


# -- the pytest plugin ---------------------------------------------------------------------

APP_TESTS = """
from datetime import timedelta

import pytest

import sessionjar


def test_fixtures_share_the_clock(sessionjar_manager, sessionjar_clock):
    created = sessionjar_manager.create_session("alice")
    sessionjar_clock.advance(timedelta(days=1))
    with pytest.raises(sessionjar.TryRefreshToken):
        sessionjar_manager.get_session(created.access_token)


async def test_async_manager(sessionjar_async_manager):
    created = await sessionjar_async_manager.create_session("alice")
    assert created.get_user_id() == "alice"
"""


def test_pytest_plugin_fixtures_in_an_apps_test_suite(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["sessionjar.testing.pytest_plugin"]\n'
    )
    (tmp_path / "test_app.py").write_text(APP_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
