"""The web layers record the client's device at sign-in and refresh: Flask and Starlette
(Django: test_django_devices.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fix_web import starlette_app
from flask import Flask

from sessionjar import AsyncSessionManager, ConfigurationError, SessionLimit, SessionManager
from sessionjar._web import WebConfig
from sessionjar.flask import SessionExtension, create_new_session
from sessionjar.testing import ManualClock

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
AClient = Callable[..., httpx.AsyncClient]


class TestStarlette:
    async def test_sign_in_and_refresh_record_the_device(
        self, amanager: AsyncSessionManager, aclient: AClient, clock: ManualClock
    ) -> None:
        client = aclient(starlette_app(amanager))
        response = await client.post(
            "/signin", json={"user": "alice"}, headers={"user-agent": FIREFOX}
        )
        assert response.status_code == 200
        [device] = await amanager.list_devices("alice")
        assert (device.user_agent, device.ip) == ("Firefox 133 on Windows", "127.0.0.1")
        clock.advance(minutes=20)
        refreshed = await client.post("/auth/session/refresh", headers={"user-agent": CHROME})
        assert refreshed.status_code == 200
        [device] = await amanager.list_devices("alice")
        assert device.user_agent == "Chrome 120 on Android"
        assert device.last_refreshed_at == clock.now

    @pytest.mark.parametrize(("trusted", "expected"), [(0, "127.0.0.1"), (1, "198.51.100.4")])
    async def test_forwarded_for_is_read_only_behind_trusted_proxies(
        self, amanager: AsyncSessionManager, aclient: AClient, trusted: int, expected: str
    ) -> None:
        client = aclient(starlette_app(amanager, trusted_proxies=trusted))
        headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.4"}
        await client.post("/signin", json={"user": "alice"}, headers=headers)
        [device] = await amanager.list_devices("alice")
        assert device.ip == expected

    async def test_every_forwarded_for_line_is_read(
        self, amanager: AsyncSessionManager, aclient: AClient
    ) -> None:
        # the client's own line first, then the one its proxy (HAProxy, say) added
        client = aclient(starlette_app(amanager, trusted_proxies=1))
        headers = [("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "198.51.100.4")]
        await client.post("/signin", json={"user": "alice"}, headers=headers)
        [device] = await amanager.list_devices("alice")
        assert device.ip == "198.51.100.4"


def flask_app(manager: SessionManager, **options: Any) -> Flask:
    app = Flask(__name__)
    SessionExtension(app, manager=manager, **options)

    @app.post("/signin")
    def signin() -> Any:
        return {"handle": create_new_session("alice").handle}

    return app


class TestFlask:
    def test_sign_in_and_refresh_record_the_device(
        self, manager: SessionManager, clock: ManualClock
    ) -> None:
        client = flask_app(manager).test_client()
        client.environ_base.update({"wsgi.url_scheme": "https", "REMOTE_ADDR": "203.0.113.9"})
        assert client.post("/signin", headers={"User-Agent": FIREFOX}).status_code == 200
        [device] = manager.list_devices("alice")
        assert (device.user_agent, device.ip) == ("Firefox 133 on Windows", "203.0.113.9")
        clock.advance(minutes=20)
        response = client.post("/auth/session/refresh", headers={"User-Agent": CHROME})
        assert response.status_code == 200
        [device] = manager.list_devices("alice")
        assert (device.user_agent, device.last_refreshed_at) == (
            "Chrome 120 on Android",
            clock.now,
        )

    def test_forwarded_for_behind_a_trusted_proxy(self, manager: SessionManager) -> None:
        client = flask_app(manager, trusted_proxies=1).test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        client.post("/signin", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.4"})
        [device] = manager.list_devices("alice")
        assert device.ip == "198.51.100.4"

    def test_a_refused_sign_in_is_a_403(self, make_manager: Any) -> None:
        manager = make_manager(session_limit=SessionLimit(1, "refuse"))
        manager.load_keys()
        client = flask_app(manager).test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        assert client.post("/signin").status_code == 200
        response = client.post("/signin")
        assert response.status_code == 403
        assert response.get_json()["error"] == "session_limit_reached"


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_trusted_proxies_must_be_a_count(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="trusted_proxies"):
        WebConfig(trusted_proxies=bad)  # type: ignore[arg-type]
