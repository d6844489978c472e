"""Registers the Redis driver through the ``sessionjar_register_drivers`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import sessionjar
from sessionjar_redis._url import SCHEMES

if TYPE_CHECKING:
    from sessionjar import AsyncStore, Store

__all__ = ["UNREACHABLE_URL", "sessionjar_register_drivers"]

UNREACHABLE_URL: Final = "redis://127.0.0.1:1/0?socket_timeout=1&socket_connect_timeout=1"
"""A Redis URL where nothing listens, for the conformance suite's failure tests."""


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar_redis.store_async import AsyncRedisStore

    return AsyncRedisStore.from_url(url, namespace=namespace)


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar_redis.store import RedisStore

    return RedisStore.from_url(url, namespace=namespace)


@sessionjar.hookimpl
def sessionjar_register_drivers() -> list[sessionjar.DriverInfo]:
    """Describe the Redis driver; redis-py is imported only when a store is opened."""
    return [
        sessionjar.DriverInfo(
            name="redis",
            schemes=SCHEMES,
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar-redis",
            install_hint='pip install "sessionjar[redis]"',
            protocol_version=sessionjar.PROTOCOL_VERSION,
            capabilities=frozenset({"shared_namespace", "multi_process", "unreachable"}),
            unreachable_url=UNREACHABLE_URL,
        )
    ]
