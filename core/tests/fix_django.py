"""Helpers of the Django-layer tests: Django set up on `django_settings`, stores, clients.

Imported by the ``test_django*.py`` modules once they know Django is installed; not a
``conftest`` plugin, so that the core suite runs without Django.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.http import HttpResponseBase
from django.test import AsyncClient, Client, override_settings

from sessionjar.django._runtime import runtime
from sessionjar.testing import ManualClock

__all__ = [
    "REFRESH",
    "BOTH",
    "Jar",
    "AJar",
    "jar",
    "ajar",
    "store_setting",
    "set_cookies",
    "client",
    "aclient",
    "REDIS_URL",
    "HTTPS",
]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_settings")
django.setup()

REFRESH = "/auth/session/refresh"
BOTH = {"sAccessToken", "sRefreshToken"}
REDIS_URL = os.environ.get("SESSIONJAR_REDIS_URL", "redis://127.0.0.1:6379/0")
HTTPS: dict[str, Any] = {"wsgi.url_scheme": "https", "SERVER_PORT": "443"}
"""Secure cookies travel over https only, so the clients speak it."""

Jar = Callable[..., contextlib.AbstractContextManager[None]]
AJar = Callable[..., contextlib.AbstractAsyncContextManager[None]]


@pytest.fixture(params=["sqlite", "redis"])
def store_setting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The ``SESSIONJAR`` store keys of an empty store: sqlite, or Redis in a new namespace."""
    if request.param == "sqlite":
        yield {"STORE_URL": f"sqlite:///{tmp_path / 'sessions.db'}"}
        return
    pytest.importorskip("sessionjar_redis", reason="the Redis driver is not installed")
    import redis

    namespace = f"djtest-{uuid.uuid4().hex[:16]}"
    raw = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        raw.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis answers at {REDIS_URL} ({exc})")
    yield {"STORE_URL": REDIS_URL, "NAMESPACE": namespace}
    for key in raw.scan_iter(match=f"{{{namespace}*"):
        raw.delete(key)
    raw.close()


@pytest.fixture
def jar(store_setting: dict[str, str], clock: ManualClock) -> Jar:
    """Run a block with ``SESSIONJAR`` set to the test's store and clock plus the keywords."""

    @contextlib.contextmanager
    def configured(**options: Any) -> Iterator[None]:
        with override_settings(SESSIONJAR={**store_setting, "CLOCK": clock, **options}):
            yield

    return configured


@pytest.fixture
def ajar(jar: Jar) -> AJar:
    """`jar` for async tests: the async store is closed on the test's loop at the end."""

    @contextlib.asynccontextmanager
    async def configured(**options: Any) -> AsyncIterator[None]:
        with jar(**options):
            try:
                yield
            finally:
                await runtime().amanager.close()

    return configured


def client() -> Client:
    """Return a Django test client speaking https."""
    return Client(**HTTPS)


def aclient() -> AsyncClient:
    """Return a Django async test client speaking https."""
    return AsyncClient(**HTTPS)


def set_cookies(response: HttpResponseBase) -> dict[str, dict[str, str | bool]]:
    """Return the response's cookies by name: ``value`` and each non-empty attribute."""
    parsed: dict[str, dict[str, str | bool]] = {}
    for name, morsel in response.cookies.items():
        first, *attributes = morsel.OutputString().split("; ")
        cookie: dict[str, str | bool] = {"value": first.partition("=")[2]}
        for attribute in attributes:
            key, eq, value = attribute.partition("=")
            cookie[key.lower()] = value if eq else True
        parsed[name] = cookie
    return parsed
