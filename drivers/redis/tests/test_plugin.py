"""The driver's registration through the ``sessionjar.drivers`` entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sessionjar
from sessionjar_redis.store import RedisStore
from sessionjar_redis.store_async import AsyncRedisStore


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:1", "rediss://h", "unix:///s.sock", "redis+cluster://h:7001"],
)
def test_every_scheme_opens_a_redis_store(url: str) -> None:
    assert isinstance(sessionjar.open_store(url, namespace="app"), RedisStore)
    assert isinstance(sessionjar.open_async_store(url, namespace="app"), AsyncRedisStore)


def test_the_driver_describes_itself() -> None:
    info = sessionjar.driver_for("redis://localhost")
    assert info.distribution == "sessionjar-redis"
    assert {"shared_namespace", "multi_process", "unreachable"} <= info.capabilities
    assert info.unreachable_url is not None


def test_a_bad_namespace_is_refused() -> None:
    with pytest.raises(sessionjar.ConfigurationError):
        sessionjar.open_store("redis://localhost", namespace="a}b")


def test_registering_does_not_import_redis() -> None:
    code = (
        "import sys, sessionjar; sessionjar.driver_for('redis://localhost');"
        "import sessionjar_redis; sys.exit('redis' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
