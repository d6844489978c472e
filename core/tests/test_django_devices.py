"""The Django layer records the client's device at sign-in and refresh."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("django", reason="Django is not installed (run `nox -s django`)")
from django.test import Client
from fix_django import HTTPS, REFRESH, Jar

import sessionjar
from sessionjar.django._runtime import runtime
from sessionjar.testing import ManualClock

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)


@pytest.fixture(autouse=True)
def _keeps_devices(store_setting: dict[str, str]) -> None:
    driver = sessionjar.driver_for(store_setting["STORE_URL"])
    if driver.protocol_version < 4:
        version = driver.protocol_version
        pytest.skip(f"the installed {driver.name} driver (protocol {version}) keeps no device")


def _signin(client: Client, headers: dict[str, str]) -> None:
    response: Any = client.post(
        "/signin", {"user": "alice"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200


def test_sign_in_and_refresh_record_the_device(jar: Jar, clock: ManualClock) -> None:
    client = Client(**HTTPS, REMOTE_ADDR="203.0.113.9")
    with jar():
        _signin(client, {"User-Agent": FIREFOX})
        [device] = runtime().manager.list_devices("alice")
        assert (device.user_agent, device.ip) == ("Firefox 133 on Windows", "203.0.113.9")
        clock.advance(minutes=20)
        response: Any = client.post(REFRESH, headers={"User-Agent": CHROME})
        assert response.status_code == 200
        [device] = runtime().manager.list_devices("alice")
        assert (device.user_agent, device.last_refreshed_at) == (
            "Chrome 120 on Android",
            clock.now,
        )


def test_forwarded_for_behind_a_trusted_proxy(jar: Jar) -> None:
    with jar(TRUSTED_PROXIES=1):
        _signin(Client(**HTTPS), {"X-Forwarded-For": "6.6.6.6, 198.51.100.4"})
        [device] = runtime().manager.list_devices("alice")
        assert device.ip == "198.51.100.4"
